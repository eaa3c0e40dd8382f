"""DashScope: the read handlers and their parameter specs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.jsonbytes import JSONBytes, Raw, dumps, prepend
from mockserver.core.params import Param, parse_query, sourced
from mockserver.core.provenance import Source
from mockserver.core.vendor import backend, request_id
from mockserver.vendors.dashscope.backend import NAME, Backend

WORKSPACE_HEADER = "X-DashScope-WorkSpace"
HEADERS = (
    Param(
        WORKSPACE_HEADER,
        location="header",
        description="The workspace; without it, the default workspace.",
        source=Source("https://pypi.org/project/dashscope/2.0.2/", "Deployments.list", "sdk"),
    ),
)
LIST_PARAMS = sourced(
    Source(
        "https://www.alibabacloud.com/help/en/model-studio/list-deployments-api", "List deployments"
    ),
    Param("page_no", "int", default=1, minimum=1, maximum=2**31 - 1, description="Page number."),
    Param(
        "page_size",
        "int",
        default=50,
        minimum=1,
        maximum=200,
        description="Entries per page (the SDK always sends its own value, 10 by default).",
    ),
)


def deployments_page(store: Backend, workspace: str | None, query: bytes) -> Raw:
    """ListDeployments' body without request_id (kept in `bodies` by request)."""
    q = parse_query(query, LIST_PARAMS)
    page = store.list_deployments(workspace, q)
    output = {
        "page_no": q["page_no"],
        "page_size": q["page_size"],
        "total": page.total,
        "deployments": [store.raw(d) for d in page.items],
    }
    return Raw(dumps({"output": output}))


async def list_deployments(request: Request) -> Response:
    store: Backend = backend(request, NAME)
    workspace = request.headers.get(WORKSPACE_HEADER) or None
    query = request.scope["query_string"]
    body = store.bodies((workspace, query), lambda: deployments_page(store, workspace, query))
    return JSONBytes(prepend("request_id", request_id(request, "uuid"), body))
