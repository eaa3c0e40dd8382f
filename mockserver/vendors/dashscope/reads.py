"""DashScope: the read handlers and their parameter specs.

A read shows a deployment as its lifecycle says it is now (core/lifecycle.py): a due
transition is taken first, and the read is counted. A list does so for its page only,
and only when the workspace has deployments in a passing state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mockserver.core import listing
from mockserver.core.errors import clip
from mockserver.core.fixtures import Record
from mockserver.core.jsonbytes import JSONBytes, Raw, dumps, prepend
from mockserver.core.lifecycle import Lifecycle
from mockserver.core.params import Param, parse_query, sourced
from mockserver.core.provenance import Source
from mockserver.core.vendor import backend, request_id
from mockserver.vendors.dashscope.backend import NAME, Backend
from mockserver.vendors.dashscope.errors import Error
from mockserver.vendors.dashscope.lifecycle import DEPLOYMENT, MOVING

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
    if store.moving.get(workspace or store.default or ""):
        settle_page(request, store, workspace, query)
    body = store.bodies((workspace, query), lambda: deployments_page(store, workspace, query))
    return JSONBytes(prepend("request_id", request_id(request, "uuid"), body))


PASSES = 4  # looks at a page whose deployments moved (one gone shifts the page)


def settle_page(request: Request, store: Backend, workspace: str | None, query: bytes) -> None:
    """Each passing deployment the page shows, as the lifecycle says it is now (one read
    each); a deployment gone brings the next one into the page, which is looked at too."""
    q = parse_query(query, LIST_PARAMS)
    lifecycle: Lifecycle = request.app.lifecycle
    seen: set[str] = set()
    for _ in range(PASSES):
        moved = False
        for record in store.list_deployments(workspace, q).items:
            key = record["deployed_model"]
            if key in seen or record["status"] not in MOVING:
                continue
            seen.add(key)
            moved = lifecycle.settle(NAME, DEPLOYMENT, record) is not record or moved
        if not moved:
            return


def not_found(deployed_model: str) -> Error:
    """The docs' answer for an unknown deployment (or model)."""
    return Error(404, "NotFound", f"Model: {clip(deployed_model)} not found!")


def answer(request: Request, record: Record) -> Response:
    """`{request_id, output: deployment}`, 200 (the v1 SDK reads 204 as a failure)."""
    body = Raw(dumps({"output": record}))
    return JSONBytes(prepend("request_id", request_id(request, "uuid"), body))


def held(request: Request, deployed_model: str) -> Record:
    """The deployment as a read shows it now, in the caller's workspace; else 404."""
    store: Backend = backend(request, NAME)
    workspace = store.workspace(request.headers.get(WORKSPACE_HEADER) or None)
    record = request.app.store.records[NAME]["deployments"].get((deployed_model,))
    if record is None or record["workspace_id"] != workspace:
        raise not_found(deployed_model)
    lifecycle: Lifecycle = request.app.lifecycle
    settled = lifecycle.settle(NAME, DEPLOYMENT, record)
    if settled is None:
        raise not_found(deployed_model)
    return settled


# --- one deployment --------------------------------------------------------------------


async def get_deployment(request: Request) -> Response:
    return answer(request, held(request, request.path_params["deployed_model"]))


# --- the event stream ------------------------------------------------------------------

STREAM_IDLE_S = 10.0  # real seconds a stream stays open without a change, then it ends
STREAM_POLL_S = 0.05  # how often an open stream looks again (its looks are reads)
STREAM_EVENTS = 100  # events at most in one stream


async def stream_events(request: Request) -> Response:
    """`text/event-stream`: the deployment now, then one event per change of state, until
    it settles (RUNNING, STOPPED, FAILED) or is gone (an error frame: 404 NotFound), or
    nothing changed for STREAM_IDLE_S. Each look of the stream is a read of it."""
    key = request.path_params["deployed_model"]
    first = held(request, key)
    return StreamingResponse(_events(request, key, first), media_type="text/event-stream")


async def _events(request: Request, key: str, record: Record) -> AsyncIterator[bytes]:
    sent, shown = 1, record["status"]
    yield _frame(sent, record)
    quiet_since = time.monotonic()
    while record["status"] in MOVING and sent < STREAM_EVENTS:
        await asyncio.sleep(STREAM_POLL_S)
        try:
            record = held(request, key)
        except Error as exc:
            yield (
                f"id:{sent + 1}\nevent:error\nstatus:{exc.status}\n".encode()
                + b"data:"
                + dumps({"code": exc.code, "message": exc.message})
                + b"\n\n"
            )
            return
        if record["status"] != shown:
            sent, shown, quiet_since = sent + 1, record["status"], time.monotonic()
            yield _frame(sent, record)
        elif time.monotonic() - quiet_since > STREAM_IDLE_S:
            return


def _frame(number: int, record: Record) -> bytes:
    return f"id:{number}\nevent:result\nstatus:200\n".encode() + b"data:" + dumps(record) + b"\n\n"


# --- the catalogue of deployable models ----------------------------------------------------

MODEL_PARAMS = LIST_PARAMS


def models_page(store: Backend, query: bytes) -> Raw:
    """The catalogue's page without request_id (kept in `bodies` by request)."""
    q = parse_query(query, MODEL_PARAMS)
    page = listing.by_page(store.models, q["page_no"], q["page_size"])
    output = {
        "page_no": q["page_no"],
        "page_size": q["page_size"],
        "total": page.total,
        "models": [
            {"model_name": m["model_name"], "base_capacity": m["base_capacity"]} for m in page.items
        ],
    }
    return Raw(dumps({"output": output}))


async def list_models(request: Request) -> Response:
    store: Backend = backend(request, NAME)
    query = request.scope["query_string"]
    body = store.bodies(("models", query), lambda: models_page(store, query))
    return JSONBytes(prepend("request_id", request_id(request, "uuid"), body))
