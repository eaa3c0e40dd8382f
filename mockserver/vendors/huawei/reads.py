"""Huawei DataArts Fabric: the read handlers and their parameter specs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.jsonbytes import JSONBytes, Raw, dumps
from mockserver.core.params import Param, parse_path, parse_query, sourced
from mockserver.core.provenance import Source
from mockserver.core.vendor import backend, request_id
from mockserver.vendors.huawei.backend import NAME, SORT_KEYS, Backend

ID_CHARS = r"[A-Za-z0-9-]+"
DOCS = Source("https://support.huaweicloud.com/intl/en-us/api-fabric/ListModels.html", "ListModels")

PATH_PARAMS = sourced(
    DOCS,
    Param(
        "workspace_id",
        min_length=1,
        max_length=36,
        pattern=ID_CHARS,
        location="path",
        description="Workspace ID.",
        example="default",
    ),
)
LIST_PARAMS = sourced(
    DOCS,
    Param(
        "offset",
        "int",
        default=0,
        minimum=0,
        maximum=1_000_000_000,
        description="Offset where the query starts.",
    ),
    Param(
        "limit",
        "int",
        default=10,
        minimum=1,
        maximum=100,
        description="Maximum number of records returned on each page.",
    ),
    Param(
        "name",
        min_length=1,
        max_length=128,
        pattern=r"[A-Za-z0-9_-]+",
        description="Model name, fuzzy (case-insensitive substring).",
    ),
    Param("id", min_length=32, max_length=36, pattern=ID_CHARS, description="Model ID, exact."),
    Param("type", min_length=1, max_length=128, description="Model type, exact (LLM_MODEL)."),
    Param(
        "visibility",
        "enum",
        choices=("PRIVATE", "PUBLIC", "ALL"),
        description="Blank: the caller's models, PRIVATE and PUBLIC.",
    ),
    Param(
        "sort_by",
        "enum",
        default="CREATE_TIME",
        choices=tuple(SORT_KEYS),
        description="Sorting field.",
    ),
    Param("order_by", "enum", default="DESC", choices=("ASC", "DESC"), description="Sorting mode."),
)


def models_page(store: Backend, workspace_id: str, query: bytes) -> Raw:
    """ListModels' body (kept in `bodies` by request)."""
    path = parse_path({"workspace_id": workspace_id}, PATH_PARAMS)
    page = store.list_models(path["workspace_id"], parse_query(query, LIST_PARAMS))
    return Raw(dumps({"total": page.total, "models": [store.raw(m) for m in page.items]}))


async def list_models(request: Request) -> Response:
    store: Backend = backend(request, NAME)
    workspace_id, query = request.path_params["workspace_id"], request.scope["query_string"]
    body = store.bodies((workspace_id, query), lambda: models_page(store, workspace_id, query))
    return JSONBytes(body, headers={"X-Request-Id": request_id(request, "hex")})
