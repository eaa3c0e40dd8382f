"""The control plane under /_mock/: never a vendor path, always JSON in and out.

GET    /_mock/health                       liveness and record counts
POST   /_mock/reset                        state back to what was loaded at start
GET    /_mock/requests                     the request journal, oldest first
DELETE /_mock/requests                     empty the journal
GET    /_mock/data                         every record, by vendor and collection
POST   /_mock/data/{vendor}/{collection}   add records (one object or a list), all or none

Bodies are JSON of at most 1 MiB (core.bodies); errors list at most 20 problems.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver._version import __version__
from mockserver.core.bodies import BodyError, parse_json, read_body
from mockserver.core.errors import clip, first
from mockserver.core.faults import FaultSpecError
from mockserver.core.fixtures import FixtureError

PROBLEM_LIMIT = 500  # characters of one problem an answer shows


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, **extra}, status_code=status)


async def _json_body(request: Request) -> Any:
    """The request's JSON, or the neutral 400/413 answer (413 closes the connection)."""
    try:
        return parse_json(await read_body(request))
    except BodyError as exc:
        if exc.status == 413:
            response = _error(413, "PayloadTooLarge", str(exc))
            response.headers["connection"] = "close"  # rather than read the rest
            return response
        return _error(400, "InvalidJSON", str(exc))


async def health(request: Request) -> JSONResponse:
    store = request.app.store
    return JSONResponse({"status": "ok", "version": __version__, "records": store.counts()})


def _single_process(request: Request) -> JSONResponse | None:
    """A refusal when this write would change only one of several worker processes."""
    workers = request.app.settings.workers
    if workers == 1:
        return None
    return _error(
        409,
        "Conflict",
        f"{request.method} {request.url.path} is refused: the server runs {workers} worker "
        "processes and this would change only the one that received it. Run with "
        "--workers 1 to change state at run time.",
    )


def reset_state(app: Any) -> None:
    """Records, fault rules, rate limits and the random source back to how they were at start."""
    app.store.reset()
    app.rng.seed(app.settings.seed)
    app.faults.reset()


async def reset(request: Request) -> JSONResponse:
    if refusal := _single_process(request):
        return refusal
    reset_state(request.app)
    return JSONResponse({"status": "reset", "records": request.app.store.counts()})


async def requests(request: Request) -> JSONResponse:
    return JSONResponse({"requests": request.app.journal.list()})


async def clear_requests(request: Request) -> Response:
    if refusal := _single_process(request):
        return refusal
    request.app.journal.clear()
    return Response(status_code=204)


async def data(request: Request) -> JSONResponse:
    return JSONResponse(request.app.store.records)


async def add_data(request: Request) -> JSONResponse:
    if refusal := _single_process(request):
        return refusal
    vendor = request.path_params["vendor"]
    collection = request.path_params["collection"]
    payload = await _json_body(request)
    if isinstance(payload, JSONResponse):
        return payload
    records = payload if isinstance(payload, list) else [payload]
    try:
        added = request.app.store.add(vendor, collection, records, source="body")
    except FixtureError as exc:
        unknown = exc.problems[0].record == "-"
        problems = first([clip(str(p), PROBLEM_LIMIT) for p in exc.problems])
        return _error(
            404 if unknown else 400,
            "NotFound" if unknown else "InvalidRecord",
            problems[0] if unknown else "records were not added",
            problems=problems,
        )
    return JSONResponse(
        {"added": added, "records": request.app.store.counts()[vendor]}, status_code=201
    )


async def faults(request: Request) -> JSONResponse:
    return JSONResponse({"faults": request.app.faults.listing()})


async def add_fault(request: Request) -> JSONResponse:
    if refusal := _single_process(request):
        return refusal
    spec = await _json_body(request)
    if isinstance(spec, JSONResponse):
        return spec
    if not isinstance(spec, dict):
        return _error(400, "InvalidFault", "a fault rule is a JSON object")
    try:
        rule = request.app.faults.add(spec)
    except FaultSpecError as exc:
        return _error(400, "InvalidFault", str(exc))
    return JSONResponse(asdict(rule), status_code=201)


async def clear_faults(request: Request) -> Response:
    if refusal := _single_process(request):
        return refusal
    request.app.faults.clear()
    return Response(status_code=204)


routes = [
    Route("/_mock/health", health, methods=["GET"], name="mock.health"),
    Route("/_mock/reset", reset, methods=["POST"], name="mock.reset"),
    Route("/_mock/requests", requests, methods=["GET"], name="mock.requests"),
    Route("/_mock/requests", clear_requests, methods=["DELETE"], name="mock.clear_requests"),
    Route("/_mock/data", data, methods=["GET"], name="mock.data"),
    Route("/_mock/data/{vendor}/{collection}", add_data, methods=["POST"], name="mock.add_data"),
    Route("/_mock/faults", faults, methods=["GET"], name="mock.faults"),
    Route("/_mock/faults", add_fault, methods=["POST"], name="mock.add_fault"),
    Route("/_mock/faults", clear_faults, methods=["DELETE"], name="mock.clear_faults"),
]
