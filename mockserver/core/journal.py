"""The request journal: what clients asked and what the mock answered, oldest first.

A pure ASGI middleware (no body buffering) that records each vendor request once its
response has started. Control-plane requests (/_mock/...) are not recorded. A refusal
by the mock's own rules keeps its diagnosis (core.errors.Diagnosis). Secrets in
the auth headers are masked; the parts a test wants to assert on (scheme, key id,
signed headers) stay readable.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.core.errors import Diagnosis
from mockserver.core.masking import MASK, mask_header, secret_body_key, secret_query_key

AUTH_HEADERS = (
    "authorization",
    "x-api-key",
    "x-auth-token",
    "x-security-token",
    "x-acs-security-token",
    "x-acs-bearer-token",
    "x-acs-accesskey-id",
    "x-acs-date",
    "x-acs-action",
    "x-acs-version",
    "x-sdk-date",
    "x-project-id",
    "x-dashscope-workspace",
)
Describe = Callable[[Scope], tuple[str | None, str | None]]


def auth_headers(headers: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        if name in AUTH_HEADERS:
            found[name] = mask_header(name, raw_value.decode("latin-1"))
    return found


SHOWN_HEADERS = frozenset(name.encode() for name in AUTH_HEADERS)
BUDGET = 8 * 2**20  # bytes of paths, queries and headers kept, besides the entry count
ENTRY_OVERHEAD = 400  # the tuple, its floats and the strings' object headers
CLIP = 4096  # bytes of a request's body, and of its answer, kept for a watcher


class Tap:
    """Keeps the first CLIP bytes of a request's body and of its answer as they pass.

    Made only while someone watches; `receive` and `send` stand in for the server's.
    """

    __slots__ = ("_receive", "_send", "answer", "body", "limit")

    def __init__(self, receive: Receive, send: Send, limit: int = CLIP) -> None:
        self._receive, self._send, self.limit = receive, send, limit
        self.body = bytearray()
        self.answer = bytearray()

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request" and len(self.body) <= self.limit:
            self.body += message.get("body", b"")[: self.limit + 1 - len(self.body)]
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body" and len(self.answer) <= self.limit:
            self.answer += message.get("body", b"")[: self.limit + 1 - len(self.answer)]
        await self._send(message)


Watcher = Callable[[tuple[Any, ...], Scope, Tap | None], None]


class Journal:
    """A bounded, in-memory record of requests: at most `size` entries and `budget` bytes.

    A request costs one flat tuple of what was already at hand (strings, bytes and
    numbers, which the garbage collector stops tracking; a kept scope would make every
    collection walk a thousand requests' worth of dicts), with only the headers the
    journal shows. The entries are written out (times, query, masked headers) only when
    someone reads them. Past the byte budget the oldest go first, so requests with heads
    of 64 KB cannot make a thousand entries hold 64 MB.
    """

    def __init__(
        self,
        size: int,
        describe: Describe = lambda scope: (None, None),
        budget: int = BUDGET,
    ) -> None:
        self.entries: deque[tuple[Any, ...]] = deque()
        self.size = size
        self.budget = budget
        self.held = 0  # bytes counted for the entries kept now
        self.describe = describe  # scope -> (vendor, operation), when the caller cannot say
        # called with each entry as it is kept (the console's feed); while this is empty
        # no request's body or answer is tapped
        self.watchers: list[Watcher] = []

    def record(
        self,
        when: float,
        scope: Scope,
        status: int,
        duration: float,
        described: tuple[str | None, str | None] | None = None,
        tap: Tap | None = None,
    ) -> None:
        """Keep one answered request; `described` is its (vendor, operation) if known,
        `tap` what was seen of its body and answer (for the watchers)."""
        state = scope.get("state") or {}
        path, query = scope["path"], scope.get("query_string", b"")
        headers = tuple(h for h in scope.get("headers", ()) if h[0] in SHOWN_HEADERS)
        cost = ENTRY_OVERHEAD + len(path) + len(query) + sum(len(n) + len(v) for n, v in headers)
        params = tuple((scope.get("path_params") or {}).items())
        body = kept_body(state["body"]) if "body" in state else None
        cost += sum(len(k) + len(str(v)) for k, v in params) + (len(body[0] or b"") if body else 0)
        diagnosis = state.get("diagnosis")
        if diagnosis is not None:
            cost += diagnosis.size()
        entries = self.entries
        entries.append(
            (
                when,
                scope["method"],
                path,
                query,
                headers,
                status,
                duration,
                described or self.describe(scope),
                state.get("request_id"),
                state.get("fault"),
                params,
                body,
                state.get("error"),
                state.get("auth"),
                diagnosis,
                cost,
            )
        )
        self.held += cost
        while len(entries) > self.size or (self.held > self.budget and len(entries) > 1):
            self.held -= entries.popleft()[-1]
        for watcher in self.watchers:
            watcher(entries[-1], scope, tap)

    def clear(self) -> None:
        self.entries.clear()
        self.held = 0

    def list(self) -> list[dict[str, Any]]:
        return [_entry(*raw[:-1]) for raw in list(self.entries)]

    @staticmethod
    def format(raw: tuple[Any, ...]) -> dict[str, Any]:
        """One kept entry as `list` shows it."""
        return _entry(*raw[:-1])


def _entry(
    when: float,
    method: str,
    path: str,
    query: bytes,
    headers: Sequence[tuple[bytes, bytes]],
    status: int,
    duration: float,
    described: tuple[str | None, str | None],
    request_id: str | None,
    fault: dict[str, Any] | None,
    params: tuple[tuple[str, Any], ...] = (),
    body: tuple[bytes | None, int] | None = None,
    error: str | None = None,
    auth: str | None = None,
    diagnosis: Diagnosis | None = None,
) -> dict[str, Any]:
    return {
        "time": datetime.fromtimestamp(when, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "method": method,
        "path": path,
        "query": _query(query),
        "headers": auth_headers(headers),
        "status": status or None,  # 0: nothing answered (a connection reset on purpose)
        "vendor": described[0],
        "operation": described[1],
        "request_id": request_id,
        "fault": fault,
        "diagnosis": diagnosis.as_json() if diagnosis is not None else None,
        "duration_ms": round(duration * 1000, 3),
        "path_params": dict(params),
        # a write's JSON body, secrets masked; None with body_bytes set when too large
        "body": json.loads(body[0]) if body and body[0] is not None else None,
        "body_bytes": body[1] if body else None,
        "error": error,  # the vendor's error code the answer carried
        "auth": auth,  # the credential check: "ok", "refused", None when not made
    }


BODY_KEPT = 16 * 1024  # bytes of a write's body (as JSON, masked) an entry keeps


def kept_body(body: Any) -> tuple[bytes | None, int]:
    """A write's parsed body as the journal keeps it: (masked JSON, its size), or (None,
    size) past BODY_KEPT. Bytes, not the parsed object: one flat value per entry."""
    text = json.dumps(_masked(body), ensure_ascii=False, separators=(",", ":")).encode()
    return (text if len(text) <= BODY_KEPT else None), len(text)


def _masked(value: Any) -> Any:
    """`value` with the values of secret-looking keys (`password`, `AccessKeySecret`,
    `api_key`, ...) masked. Bodies nest at most 32 levels (core.bodies)."""
    if isinstance(value, dict):
        return {k: MASK if secret_body_key(str(k)) else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


class JournalMiddleware:
    def __init__(self, app: ASGIApp, journal: Journal) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # the control plane and a browser's icon request are not the traffic under test
        if scope["type"] != "http" or scope["path"].startswith(("/_mock", "/favicon.ico")):
            await self.app(scope, receive, send)
            return
        when = time.time()
        started = time.perf_counter()
        status = 500
        tap = Tap(receive, send) if self.journal.watchers else None
        if tap is not None:
            receive, send = tap.receive, tap.send

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            self.journal.record(when, scope, status, time.perf_counter() - started, tap=tap)


def _query(raw: bytes) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {}
    for key, shown in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        value = MASK if secret_query_key(key) else shown
        if key not in values:
            values[key] = value
        else:
            previous = values[key]
            values[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
    return values
