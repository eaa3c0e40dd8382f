"""Alibaba Cloud PAI: the read handlers and their parameter specs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.jsonbytes import JSONBytes, Raw, dumps, prepend
from mockserver.core.params import Param, parse_query, sourced
from mockserver.core.provenance import Source
from mockserver.core.vendor import backend, request_id
from mockserver.vendors.pai.backend import FORMAT_TYPES, NAME, Backend

DOCS = "https://www.alibabacloud.com/help/en/pai/developer-reference/api-aiworkspace-2021-02-04-"
MODEL_ID = Param(
    "ModelId",
    source=Source(DOCS + "getmodel", "GetModel"),
    location="path",
    description="The model ID.",
    example="model-rbvg5wzljz****ks92",
)
LIST_PARAMS = sourced(
    Source(DOCS + "listmodelversions", "ListModelVersions"),
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
