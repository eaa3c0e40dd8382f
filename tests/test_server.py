"""The uvicorn set-up: each response's head goes out with its body, nothing is lost, and
a request that is not HTTP still gets JSON."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
import pytest

from mockserver import MockServer
from mockserver.core.schemas import Schemas
from mockserver.server import _HeadWithBody
from mockserver.vendors import VENDORS
from tests.conftest import BAD_REQUEST_CODE, assert_refused_with_400

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recorder:
    """A transport that records what reaches the socket."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else None


@pytest.mark.anyio
async def test_head_and_body_leave_in_one_write() -> None:
    recorder = Recorder()
    transport = _HeadWithBody(recorder)
    transport.write(HEAD)
    assert recorder.writes == []
    transport.write(b"{}")
    assert recorder.writes == [HEAD + b"{}"]
    await asyncio.sleep(0)  # the end-of-iteration flush finds nothing left to send
    assert recorder.writes == [HEAD + b"{}"]


@pytest.mark.anyio
async def test_a_head_without_body_leaves_by_the_end_of_the_iteration() -> None:
    recorder = Recorder()
    transport = _HeadWithBody(recorder)
    transport.write(HEAD)  # e.g. the answer to a HEAD request, or 100 Continue
    await asyncio.sleep(0)
    assert recorder.writes == [HEAD]


@pytest.mark.anyio
async def test_close_sends_what_is_held_first() -> None:
    recorder = Recorder()
    transport = _HeadWithBody(recorder)
    transport.write(HEAD)
    transport.close()
    assert recorder.writes == [HEAD]
    assert recorder.closed


@pytest.mark.anyio
async def test_other_writes_pass_straight_through_and_attributes_delegate() -> None:
    recorder = Recorder()
    transport = _HeadWithBody(recorder)
    transport.write(b"5\r\nhello\r\n")
    assert recorder.writes == [b"5\r\nhello\r\n"]
    assert transport.get_extra_info("peername") == ("127.0.0.1", 1)


def exchange(port: int, request: bytes, responses: int, bodies: bool = True) -> bytes:
    """Send raw bytes; read until `responses` complete answers arrived (bounded)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while data.count(b"HTTP/1.1 ") < responses or not _complete(data, bodies):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def _complete(data: bytes, bodies: bool) -> bool:
    """Whether the last answer has its whole head (and body, unless bodies is False)."""
    last = data.rsplit(b"HTTP/1.1 ", 1)[1]
    head, end, body = last.partition(b"\r\n\r\n")
    if not end or not bodies:
        return bool(end)
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


@pytest.fixture(scope="module")
def served() -> Any:
    with MockServer() as server:
        yield server


def test_pipelined_requests_are_answered_in_order(served: MockServer) -> None:
    get = b"GET /api/v1/deployments HTTP/1.1\r\nHost: x\r\n\r\n"
    missing = b"GET /api/v1/models/nope HTTP/1.1\r\nHost: x\r\n\r\n"
    data = exchange(served.port, get + missing + get, responses=3)
    statuses = [part[:3] for part in data.split(b"HTTP/1.1 ")[1:]]
    assert statuses == [b"200", b"404", b"200"]


def test_head_requests_get_their_headers(served: MockServer) -> None:
    request = b"HEAD /api/v1/deployments HTTP/1.1\r\nHost: x\r\n\r\n"
    data = exchange(served.port, request, 1, bodies=False)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"content-type: application/json" in head
    assert body == b""


def test_expect_continue_then_the_answer(served: MockServer) -> None:
    request = (
        b"POST /_mock/reset HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
        b"Expect: 100-continue\r\n\r\n"
    )
    data = exchange(served.port, request, 1)
    assert b"HTTP/1.1 200 OK" in data


def test_every_vendor_has_a_bad_request_case() -> None:
    assert set(BAD_REQUEST_CODE) == {vendor.name for vendor in VENDORS}


def split(data: bytes) -> tuple[bytes, Any]:
    head, _, body = data.partition(b"\r\n\r\n")
    return head, json.loads(body)


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda vendor: vendor.name)
def test_a_request_the_parser_rejects_gets_the_vendors_json_400(
    served: MockServer, schemas: Schemas, vendor: Any
) -> None:
    # an unencoded space ends the request target early: not HTTP/1.1
    path = f"{vendor.prefixes[0]}/two words"
    data = exchange(served.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 1)
    head, body = split(data)
    assert_refused_with_400(schemas, vendor, head, body)
    assert "percent-encode spaces" in data.decode()

    journal = httpx.get(served.url_for("/_mock/requests")).json()["requests"]
    assert journal[-1]["path"] == f"{vendor.prefixes[0]}/two"
    assert (journal[-1]["method"], journal[-1]["status"]) == ("GET", 400)
    assert journal[-1]["vendor"] == vendor.name


def test_bytes_that_are_no_request_at_all_get_plain_json(served: MockServer) -> None:
    head, body = split(exchange(served.port, b"NONSENSE\r\n\r\n", 1))
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\ncontent-type: application/json" in head
    assert body["code"] == "BadRequest"
    assert "not valid HTTP/1.1" in body["message"]


def test_an_upgrade_header_is_ignored_and_the_request_answered(served: MockServer) -> None:
    request = (
        b"GET /api/v1/deployments HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
        b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    head, body = split(exchange(served.port, request, 1))
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\ncontent-type: application/json" in head
    assert body["output"]["deployments"]


# --- the sweep: head and keep-alive deadlines without a timer per request ---------------


class Idle(Recorder):
    """A transport for a protocol driven by hand (reading paused or resumed: nothing)."""

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def connection(
    loop: asyncio.AbstractEventLoop, head_timeout: float = 15.0, keep_alive: int = 5
) -> tuple[Any, Idle]:
    """The mock's protocol on a fake transport, as `serve` sets it up."""
    import uvicorn
    from uvicorn.server import ServerState

    from mockserver import create_app
    from mockserver.server import HttpTools, options

    config = uvicorn.Config(
        create_app(), timeout_keep_alive=keep_alive, **{**options("warning"), "http": "auto"}
    )
    config.load()
    protocol = HttpTools(
        config=config,
        server_state=ServerState(),
        app_state={},
        _loop=loop,
        head_timeout=head_timeout,
    )
    transport = Idle()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol, transport


def test_a_kept_alive_connection_is_closed_once_idle_for_the_keep_alive_time() -> None:
    loop = asyncio.new_event_loop()
    try:
        protocol, transport = connection(loop, keep_alive=5)
        protocol.data_received(b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        loop.run_until_complete(asyncio.sleep(0.05))  # answered
        assert transport.writes and transport.writes[0].startswith(b"HTTP/1.1 200 ")
        answered = loop.time()
        protocol.overdue(answered + 4.9)
        assert not transport.closed
        protocol.overdue(answered + 5.0)
        assert transport.closed
    finally:
        loop.close()


def test_a_request_arriving_in_time_is_not_closed_as_idle() -> None:
    loop = asyncio.new_event_loop()
    try:
        protocol, transport = connection(loop, keep_alive=5)
        request = b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
        protocol.data_received(request)
        loop.run_until_complete(asyncio.sleep(0.05))
        protocol.data_received(request[:10])  # the next request begins: no longer idle
        protocol.overdue(loop.time() + 5.0)
        assert not transport.closed
        protocol.overdue(loop.time() + 15.0)  # but its head must be complete in time
        assert transport.closed
    finally:
        loop.close()


def test_a_head_is_late_only_when_no_earlier_answer_is_awaited() -> None:
    loop = asyncio.new_event_loop()
    try:
        protocol, transport = connection(loop, head_timeout=1.0)
        started = loop.time()
        protocol.overdue(started + 0.9)
        assert not transport.closed
        protocol._running = type("Cycle", (), {"response_complete": False})()
        protocol.overdue(started + 1.0)  # an answer is awaited: its time does not count
        assert not transport.closed
        protocol._running = None
        protocol.overdue(started + 1.5)  # the deadline restarted at the previous look
        assert not transport.closed
        protocol.overdue(started + 2.0)
        assert transport.closed
    finally:
        loop.close()


def test_the_sweep_looks_at_the_servers_connections_while_there_are_any() -> None:
    from mockserver.server import Sweep

    looked: list[float] = []

    class Connection:
        def overdue(self, now: float) -> None:
            looked.append(now)

    loop = asyncio.new_event_loop()
    try:
        connections: set[Any] = {Connection(), Connection()}
        sweep = Sweep(loop, connections, 0.25)
        sweep.watch()
        first = sweep._timer
        sweep.watch()  # one timer, however many connections are made
        assert first is not None and sweep._timer is first
        sweep._sweep()  # what the timer runs: each connection is looked at once
        assert len(looked) == 2 and looked[0] == looked[1]
        assert sweep._timer is not None and sweep._timer is not first  # and again later
        first.cancel()
        sweep._timer.cancel()
        connections.clear()
        sweep._sweep()
        assert len(looked) == 2 and sweep._timer is None  # none left: the sweep stops
        sweep.watch()  # a new connection starts it again
        assert sweep._timer is not None
        sweep._timer.cancel()
    finally:
        loop.close()


# --- the request scope, made as uvicorn makes it -----------------------------------------

REQUESTS = [
    b"GET /api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92/versions?PageSize=10 HTTP/1.1\r\n"
    b"Host: localhost\r\n\r\n",
    b"GET /api/v1/models/a%2Fb%25c/versions HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"HEAD /api/v1/deployments HTTP/1.0\r\nHost: localhost\r\n\r\n",
    b"POST /v1/workspaces/w/models?x=%20&y HTTP/1.1\r\nHost: l\r\nContent-Length: 2\r\n\r\n{}",
]


def _scope_seen(protocol_class: Any, request: bytes) -> dict[str, Any]:
    """The scope an app is handed for `request` by `protocol_class` (and what it wrote)."""
    import uvicorn
    from uvicorn.server import ServerState

    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope, body=await receive())
        headers = [(b"content-length", b"2"), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    loop = asyncio.new_event_loop()
    try:
        config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False)
        config.load()
        state = ServerState()
        protocol = protocol_class(config=config, server_state=state, app_state={}, _loop=loop)
        transport = Idle()
        protocol.connection_made(transport)
        protocol.data_received(request)
        loop.run_until_complete(asyncio.sleep(0.02))
        seen.pop("state")
        seen["client"] = None  # the fake transport's peer, the same for both
        written = b"".join(transport.writes).split(b"\r\n")
        return {**seen, "answer": [line for line in written if not line.startswith(b"date:")]}
    finally:
        loop.close()


@pytest.mark.parametrize("request_bytes", REQUESTS)
def test_the_app_gets_the_scope_uvicorn_makes(request_bytes: bytes) -> None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from mockserver.server import HttpTools

    ours = _scope_seen(HttpTools, request_bytes)
    assert ours == _scope_seen(HttpToolsProtocol, request_bytes)
    assert ours["method"] in ("GET", "HEAD", "POST") and ours["answer"][0] == b"HTTP/1.1 200 OK"


def test_the_memos_of_paths_and_targets_stay_within_their_bytes() -> None:
    from mockserver import server

    for n in range(3000):  # 3000 distinct paths of 1 KB: 3 MB of client input
        raw = b"/api/v1/models/" + b"%41" * 330 + str(n).encode()
        assert server.decoded_path(raw) == "/api/v1/models/" + "A" * 330 + str(n)
        shown = raw.decode() + "?Signature=****"
        assert len(shown) <= server.TARGET_SHOWN  # a whole target, its secret masked
        assert server.shown_target(raw, b"Signature=abc") == shown
        assert server._DECODED.size <= server._DECODED.budget
        assert server._SHOWN.size <= server._SHOWN.budget
    assert 0 < len(server._DECODED) < 3000 and 0 < len(server._SHOWN) < 3000
