"""uvicorn, set up for the mock: our logger beside uvicorn's, a 'listening on' line, and
an access log of our own, cheap enough to stay on by default."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import logging
import multiprocessing
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from functools import partial
from typing import Any
from urllib.parse import quote_from_bytes, unquote

import httptools
import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from mockserver.core.bounded import Bounded
from mockserver.core.masking import mask_query
from mockserver.core.transport import CONNECTION
from mockserver.pages import welcome

log = logging.getLogger("mockserver")

# The largest request head (request line and headers) read: 64 KiB, as API gateways
# allow (AWS ALB's 64 KB of headers; nginx refuses far less). A larger one is refused
# (the vendor's 400, else 431) before it is all read: no client can make the server
# hold headers of any size.
MAX_HEAD = 64 * 1024
HEAD_TOO_LARGE = (
    f"The request line and headers together are larger than the {MAX_HEAD} bytes the "
    "mock accepts; an API gateway refuses such requests too."
)
# A connection gets this long to deliver a complete request head (from connecting, or
# from the first byte of its next request): a client that sends nothing, or a head byte
# by byte, cannot hold a connection forever (slowloris). `serve --head-timeout` sets it.
HEAD_TIMEOUT = 15.0  # the `--head-timeout` help repeats it: keep both alike
# How long SIGTERM or Ctrl+C waits for requests in flight (an `X-Mock-Delay-Ms` can last
# a minute) before their connections are closed.
GRACEFUL_SHUTDOWN = 3


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's own logging set-up, with the `mockserver` logger added."""
    config: dict[str, Any] = {**LOGGING_CONFIG, "loggers": dict(LOGGING_CONFIG["loggers"])}
    config["loggers"]["mockserver"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def options(level: str, head_timeout: float = HEAD_TIMEOUT) -> dict[str, Any]:
    """What every uvicorn the mock runs is given: `serve`, its workers and MockServer."""
    return {
        "log_level": level,
        "access_log": access_log(level),
        # Clients call the mock directly: no X-Forwarded-* rewriting (docs/decisions.md).
        "proxy_headers": False,
        # a partial, not a subclass made here: worker processes get the config pickled
        "http": partial(HttpTools, head_timeout=head_timeout),
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN,
        # No endpoint is a WebSocket: an Upgrade header is ignored, as by the vendors' REST
        # gateways, instead of uvicorn refusing the handshake with an empty text/plain 403.
        "ws": "none",
    }


def access_log(level: str) -> bool:
    """Access lines only where they show (`info` and below): the protocol then writes its
    own (see AccessLog), never uvicorn's, which go through the logging machinery."""
    return level.lower() in ("trace", "debug", "info")


# --- the access log -------------------------------------------------------------------

ACCESS_FLUSH_S = 0.05  # a line is on the terminal this long after its answer, at most
ACCESS_LINES_HELD = 256  # then they are written at once: the buffer stays small
TARGET_SHOWN = 1024  # bytes of a request target shown in its line, then "..."
VISIBLE = "".join(map(chr, range(0x21, 0x7F)))  # printable ASCII but the space


def shown_target(raw_path: bytes, query: bytes) -> str:
    """The request target as the client sent it, secrets masked, bounded in length, and
    with anything a terminal could act on percent-encoded (a log is no escape channel).

    Made once per distinct target: clients repeat their requests, and masking and
    escaping cost as much as the rest of the line."""
    key = (raw_path, query)
    shown = _SHOWN.get(key)
    if shown is None:
        shown = _SHOWN.put(key, _shown_target(raw_path, query))
    return shown


# the targets shown lately, bounded in bytes (the keys are what clients send)
_SHOWN: Bounded[tuple[bytes, bytes], str] = Bounded(2**20)


def _shown_target(raw_path: bytes, query: bytes) -> str:
    # secrets in the query (Signature=, api_key=, ...) masked as in the journal
    target = raw_path + b"?" + mask_query(query).encode("latin-1") if query else raw_path
    if len(target) > TARGET_SHOWN:
        target = target[:TARGET_SHOWN] + b"..."
    text = target.decode("latin-1")
    if text.isascii() and text.isprintable() and " " not in text:
        return text or "-"  # nothing read of it: a request the parser rejected
    return quote_from_bytes(target, safe=VISIBLE)


def operation(scope: Any) -> str:
    """`vendor.Operation` (or `mock.<endpoint>`) of the route that answered, else '-'."""
    route = scope.get("route")
    name = getattr(route, "name", None)
    if name and scope["method"] in (getattr(route, "methods", None) or ()):
        return str(name)
    return "-"


def client_of(address: Any) -> str:
    """host:port of a connection's client, as uvicorn shows it ('-' on a Unix socket)."""
    return f"{address[0]}:{address[1]}" if address else "-"


def access_line(who: str, scope: Any, status: int, ms: float | None) -> str:
    """One request: client, request line, status (`-` for a connection reset before any
    answer), operation, milliseconds to the answer.

    uvicorn's line, plus what a person reading a mock's log asks next: which emulated
    operation answered, and how long it took."""
    took = "-" if ms is None else f"{ms:.2f} ms"
    return (
        f'{who} - "{scope["method"]} {shown_target(scope["raw_path"], scope["query_string"])}'
        f' HTTP/{scope["http_version"]}" {status or "-"} {operation(scope)} {took}\n'
    )


class AccessLog:
    """Access lines gathered and written to stderr a batch at a time.

    Through `logging` each line cost a record, a formatter, a handler lock and a flush
    (a system call) per request: a third of the mock's throughput. Here a line is one
    f-string; a batch is written once ACCESS_LINES_HELD lines wait or ACCESS_FLUSH_S
    after its first line, whichever comes first, so a person watching sees each request
    at once, and at shutdown (and exit) whatever waits is written.
    """

    __slots__ = ("__weakref__", "_loop", "_lines", "_timer", "_prefix")

    def __init__(self, loop: asyncio.AbstractEventLoop, colour: bool = False) -> None:
        self._loop = loop
        self._lines: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        # uvicorn's level prefix, green on a terminal as its other lines are
        self._prefix = ("\x1b[32mINFO\x1b[0m" if colour else "INFO") + ":     "
        LIVE.add(self)

    def add(self, line: str) -> None:
        lines = self._lines
        lines.append(self._prefix + line)
        if len(lines) >= ACCESS_LINES_HELD:
            self.flush()
        elif self._timer is None:
            self._timer = self._loop.call_later(ACCESS_FLUSH_S, self.flush)

    def flush(self) -> None:
        """Write what waits; a stderr that is gone (a closed pipe) drops the lines
        rather than stopping the server."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        text, self._lines = "".join(self._lines), []
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


LIVE: weakref.WeakSet[AccessLog] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    """No line is lost at exit, in worker processes (uvicorn's own Server) included."""
    for access in list(LIVE):
        access.flush()


def access_log_of(state: Any, loop: asyncio.AbstractEventLoop) -> AccessLog:
    """The access log of one server (its state, shared by its connections)."""
    access: AccessLog | None = getattr(state, "mock_access_log", None)
    if access is None:
        access = AccessLog(loop, colour=_is_terminal(sys.stderr))
        state.mock_access_log = access
    return access


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Server(uvicorn.Server):
    """uvicorn's server, saying where the mock listens once the socket is bound, and
    ending quietly on Ctrl+C or SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """uvicorn re-raises the signal that stopped it once it has shut down, which for
        Ctrl+C is a KeyboardInterrupt traceback (and `make: *** Interrupt`). The server
        has stopped as asked: `stopped_by` keeps the signals for whoever wants them."""
        with super().capture_signals():
            yield
            self.stopped_by = tuple(self._captured_signals)
            self._captured_signals.clear()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            log.info("mockserver listening on %s (health: %s/_mock/health)", self.url, self.url)
            log.info("%s", welcome(self.url))

    async def shutdown(self, sockets: Any = None) -> None:
        await super().shutdown(sockets)
        access: AccessLog | None = getattr(self.server_state, "mock_access_log", None)
        if access is not None:
            access.flush()

    @property
    def url(self) -> str:
        host, port = self.config.host, self.config.port
        if self.servers and self.servers[0].sockets:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"


class _Flusher:
    """The heads one server holds in a loop iteration, all flushed by one callback at its
    end rather than one callback per response (most have left with their body by then)."""

    __slots__ = ("_held", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._held: list[_HeadWithBody] = []
        self._loop = loop

    def soon(self, transport: _HeadWithBody) -> None:
        if not self._held:
            (self._loop or asyncio.get_running_loop()).call_soon(self._flush)
        self._held.append(transport)

    def _flush(self) -> None:
        held, self._held = self._held, []
        for transport in held:
            if transport._held is not None:
                transport.flush()


class _HeadWithBody:
    """A transport that sends a response's head in the same write as its body.

    uvicorn writes the status line and headers, then the body: two system calls and two
    TCP segments per response, the largest single cost of a small JSON answer. The head
    is held until the next write (its body) or, at the latest, the end of the current
    loop iteration, so nothing waits on it (a HEAD answer has no body write).
    """

    __slots__ = ("_transport", "_held", "_flusher", "status")

    def __init__(self, transport: Any, flusher: _Flusher | None = None) -> None:
        self._transport = transport
        self._held: bytes | None = None
        self._flusher = flusher or _Flusher()
        self.status = 0  # of the last head written, for the access line

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif data.endswith(b"\r\n\r\n") and data.startswith(b"HTTP/"):
            self._held = data
            self.status = int(data[9:12])
            self._flusher.soon(self)
        else:
            self._transport.write(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:  # asked a few times per request: not via __getattr__
        return bool(self._transport.is_closing())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


HOST_LINE = re.compile(rb"\n[ \t]*host[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)


def host_line(data: bytes) -> bytes | None:
    """The Host header's value in raw request bytes the parser gave up on, if it is there."""
    found = HOST_LINE.search(data)
    return found.group(1).strip() if found else None


def decoded_path(raw_path: bytes) -> str:
    """A request's path as uvicorn puts it in the scope (percent-escapes decoded), made
    once per distinct path: clients repeat their requests."""
    path = _DECODED.get(raw_path)
    if path is None:
        path = raw_path.decode("ascii")
        if "%" in path:
            path = unquote(path)
        _DECODED.put(raw_path, path)
    return path


# the paths decoded lately, bounded in bytes (the keys are what clients send)
_DECODED: Bounded[bytes, str] = Bounded(2**20)


class Sweep:
    """One server's connections looked at every `period` seconds: a head that is late
    and a kept-alive connection left idle are closed.

    One timer per server instead of two armed and cancelled per request (the head's and
    uvicorn's keep-alive timer), a tenth of the work a small answer costs. A deadline is
    then kept within `period` (a quarter of the shortest timeout, at most a second).
    """

    __slots__ = ("_connections", "_loop", "_timer", "period")

    def __init__(self, loop: asyncio.AbstractEventLoop, connections: Any, period: float) -> None:
        self._loop = loop
        self._connections = connections  # uvicorn's set of the server's open connections
        self._timer: asyncio.TimerHandle | None = None
        self.period = period

    def watch(self) -> None:
        """Make sure the sweep runs (a connection was made)."""
        if self._timer is None:
            self._timer = self._loop.call_later(self.period, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        now = self._loop.time()
        for connection in list(self._connections):
            overdue = getattr(connection, "overdue", None)
            if overdue is not None:
                overdue(now)
        if self._connections:
            self.watch()


def sweep_of(state: Any, loop: asyncio.AbstractEventLoop, *timeouts: float) -> Sweep:
    """The sweep of one server (its state, shared by its connections)."""
    sweep: Sweep | None = getattr(state, "mock_sweep", None)
    if sweep is None:
        sweep = Sweep(loop, state.connections, min(1.0, min(timeouts) / 4))
        state.mock_sweep = sweep
    return sweep


def flusher_of(state: Any, loop: asyncio.AbstractEventLoop) -> _Flusher:
    """The end-of-iteration flush of held heads of one server."""
    flusher: _Flusher | None = getattr(state, "mock_flusher", None)
    if flusher is None:
        flusher = state.mock_flusher = _Flusher(loop)
    return flusher


class HttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol: each response's head written with its body; our
    access line (with the operation and time) instead of uvicorn's; request heads bounded
    in size and in time; pipelined requests answered before a malformed one; requests
    cut short by shutdown ended without a traceback."""

    _fed = b""  # the bytes last handed to the parser, for a rejected request's Host

    def __init__(self, *args: Any, head_timeout: float = HEAD_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shown = self.access_log and self.access_logger.isEnabledFor(logging.INFO)
        self.access = access_log_of(self.server_state, self.loop) if shown else None
        self.access_log = False  # uvicorn's per-request logging call: never
        self.head_timeout = head_timeout
        # since when a request head is awaited, and since when the connection is idle
        # after an answer (uvicorn's keep-alive); the server's sweep closes it when late
        self._head_since: float | None = None
        self._idle_since: float | None = None
        self._sweep = sweep_of(self.server_state, self.loop, head_timeout, self.timeout_keep_alive)
        self._running: Any = None  # the cycle whose request the app is answering
        self._held_400: bytes | None = None  # the 400 waiting for earlier answers
        self._stopping = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.held = _HeadWithBody(transport, flusher_of(self.server_state, self.loop))
        self.transport = self.held  # type: ignore[assignment]
        self.who = client_of(self.client)  # once per connection, not per line
        # every request's scope["state"] starts as a copy of app_state: the handle transport
        # faults use reaches the app at no cost per request (core/transport.py)
        self.app_state = {**self.app_state, CONNECTION: self}
        self._arm_head_timer()
        self._sweep.watch()

    # --- transport faults (core.transport.Connection) ----------------------------------

    def fault_reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0): nothing of the answer goes."""
        raw = self.held._transport
        sock = raw.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.held.status = 0
        self._fault_ended(raw.abort)

    def fault_close(self) -> None:
        """Close (FIN) after what was written: a head, or part of a body."""
        self._fault_ended(self.held.close)

    def _fault_ended(self, end: Any) -> None:
        """End the connection, log the request's access line, and tell uvicorn that its
        answer was cut on purpose (no "returned without completing response" error)."""
        end()
        cycle = self._running
        if cycle is not None:
            cycle.on_response()  # our access line; nothing further, the connection is closing
            cycle.on_response = lambda: None
            cycle.disconnected = True

    def _answered(self, cycle: Any, started: float) -> None:
        assert self.access is not None
        ms = (time.perf_counter() - started) * 1000
        self.access.add(access_line(self.who, cycle.scope, self.held.status, ms))
        self.on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._head_since = self.loop.time()  # the sweep runs while there are connections

    def _disarm_head_timer(self) -> None:
        self._head_since = None

    def _unset_keepalive_if_required(self) -> None:
        """uvicorn's keep-alive timer, which is never armed: the sweep keeps the time."""
        self._idle_since = None

    def overdue(self, now: float) -> None:
        """The sweep's look: close if the head is late or the connection idle too long."""
        since = self._head_since
        if since is not None and now - since >= self.head_timeout:
            self._head_timed_out(now)
        idle = self._idle_since
        if idle is not None and now - idle >= self.timeout_keep_alive:
            self._idle_since = None
            if not self.transport.is_closing():
                self.transport.close()  # as uvicorn's timeout_keep_alive_handler

    def _head_timed_out(self, now: float) -> None:
        """No complete head in time: close, as nginx does (there is no request to answer).
        While an earlier request is answered, reading is paused: its time does not count."""
        if self._running is not None and not self._running.response_complete:
            self._head_since = now
            return
        self._head_since = None
        if not self.transport.is_closing():
            self.logger.debug("Closing a connection: no complete request head in time.")
            self.transport.close()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        self._running = cycle
        if self._stopping:
            _end_quietly(cycle)
        super()._start_asgi_task(cycle, app)

    def shutdown(self) -> None:
        self._stopping = True
        if self._running is not None:
            _end_quietly(self._running)
        super().shutdown()

    def on_response_complete(self) -> None:
        """uvicorn's (the next pipelined request started, else the connection idle: the
        sweep times the keep-alive), then the 400 held for after the earlier answers."""
        self.server_state.total_requests += 1
        if not self.transport.is_closing():
            self._idle_since = None
            self.flow.resume_reading()
            if self.pipeline:
                cycle, app = self.pipeline.pop()
                self._start_asgi_task(cycle, app)
            else:
                self._idle_since = self.loop.time()
        held, running = self._held_400, self._running
        if running is not None and running.response_complete:
            running = self._running = None  # its request and body need not be kept
        if (
            held is not None
            and not self.pipeline
            and not self.transport.is_closing()
            and running is None
        ):
            self._unset_keepalive_if_required()
            self.transport.write(held)
            self.transport.close()

    def _unsupported_upgrade_warning(self) -> None:
        """uvicorn's warning tells the user to install a WebSocket library; with `ws` off on
        purpose, an Upgrade header is simply ignored and the request answered as usual."""
        self.logger.debug("Upgrade header ignored: no endpoint of the mock is a WebSocket.")

    # A lower bound of the size of the head being read: the whole chunks that arrived
    # inside it. httptools buffers a header until it ends, so an endless header is
    # caught while it arrives; a head that ends is measured exactly once complete.
    _in_head = False
    _head_seen = 0
    _begun_in = b""  # the chunk the head being read began in

    _refused = False  # a head refused as too large: nothing more is read or answered

    def data_received(self, data: bytes) -> None:
        """uvicorn's, except that a head refused as too large (which stops the parser by
        raising) is not refused a second time as unparsable, nor logged as such."""
        if self._held_400 is not None or self._refused:
            return  # after a malformed or refused request nothing more is read
        within = self._in_head  # a chunk that starts and ends inside a head is all head
        self._fed = data  # held only while the parser reads it, for a rejected request's Host
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if not self._refused:
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        finally:
            self._fed = b""
        if within and self._in_head and not self.transport.is_closing():
            self._head_seen += len(data)
            if self._head_seen > MAX_HEAD:
                self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_seen = True, 0
        self._begun_in = self._fed
        if self._head_since is None:
            self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_since = None  # the head is complete in time
        fed = self._fed
        if (self._begun_in is not fed or len(fed) > MAX_HEAD) and self._head_size() > MAX_HEAD:
            self._refuse_head()
            raise HeadTooLarge  # stops the parser: nothing more of this connection is read
        self._start_cycle()
        cycle = self.cycle
        if self.access is not None and cycle is not None and cycle.scope is self.scope:
            # the cycle calls this once its answer is sent (pipelined ones included)
            cycle.on_response = partial(self._answered, cycle, time.perf_counter())

    def _start_cycle(self) -> None:
        """uvicorn's on_headers_complete, but for the path: decoded once per distinct path
        (`unquote` cost as much per request as the rest of this)."""
        parser, scope = self.parser, self.scope
        http_version = parser.get_http_version()
        scope["method"] = parser.get_method().decode("ascii")
        if http_version != "1.1":
            scope["http_version"] = http_version
        if parser.should_upgrade() and self._should_upgrade():
            return
        parsed_url = httptools.parse_url(self.url)
        raw_path = parsed_url.path
        scope["path"] = self.root_path + decoded_path(raw_path)
        scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        scope["query_string"] = parsed_url.query or b""
        limit = self.limit_concurrency
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            app = service_unavailable
            self.logger.warning("Exceeded concurrency limit.")
        else:
            app = self.app
        existing_cycle = self.cycle
        self.cycle = RequestResponseCycle(
            scope=scope,
            transport=self.transport,
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=self.expect_100_continue,
            keep_alive=http_version != "1.0" and parser.should_keep_alive(),
            on_response=self.on_response_complete,
        )
        if existing_cycle is None or existing_cycle.response_complete:
            self._start_asgi_task(self.cycle, app)
        else:  # pipelined: queued until the answers before it are sent
            self.flow.pause_reading()
            self.pipeline.appendleft((self.cycle, app))

    def _head_size(self) -> int:
        """The head's size, measured only when it may be too large: one that began and
        ended in a chunk of at most MAX_HEAD bytes is not."""
        return len(self.url) + sum([len(name) + len(value) + 4 for name, value in self.headers])

    def _refuse_head(self) -> None:
        self._in_head = False
        self._refused = True
        owner = _mock_app(self.app)
        if owner is None:
            self.transport.write(
                STATUS_LINE[431] + b"connection: close\r\ncontent-length: 0\r\n\r\n"
            )
            self.transport.close()
            return
        method, target = self.parser.get_method().decode("latin-1"), getattr(self, "url", b"")
        response = owner.unparsable(
            method, target, getattr(self, "headers", ()), status=431, message=HEAD_TOO_LARGE
        )
        self._send_and_close(response.status_code, response, method, target)

    def send_400_response(self, msg: str) -> None:
        """A request the parser rejects gets the owning vendor's JSON 400, not uvicorn's
        plain-text page (what was read of the request line decides the vendor)."""
        if self._refused or self._held_400 is not None or self.transport.is_closing():
            return  # already refused (its head was too large), which stopped the parser
        owner = _mock_app(self.app)
        if owner is None:
            super().send_400_response(msg)
            return
        target: bytes = getattr(self, "url", b"")
        # httptools reports its first method (DELETE) until it has read one, and a
        # target is read only after the method
        method = self.parser.get_method().decode("latin-1") if target else "-"
        headers = list(getattr(self, "headers", None) or ())
        if not any(name == b"host" for name, _ in headers):
            # the parser stops at the first bad byte: a Host line after it is unread
            host = host_line(self._fed)
            if host is not None:
                headers.append((b"host", host))
        response = owner.unparsable(method, target, headers)
        self._send_and_close(400, response, method, target)

    def _send_and_close(self, status: int, response: Any, method: str, target: bytes) -> None:
        """Answer a request refused before it reached the app, log it, close."""
        lines = [STATUS_LINE[status]]
        for name, value in (
            *self.server_state.default_headers,
            *response.raw_headers,
            (b"connection", b"close"),
        ):
            lines += [name, b": ", value, b"\r\n"]
        lines += [b"\r\n", response.body]
        if self.access is not None:
            raw_path, _, query = target.partition(b"?")
            scope = {"method": method, "raw_path": raw_path, "query_string": query}
            self.access.add(access_line(self.who, {**scope, "http_version": "1.1"}, status, None))
        self._answer_400(b"".join(lines))

    def _answer_400(self, answer: bytes) -> None:
        """Send the 400 after the answers to the valid requests before it on the
        connection (pipelined in the same packet), then close."""
        self._disarm_head_timer()
        broken = self.cycle if self.cycle is not None and self.cycle.more_body else None
        if broken is not None and self.pipeline and self.pipeline[0][0] is broken:
            self.pipeline.popleft()  # its body is what failed: it is answered by the 400
        running = self._running
        if self.pipeline or (
            running is not None and running is not broken and not running.response_complete
        ):
            self._held_400 = answer
            return
        self.transport.write(answer)
        self.transport.close()


class _QuietCancel:
    """A cycle's logger once the shutdown began: a request cancelled when the graceful
    shutdown runs out ends its connection without a traceback (uvicorn logs "Exception
    in ASGI application" and tries a 500). Set only then, so no request pays a wrapper."""

    __slots__ = ("_cycle", "_logger")

    def __init__(self, cycle: Any) -> None:
        self._cycle, self._logger = cycle, cycle.logger

    def error(self, msg: str, *args: Any, exc_info: Any = None, **kwargs: Any) -> None:
        if isinstance(exc_info, asyncio.CancelledError):
            self._cycle.disconnected = True
            self._cycle.response_started = True  # so uvicorn closes instead of a 500
            return
        self._logger.error(msg, *args, exc_info=exc_info, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


def _end_quietly(cycle: Any) -> None:
    if not isinstance(cycle.logger, _QuietCancel):
        cycle.logger = _QuietCancel(cycle)


class HeadTooLarge(Exception):
    """Raised inside a parser callback to stop reading a refused request."""


def _mock_app(app: Any) -> Any:
    """The mock's app under uvicorn's wrappers (its trace-level message logger), if any."""
    for _ in range(4):
        if hasattr(app, "unparsable"):
            return app
        app = getattr(app, "app", None)
    return None


def worker_app() -> Any:
    """The app of one `serve --workers N` process, which exits when its parent does.

    uvicorn's workers outlive a parent killed with SIGKILL and keep serving the port, so
    the next start fails with "address already in use".
    """
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None:
        exit_with_parent(parent.pid)
    from mockserver.app import app_from_environment

    return app_from_environment()


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL = 1.0  # seconds between the watchdog's looks at the parent


def exit_with_parent(parent: int) -> None:
    """SIGTERM this process (uvicorn then shuts it down gracefully) once `parent` is gone:
    at once on Linux (the kernel's parent-death signal), within a second elsewhere."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    threading.Thread(
        target=_watch_parent, args=(parent,), name="mockserver:parent-watch", daemon=True
    ).start()


def _watch_parent(parent: int) -> None:
    """The portable part, which also covers a parent that died before prctl was called:
    an orphan is adopted by another process, so its parent id changes."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    log.warning("the parent process %d is gone: stopping this worker", parent)
    os.kill(os.getpid(), signal.SIGTERM)
