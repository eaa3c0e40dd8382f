"""Alibaba Cloud PAI: the read handlers and their parameter specs."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.errors import shown
from mockserver.core.jsonbytes import JSONBytes, Raw, dumps, prepend
from mockserver.core.params import Param, parse_query, sourced
from mockserver.core.provenance import Source
from mockserver.core.vendor import backend, request_id
from mockserver.vendors.pai.backend import (
    CONDITION_COLUMNS,
    FORMAT_TYPES,
    NAME,
    OPERATORS,
    Backend,
)
from mockserver.vendors.pai.errors import Error

DOCS = "https://www.alibabacloud.com/help/en/pai/developer-reference/api-aiworkspace-2021-02-04-"
MODEL_ID = Param(
    "ModelId",
    source=Source(DOCS + "getmodel", "GetModel"),
    location="path",
    description="The model ID.",
    example="model-rbvg5wzljz****ks92",
)
VERSION_NAME = Param(
    "VersionName",
    location="path",
    description="The version name.",
    example="0.1.0",
    source=Source(DOCS + "getmodelversion", "GetModelVersion"),
)
# what the interactive docs' Try it deletes: records nothing else there uses
MODEL_TO_DELETE = Param(
    "ModelId",
    location="path",
    description="The model ID.",
    example="model-emptydraft01",
    source=Source(DOCS + "deletemodel", "DeleteModel", "sdk"),  # the page was not seen
)
VERSION_TO_DELETE = Param(
    "VersionName",
    location="path",
    description="The version name.",
    example="0.5.0_beta",
    source=Source(DOCS + "deletemodelversion", "DeleteModelVersion", "sdk"),
)
PAGING = (
    Param(
        "PageNumber",
        "int",
        default=1,
        minimum=1,
        maximum=2**31 - 1,
        description="Page number, from 1.",
    ),
    Param("PageSize", "int", default=10, minimum=1, maximum=100, description="Entries per page."),
    Param("Order", "enum", default="ASC", choices=("ASC", "DESC"), description="Sort order."),
    Param(
        "SortBy",
        "enum",
        default="GmtCreateTime",
        choices=("GmtCreateTime",),
        description="Sort field.",
    ),
)
JSON_TEXT = 4096  # characters of Tag / Conditions: a few dozen entries
# The JSON the SDK sends for Tag and Conditions (its fields in its order), as patterns
# the OpenAPI document can state: JSON's own whitespace, strings without escapes
_W = r"[ \t\n\r]*"
_TEXT = r'"[^"\\\x00-\x1f]*"'
_TAG = rf'\{{{_W}"Key"{_W}:{_W}{_TEXT}{_W}(,{_W}"Value"{_W}:{_W}{_TEXT}{_W})?\}}'
_CONDITION = (
    rf'\{{{_W}"Column"{_W}:{_W}"({"|".join(CONDITION_COLUMNS)})"{_W},'
    rf'{_W}"Operator"{_W}:{_W}"({"|".join(OPERATORS)})"{_W},'
    rf'{_W}"Value"{_W}:{_W}"-?[0-9]{{1,18}}"{_W}\}}'
)


def _array_of(item: str) -> str:
    return rf"{_W}\[{_W}({item}({_W},{_W}{item})*)?{_W}\]{_W}"


TAG_TEXT = _array_of(_TAG)
CONDITIONS_TEXT = _array_of(_CONDITION)
LIST_MODELS_PARAMS = sourced(
    Source(DOCS + "listmodels", "ListModels"),
    *PAGING,
    Param("WorkspaceId", max_length=64, description="Only the models of this workspace."),
    Param("ModelName", max_length=127, description="Exact model name."),
    Param("Label", max_length=128, description="Substring of a label's or tag's key or value."),
    Param(
        "Provider",
        max_length=128,
        description="Only this provider's public models (absent: every model of the mock).",
    ),
    Param("Domain", max_length=256, description="Exact domain, e.g. nlp, cv."),
    Param("Task", max_length=256, description="Exact task, e.g. text-classification."),
    Param("Origin", max_length=256, description="Exact origin, e.g. ModelScope."),
    Param(
        "Query",
        max_length=256,
        description="Case-insensitive substring of ModelName, Domain, Task or a label.",
    ),
    Param("ModelType", max_length=256, description="Exact model type, e.g. Checkpoint, LoRA."),
    Param(
        "Collections",
        max_length=1024,
        description="Comma-separated collections: the mock's models belong to none, so "
        "no model matches.",
    ),
    Param(
        "Tag",
        max_length=JSON_TEXT,
        pattern=TAG_TEXT,
        description='JSON text: [{"Key": "k", "Value": "v"}, ...]; a model holds each '
        "(as a tag or a label; Value optional).",
    ),
    Param(
        "Conditions",
        max_length=JSON_TEXT,
        pattern=CONDITIONS_TEXT,
        description='JSON text: [{"Column": "ParameterSize", "Operator": "LessThan", '
        '"Value": "3000"}, ...]; Column ParameterSize or OrderNumber.',
    ),
)
# parsed without the patterns, which json_list checks with a message saying what is wrong
PARSED_MODELS_PARAMS = tuple(
    replace(p, pattern=None) if p.name in ("Tag", "Conditions") else p for p in LIST_MODELS_PARAMS
)
LIST_PARAMS = sourced(
    Source(DOCS + "listmodelversions", "ListModelVersions"),
    *PAGING,
    Param("VersionName", description="Exact version name."),
    Param(
        "FormatType",
        "enum",
        choices=FORMAT_TYPES,
    ),
    Param(
        "FrameworkType",
        "enum",
        choices=("Pytorch", "XGBoost", "Keras", "Caffe", "Alink", "Xflow", "TensorFlow"),
    ),
    Param("SourceType", "enum", choices=("Custom", "PAIFlow", "TrainingService")),
    Param("SourceId", description="Exact source id."),
    Param("Label", description="Substring of a label's key or value."),
    Param("ApprovalStatus", "enum", choices=("Pending", "Approved", "Rejected")),
)


def versions_page(store: Backend, model_id: str, query: bytes) -> Raw:
    """ListModelVersions' body without RequestId (kept in `bodies` by request)."""
    page = store.list_versions(model_id, parse_query(query, LIST_PARAMS))
    return Raw(dumps({"Versions": [store.raw(v) for v in page.items], "TotalCount": page.total}))


async def get_model(request: Request) -> Response:
    body = backend(request, NAME).get_model_body(request.path_params["ModelId"])
    rid = request_id(request, "UUID")
    return JSONBytes(prepend("RequestId", rid, body), headers={"x-acs-request-id": rid})


async def list_model_versions(request: Request) -> Response:
    store: Backend = backend(request, NAME)
    model_id, query = request.path_params["ModelId"], request.scope["query_string"]
    body = store.bodies(
        ("ListModelVersions", model_id, query), lambda: versions_page(store, model_id, query)
    )
    rid = request_id(request, "UUID")
    return JSONBytes(prepend("RequestId", rid, body), headers={"x-acs-request-id": rid})


def models_page(store: Backend, query: bytes) -> Raw:
    """ListModels' body without RequestId (kept in `bodies` by request)."""
    q = dict(parse_query(query, PARSED_MODELS_PARAMS))
    q["Tag"] = json_list("Tag", q["Tag"], _tag, TAG_TEXT)
    q["Conditions"] = json_list("Conditions", q["Conditions"], _condition, CONDITIONS_TEXT)
    page = store.list_models(q)
    models = [Raw.of(store.listed_model(m["ModelId"])) for m in page.items]
    return Raw(dumps({"Models": models, "TotalCount": page.total}))


def json_list(name: str, text: str | None, check: Any, pattern: str) -> list[dict[str, Any]] | None:
    """A query parameter holding a JSON array of objects (the SDK's 'json' style), each
    checked by `check` (which returns what is wrong, or None); the text must also have
    the form `pattern` states in the OpenAPI document."""
    if text is None:
        return None
    try:
        items = json.loads(text)
    except ValueError:
        items = None
    problem = None if isinstance(items, list) else "it is not a JSON array"
    for i, item in enumerate(items if problem is None else ()):
        problem = check(item)
        if problem is not None:
            problem = f"item {i}: {problem}"
            break
    if problem is None and not re.fullmatch(pattern, text):
        problem = "give each item's fields in the documented order, strings without escapes"
    if problem is not None:
        raise Error(
            400,
            "InvalidParameter",
            f"Specified parameter {name} is not valid: {shown(text)}; {problem}.",
        )
    return items  # type: ignore[no-any-return]


def _tag(item: Any) -> str | None:
    if not isinstance(item, dict) or not isinstance(item.get("Key"), str):
        return 'each item must be an object {"Key": string, "Value": string}'
    if not isinstance(item.get("Value", ""), str) or set(item) - {"Key", "Value"}:
        return 'each item must be an object {"Key": string, "Value": string}'
    return None


def _condition(item: Any) -> str | None:
    if not isinstance(item, dict) or set(item) != {"Column", "Operator", "Value"}:
        return 'each item must be an object {"Column", "Operator", "Value"}'
    if item["Column"] not in CONDITION_COLUMNS:
        return f"Column must be one of {', '.join(CONDITION_COLUMNS)}"
    if item["Operator"] not in OPERATORS:
        return f"Operator must be one of {', '.join(OPERATORS)}"
    value = item["Value"]
    if isinstance(value, bool) or not INTEGER.fullmatch(str(value)):
        return "Value must be an integer of at most 18 digits (as text)"
    return None


INTEGER = re.compile(r"-?[0-9]{1,18}")


async def list_models(request: Request) -> Response:
    store: Backend = backend(request, NAME)
    query = request.scope["query_string"]
    body = store.bodies(("ListModels", query), lambda: models_page(store, query))
    rid = request_id(request, "UUID")
    return JSONBytes(prepend("RequestId", rid, body), headers={"x-acs-request-id": rid})


async def get_model_version(request: Request) -> Response:
    store: Backend = backend(request, NAME)
    model_id, name = request.path_params["ModelId"], request.path_params["VersionName"]
    body = store.bodies(
        ("GetModelVersion", model_id, name), lambda: store.raw(store.version(model_id, name))
    )
    rid = request_id(request, "UUID")
    return JSONBytes(prepend("RequestId", rid, body), headers={"x-acs-request-id": rid})
