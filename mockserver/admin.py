"""The control plane under /_mock/: never a vendor path, always JSON in and out.

GET    /_mock/health                       liveness and record counts
POST   /_mock/reset                        state back to what was loaded at start
GET    /_mock/requests                     the request journal, oldest first
DELETE /_mock/requests                     empty the journal
GET    /_mock/data                         every record, by vendor and collection (at most
                                           DUMP_MAX records held); ?vendor=&collection=
                                           &offset=&limit= pages one collection
POST   /_mock/data/{vendor}/{collection}   add records (one object or a list), all or none
GET    /_mock/clock                        the mock's clock: now, frozen, offset from real time
POST   /_mock/clock                        {"freeze": true}, {"set": "2026-01-01T00:00:00Z"},
                                           {"advance_s": 600}, {"freeze": false}, {"reset": true}
GET    /_mock/transitions                  timing mode, states, pending count, transition log
POST   /_mock/transitions                  {"vendor", "id", "state"}: force a resource into a
                                           state (without "state": along its usual way now);
                                           {"timing": "manual"}: the timing mode until a reset
GET    /_mock/faults                       the live fault rules (times left, next step, window)
POST   /_mock/faults                       add a rule (core.faults: status, fault, sequence, ...)
DELETE /_mock/faults                       retire every rule
DELETE /_mock/faults/{id}                  retire one (an outage switched off)
GET    /_mock/state                        the records as a fixtures folder: ?format=tar.gz
                                           (default), zip, or json ({version, records})
PUT    /_mock/state                        replace every record (the JSON form), all or none
POST   /_mock/state/save                   save the records to --state-dir now
GET    /_mock/snapshots                    the named snapshots held
POST   /_mock/snapshots/{name}             snapshot the records as `name`
POST   /_mock/snapshots/{name}/restore     the records back to that snapshot
DELETE /_mock/snapshots/{name}             forget it

Bodies are JSON of at most 1 MiB (core.bodies); errors list at most 20 problems.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from datetime import datetime
from itertools import islice
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from mockserver._version import __version__
from mockserver.core.bodies import BodyError, parse_json, read_body
from mockserver.core.clock import Clock
from mockserver.core.errors import clip, first, shown
from mockserver.core.faults import FaultSpecError, TooManyRules
from mockserver.core.fixtures import FixtureError
from mockserver.core.jsonbytes import Raw, dumps
from mockserver.core.lifecycle import Lifecycle, LifecycleError, Timing
from mockserver.core.params import Param, ParamError, parse_query
from mockserver.core.state import KINDS, MEDIA, SnapshotError, archive, from_document, save_dir

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
    """Records, fault rules, rate limits, the random source, the lifecycle's timing and
    the clock (real time) back to how they were at start."""
    app.store.reset()
    app.rng.seed(app.settings.seed)
    app.clock.reset()  # first: fault windows given at start count from the clock's reading
    app.faults.reset()
    app.lifecycle.reset()


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


DUMP_MAX = 10_000  # records answered by one GET /_mock/data without parameters
PAGE_LIMIT = 1000  # a page's records when `limit` is not given
CHUNK = 100  # records serialised between two yields to the event loop
DATA_PARAMS = (
    Param("vendor", description="The vendor whose records are paged."),
    Param("collection", description="The collection of that vendor."),
    Param("offset", "int", default=0, minimum=0, maximum=2**31 - 1),
    Param("limit", "int", default=PAGE_LIMIT, minimum=1, maximum=DUMP_MAX),
)


async def data(request: Request) -> Response:
    """Every record (small data sets), or one page of one collection, streamed in chunks.

    Records are taken by reference when the request arrives (a write replaces records,
    never rewrites one), then serialised CHUNK at a time with the event loop
    served in between: a large read never builds one huge body nor stalls other requests.
    """
    store = request.app.store
    try:
        q = parse_query(request.scope["query_string"], DATA_PARAMS)
    except ParamError as exc:
        return _error(400, "InvalidParameter", exc.describe())
    if q["vendor"] is None and q["collection"] is None:
        held = sum(n for cols in store.counts().values() for n in cols.values())
        if held > DUMP_MAX:
            return _error(
                413,
                "TooManyRecords",
                f"{held} records are held; GET /_mock/data answers at most {DUMP_MAX} at once. "
                "Page them: /_mock/data?vendor=VENDOR&collection=COLLECTION&offset=0&limit="
                f"{PAGE_LIMIT} (limit at most {DUMP_MAX}).",
                records=store.counts(),
            )
        snapshot = store.dataset()
        return StreamingResponse(_dump(snapshot), media_type="application/json")
    counts = store.counts()
    vendor, collection = q["vendor"], q["collection"]
    if vendor is None or collection is None:
        return _error(400, "InvalidParameter", "a page needs both vendor and collection")
    if vendor not in counts or collection not in counts[vendor]:
        return _error(
            404,
            "NotFound",
            f"no collection {collection!r} of vendor {vendor!r}; known: "
            + ", ".join(f"{v}/{c}" for v, cols in counts.items() for c in cols),
        )
    records = store.records[vendor][collection]
    offset, limit = q["offset"], q["limit"]
    page = list(islice(records.values(), offset, offset + limit))
    end = offset + len(page)
    head = {
        "vendor": vendor,
        "collection": collection,
        "offset": offset,
        "limit": limit,
        "total": len(records),
        "next": (
            f"/_mock/data?vendor={quote(vendor)}&collection={quote(collection)}"
            f"&offset={end}&limit={limit}"
            if end < len(records)
            else None
        ),
    }
    return StreamingResponse(_page(head, page), media_type="application/json")


async def _dump(snapshot: dict[str, dict[str, list[Any]]]) -> AsyncIterator[bytes]:
    """`{vendor: {collection: [records]}}`, a chunk of records at a time."""
    yield b"{"
    for v, (vendor, cols) in enumerate(snapshot.items()):
        yield (b"," if v else b"") + dumps(vendor) + b":{"
        for c, (name, records) in enumerate(cols.items()):
            yield (b"," if c else b"") + dumps(name) + b":"
            async for chunk in _array(records):
                yield chunk
        yield b"}"
    yield b"}"


async def _page(head: dict[str, Any], records: list[Any]) -> AsyncIterator[bytes]:
    """The page's fields, then `records`, a chunk at a time."""
    yield dumps(head)[:-1] + b',"records":'
    async for chunk in _array(records):
        yield chunk
    yield b"}"


async def _array(records: list[Any]) -> AsyncIterator[bytes]:
    """A JSON array of `records`, CHUNK records per piece, the loop served between."""
    yield b"["
    for start in range(0, len(records), CHUNK):
        if start:
            await asyncio.sleep(0)
        piece = b",".join(Raw.of(r) for r in records[start : start + CHUNK])
        yield (b"," if start else b"") + piece
    yield b"]"


INLINE_CHECK = 20  # records checked on the event loop; a larger batch goes to a thread


async def add_data(request: Request) -> JSONResponse:
    """Records are checked, then added on the loop, each in O(log n) of what it touches.

    A few records are checked on the loop (a millisecond or two each, less than a thread
    would cost other requests in waits for the GIL); a larger batch is checked in a
    worker thread, so the loop keeps answering meanwhile.
    """
    if refusal := _single_process(request):
        return refusal
    vendor = request.path_params["vendor"]
    collection = request.path_params["collection"]
    payload = await _json_body(request)
    if isinstance(payload, JSONResponse):
        return payload
    records = payload if isinstance(payload, list) else [payload]
    store = request.app.store
    try:
        if len(records) <= INLINE_CHECK:
            checked = store.check(vendor, collection, records, "body")
        else:
            checked = await run_in_threadpool(store.check, vendor, collection, records, "body")
        added = store.commit(checked)
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
    except TooManyRules as exc:
        return _error(409, "TooManyFaults", str(exc))
    except FaultSpecError as exc:
        return _error(400, "InvalidFault", str(exc))
    return JSONResponse(rule.describe(), status_code=201)


async def clear_faults(request: Request) -> Response:
    if refusal := _single_process(request):
        return refusal
    request.app.faults.clear()
    return Response(status_code=204)


async def remove_fault(request: Request) -> Response:
    if refusal := _single_process(request):
        return refusal
    text = request.path_params["id"]
    rule_id = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
    if rule_id is None:
        return _error(400, "InvalidParameter", f"a fault rule's id is a number, not {shown(text)}")
    if not request.app.faults.remove(rule_id):
        return _error(404, "NotFound", f"no fault rule {rule_id}; GET /_mock/faults lists them")
    return Response(status_code=204)


# --- the state as files, snapshots -------------------------------------------------------

STATE_PARAMS = (
    Param(
        "format",
        "enum",
        default="tar.gz",
        choices=KINDS,
        description="tar.gz or zip: a fixtures folder; json: {version, records}.",
    ),
)


async def get_state(request: Request) -> Response:
    """The records now, as an archive of the fixtures folder or one JSON document.

    Records are taken by reference on the loop; the archive is written in a thread
    (YAML of many records takes a while), the JSON streamed a chunk at a time."""
    try:
        q = parse_query(request.scope["query_string"], STATE_PARAMS)
    except ParamError as exc:
        return _error(400, "InvalidParameter", exc.describe())
    kind = q["format"]
    dataset = request.app.store.dataset()
    if kind == "json":
        return StreamingResponse(_state_json(dataset), media_type=MEDIA[kind])
    body = await run_in_threadpool(archive, dataset, kind)
    return Response(
        body,
        media_type=MEDIA[kind],
        headers={"content-disposition": f'attachment; filename="mockserver-state.{kind}"'},
    )


async def _state_json(dataset: dict[str, dict[str, list[Any]]]) -> AsyncIterator[bytes]:
    from mockserver.core.fixtures import STATE_VERSION

    yield b'{"version":' + dumps(STATE_VERSION) + b',"records":'
    async for chunk in _dump(dataset):
        yield chunk
    yield b"}"


def _refused(exc: FixtureError, message: str) -> JSONResponse:
    problems = first([clip(str(p), PROBLEM_LIMIT) for p in exc.problems])
    return _error(400, "InvalidState", message, problems=problems)


async def put_state(request: Request) -> JSONResponse:
    """Every record replaced by the body's, checked as fixtures are, all or nothing; the
    new records are then what was loaded (what a reset returns to)."""
    if refusal := _single_process(request):
        return refusal
    payload = await _json_body(request)
    if isinstance(payload, JSONResponse):
        return payload
    app = request.app
    vendors = {v.name: v.collections for v in app.vendors}
    try:
        dataset = await run_in_threadpool(from_document, payload, vendors, app.store.schemas)
    except FixtureError as exc:
        return _refused(exc, "the state was not replaced")
    app.store.reload(dataset)
    return JSONResponse({"status": "replaced", "records": app.store.counts()})


async def save_state(request: Request) -> JSONResponse:
    """The records saved to --state-dir now (as on a clean shutdown), atomically."""
    if refusal := _single_process(request):
        return refusal
    app = request.app
    folder = app.settings.state_dir
    if folder is None:
        return _error(
            409,
            "NoStateDir",
            "the server was started without --state-dir: there is nowhere to save to "
            "(GET /_mock/state exports the records instead)",
        )
    dataset = app.store.dataset()
    try:
        await run_in_threadpool(save_dir, dataset, folder)
    except OSError as exc:
        return _error(500, "SaveFailed", f"could not save to {folder}: {exc}")
    return JSONResponse({"status": "saved", "path": str(folder), "records": app.store.counts()})


def _snapshot_error(exc: SnapshotError) -> JSONResponse:
    return _error(exc.status, exc.code, exc.message)


async def snapshots(request: Request) -> JSONResponse:
    held = request.app.snapshots
    return JSONResponse({"snapshots": held.listing(), "bytes": held.bytes()})


async def take_snapshot(request: Request) -> JSONResponse:
    if refusal := _single_process(request):
        return refusal
    app = request.app
    try:
        snapshot, new = app.snapshots.take(request.path_params["name"], app.store, app.clock)
    except SnapshotError as exc:
        return _snapshot_error(exc)
    return JSONResponse(
        {**snapshot.describe(), "records": app.store.counts()}, status_code=201 if new else 200
    )


async def restore_snapshot(request: Request) -> JSONResponse:
    if refusal := _single_process(request):
        return refusal
    app = request.app
    try:
        snapshot = app.snapshots.get(request.path_params["name"])
    except SnapshotError as exc:
        return _snapshot_error(exc)
    app.store.restore(snapshot.mark)
    return JSONResponse(
        {"status": "restored", "name": snapshot.name, "records": app.store.counts()}
    )


async def delete_snapshot(request: Request) -> Response:
    if refusal := _single_process(request):
        return refusal
    try:
        request.app.snapshots.delete(request.path_params["name"])
    except SnapshotError as exc:
        return _snapshot_error(exc)
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
    Route("/_mock/faults/{id}", remove_fault, methods=["DELETE"], name="mock.remove_fault"),
]


# --- the clock and the lifecycle (core/clock.py, core/lifecycle.py) ----------------------

# applied in this order, except that a freeze comes before set and advance_s
CLOCK_FIELDS = ("reset", "set", "advance_s", "freeze")
LATEST = 253_402_300_799.0  # 9999-12-31T23:59:59Z: the last instant a timestamp can show
MOST_ADVANCE = 100 * 366 * 86_400  # a century at once, in seconds


def _kind(value: Any) -> str:
    """What a JSON value is, for messages that must not repeat it."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else "a boolean"
    kinds = ((int | float, "a number"), (str, "a string"), (list, "an array"))
    return next((name for t, name in kinds if isinstance(value, t)), "an object")


def clock_state(clock: Clock) -> dict[str, Any]:
    return {
        "now": clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": round(clock.time(), 6),
        "frozen": clock.frozen,
        "offset_s": round(clock.offset, 3),
    }


async def get_clock(request: Request) -> JSONResponse:
    return JSONResponse(clock_state(request.app.clock))


def _instant(value: Any) -> float:
    """`set`'s value: an ISO 8601 time with a zone, or seconds since the epoch."""
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.strip())
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            raise ValueError(
                f"set must be an ISO 8601 time with a zone (2026-01-01T00:00:00Z) or "
                f"seconds since the epoch, not {shown(value)}"
            )
        seconds = at.timestamp()
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        seconds = float(value)
    else:
        raise ValueError(f"set must be a time or a number of seconds, not {_kind(value)}")
    if not 0 <= seconds <= LATEST:
        raise ValueError("set must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z")
    return seconds


def _clock_change(clock: Clock, spec: Any) -> None:
    """Apply {reset, set, advance_s, freeze} in that order, or none (ValueError)."""
    if not isinstance(spec, dict) or not spec:
        raise ValueError(f"a clock change is a JSON object with any of {', '.join(CLOCK_FIELDS)}")
    unknown = sorted(str(k) for k in spec if k not in CLOCK_FIELDS)
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(clip(k) for k in first(unknown))}; "
            f"a clock change takes {', '.join(CLOCK_FIELDS)}"
        )
    for name in ("reset", "freeze"):
        if name in spec and not isinstance(spec[name], bool):
            raise ValueError(f"{name} must be true or false, not {_kind(spec[name])}")
    if spec.get("reset") is False:
        raise ValueError("reset takes true only (leave it out otherwise)")
    at = _instant(spec["set"]) if "set" in spec else None
    advance = spec.get("advance_s", 0)
    if (
        isinstance(advance, bool)
        or not isinstance(advance, int | float)
        or not 0 <= advance <= MOST_ADVANCE  # false for NaN too
    ):
        given = advance if type(advance) in (int, float) else _kind(advance)
        raise ValueError(
            f"advance_s must be a number of seconds from 0 to {MOST_ADVANCE}, not {given}"
        )
    base = at if at is not None else time.time() if spec.get("reset") else clock.time()
    if base + advance > LATEST:
        raise ValueError("the clock cannot go past 9999-12-31T23:59:59Z")
    if spec.get("reset"):
        clock.reset()
    if spec.get("freeze") is True:  # first, so that a set or an advance reads exactly
        clock.freeze()
    if at is not None:
        clock.set(at)
    if advance:
        clock.advance(float(advance))
    if spec.get("freeze") is False:
        clock.unfreeze()


async def change_clock(request: Request) -> JSONResponse:
    if refusal := _single_process(request):
        return refusal
    spec = await _json_body(request)
    if isinstance(spec, JSONResponse):
        return spec
    try:
        _clock_change(request.app.clock, spec)
    except ValueError as exc:
        return _error(400, "InvalidClock", str(exc))
    return JSONResponse(clock_state(request.app.clock))


def lifecycle_state(lifecycle: Lifecycle) -> dict[str, Any]:
    return {
        "timing": str(lifecycle.timing),
        "states": lifecycle.states(),
        "pending": len(lifecycle.pending),
        "transitions": lifecycle.transitions(),
    }


async def transitions(request: Request) -> JSONResponse:
    return JSONResponse(lifecycle_state(request.app.lifecycle))


TRANSITION_FIELDS = ("vendor", "kind", "id", "state", "timing")


def _text(spec: dict[str, Any], name: str) -> str | None:
    value = spec.get(name)
    if value is None or (isinstance(value, str) and 0 < len(value) <= 256):
        return value
    raise LifecycleError(f"{name} must be text of 1 to 256 characters, not {_kind(value)}")


async def add_transition(request: Request) -> JSONResponse:
    """Set the timing mode, or move one resource now (forced into a state, or along its
    usual way: what `manual` waits for)."""
    if refusal := _single_process(request):
        return refusal
    spec = await _json_body(request)
    if isinstance(spec, JSONResponse):
        return spec
    lifecycle: Lifecycle = request.app.lifecycle
    try:
        if not isinstance(spec, dict) or not spec:
            raise LifecycleError(
                'a transition is a JSON object: {"vendor", "id", "state"} or {"timing"}'
            )
        unknown = sorted(str(k) for k in spec if k not in TRANSITION_FIELDS)
        if unknown:
            raise LifecycleError(
                f"unknown field(s) {', '.join(clip(k) for k in first(unknown))}; "
                f"a transition takes {', '.join(TRANSITION_FIELDS)}"
            )
        timing = _text(spec, "timing")
        vendor, kind, key, state = (_text(spec, n) for n in ("vendor", "kind", "id", "state"))
        if timing is not None:
            try:
                chosen = Timing.parse(timing)
            except ValueError as exc:
                raise LifecycleError(str(exc)) from None
        if timing is None and (vendor is None or key is None):
            raise LifecycleError("a transition names the vendor and the id of a resource")
        if vendor is not None or key is not None:
            if vendor is None or key is None:
                raise LifecycleError("a transition names the vendor and the id of a resource")
            found = lifecycle.kind(vendor, kind)
            held = request.app.store.records[vendor][found.collection].get((key,))
            if held is None:
                return _error(404, "NotFound", f"no {found.name} {clip(key)!r} is held by {vendor}")
            before = held[found.state]
            if timing is not None:
                lifecycle.timing = chosen
            record = lifecycle.force(vendor, found, key, state)
            return JSONResponse(
                {
                    "vendor": vendor,
                    "kind": found.name,
                    "id": key,
                    "from": before,
                    "to": None if record is None else record[found.state],
                    "record": record,
                }
            )
        lifecycle.timing = chosen
    except LifecycleError as exc:
        return _error(400, "InvalidTransition", str(exc), allowed=list(exc.allowed))
    except FixtureError as exc:
        problems = first([clip(str(p), PROBLEM_LIMIT) for p in exc.problems])
        return _error(409, "InvalidRecord", problems[0], problems=problems)
    return JSONResponse(lifecycle_state(lifecycle))


routes += [
    Route("/_mock/clock", get_clock, methods=["GET"], name="mock.clock"),
    Route("/_mock/clock", change_clock, methods=["POST"], name="mock.change_clock"),
    Route("/_mock/transitions", transitions, methods=["GET"], name="mock.transitions"),
    Route("/_mock/transitions", add_transition, methods=["POST"], name="mock.add_transition"),
    Route("/_mock/state", get_state, methods=["GET"], name="mock.state"),
    Route("/_mock/state", put_state, methods=["PUT"], name="mock.put_state"),
    Route("/_mock/state/save", save_state, methods=["POST"], name="mock.save_state"),
    Route("/_mock/snapshots", snapshots, methods=["GET"], name="mock.snapshots"),
    Route("/_mock/snapshots/{name}", take_snapshot, methods=["POST"], name="mock.snapshot"),
    Route(
        "/_mock/snapshots/{name}/restore",
        restore_snapshot,
        methods=["POST"],
        name="mock.restore_snapshot",
    ),
    Route(
        "/_mock/snapshots/{name}", delete_snapshot, methods=["DELETE"], name="mock.delete_snapshot"
    ),
]
