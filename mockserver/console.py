"""The console's live stream, GET /_mock/events (text/event-stream), and its own assets.

The page at /_mock/ (pages.py) listens here instead of polling. Events, each one JSON:

- `hello`     at the start: the version, the clock, the fault rules, the collections
- `request`   each vendor request journaled (core.journal's entry, plus `id`, and
              `sent` and `answer`: its body and answer as far as core.feed shows them)
- `skipped`   `{"skipped": N}`: requests this page fell too far behind to be sent
- `changed`   `{"vendor", "collection"}`: records there were added, replaced or removed
- `clock`     the mock's clock, when it was set, frozen or moved
- `faults`    the fault rules, when they changed (added, retired, used up)

A comment line every HEARTBEAT_S seconds tells the browser the stream is alive. The
server holds a bounded backlog per page (core.feed.Subscriber), whatever the page reads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mockserver._version import __version__
from mockserver.admin import _error
from mockserver.core.feed import Feed
from mockserver.core.jsonbytes import dumps

STATIC = Path(__file__).parent / "static"
TICK_S = 1  # how often the clock and the fault rules are looked at
HEARTBEAT_S = 15  # a comment line this often keeps proxies and the browser informed
BATCH_S = 0.05  # requests arriving this close together go out in one write
RETRY_MS = 2000  # how soon a browser reconnects after the stream broke


def event(name: str, data: Any) -> bytes:
    """One server-sent event: JSON has no raw newlines, so it is one `data:` line."""
    return b"event: " + name.encode() + b"\ndata: " + dumps(data) + b"\n\n"


def clock_state(app: Any) -> dict[str, Any]:
    clock = app.clock
    now = clock.time()
    return {
        "now": datetime.fromtimestamp(now, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "time": round(now, 3),
        "frozen": clock.frozen,
        "offset_s": round(now - time.time(), 1),
    }


def clock_moved(before: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether the clock was frozen, unfrozen, set or moved (by half a second or more)
    between two looks: a frozen one compared by its reading, a running one by its offset
    from real time."""
    if before["frozen"] != now["frozen"]:
        return True
    field = "time" if now["frozen"] else "offset_s"
    return bool(abs(before[field] - now[field]) >= 0.5)


async def events(request: Request) -> Response:
    feed: Feed = request.app.feed
    if len(feed.subscribers) >= feed.limit:
        return _error(
            503,
            "TooManyConsoles",
            f"{feed.limit} consoles are watching already; close one and reload.",
        )
    return StreamingResponse(
        _stream(request.app),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(app: Any) -> AsyncIterator[bytes]:
    """The page's events until it goes: what its subscriber gathered, each batch in one write."""
    feed: Feed = app.feed
    subscriber = feed.subscribe()  # here, so the finally below always lets it go
    try:
        clock = clock_state(app)
        rules = app.faults.listing()
        loaded = app.store.loaded
        hello = {
            "version": __version__,
            "clock": clock,
            "faults": rules,
            "records": app.store.counts(),
        }
        yield f"retry: {RETRY_MS}\n\n".encode() + event("hello", hello)
        quiet = 0
        while True:
            try:
                await asyncio.wait_for(subscriber.wake.wait(), TICK_S)
                await asyncio.sleep(BATCH_S)
            except TimeoutError:
                pass
            skipped, requests, changed = subscriber.take()
            parts = [event("skipped", {"skipped": skipped})] if skipped else []
            parts += [event("request", entry) for entry in requests]
            if app.store.loaded is not loaded:  # every record replaced at once
                loaded = app.store.loaded
                changed = [(v, c) for v, cols in app.store.counts().items() for c in cols]
            parts += [event("changed", {"vendor": v, "collection": c}) for v, c in changed]
            now = clock_state(app)
            if clock_moved(clock, now):
                parts.append(event("clock", now))
                clock = now
            listed = app.faults.listing()
            if listed != rules:
                parts.append(event("faults", {"faults": listed}))
            rules = listed
            if parts:
                quiet = 0
                yield b"".join(parts)
            else:
                quiet += TICK_S
                if quiet >= HEARTBEAT_S:
                    quiet = 0
                    yield b": alive\n\n"
    finally:
        feed.unsubscribe(subscriber)


routes = [
    Route("/_mock/events", events, methods=["GET"], name="mock.events"),
    Mount("/_mock/static/console", app=StaticFiles(directory=STATIC), name="mock.console"),
]
