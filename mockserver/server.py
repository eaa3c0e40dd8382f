"""uvicorn, set up for the mock: our logger beside uvicorn's, and a 'listening on' line."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

log = logging.getLogger("mockserver")

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
    """uvicorn's access lines only where they show: it formats each line's arguments
    (path quoting included) before the logger drops it, a cost paid on every request."""
    return level.lower() in ("trace", "debug", "info")


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

    @property
    def url(self) -> str:
        host, port = self.config.host, self.config.port
        if self.servers and self.servers[0].sockets:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"


class _HeadWithBody:
    """A transport that sends a response's head in the same write as its body.

    uvicorn writes the status line and headers, then the body: two system calls and two
    TCP segments per response, the largest single cost of a small JSON answer. The head
    is held until the next write (its body) or, at the latest, the end of the current
    loop iteration, so nothing waits on it (a HEAD answer has no body write).
    """

    __slots__ = ("_transport", "_held")

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif data[-4:] == b"\r\n\r\n" and data[:5] == b"HTTP/":
            self._held = data
            asyncio.get_running_loop().call_soon(self.flush)
        else:
            self._transport.write(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing each response's head with its body, with a
    deadline for request heads, pipelined requests answered before a malformed one, and
    requests cut short by shutdown ended without a traceback."""

    def __init__(self, *args: Any, head_timeout: float = HEAD_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout = head_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._running: Any = None  # the cycle whose request the app is answering
        self._held_400: bytes | None = None  # the 400 waiting for earlier answers
        self._stopping = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = _HeadWithBody(transport)  # type: ignore[assignment]
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._held_400 is None:  # after a malformed request nothing more is read
            super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:
            self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        super().on_headers_complete()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        """No complete head in time: close, as nginx does (there is no request to answer).
        While an earlier request is answered, reading is paused: its time does not count."""
        self._head_timer = None
        if self._running is not None and not self._running.response_complete:
            self._arm_head_timer()
        elif not self.transport.is_closing():
            self.logger.debug("Closing a connection: no complete request head in time.")
            self.transport.close()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        self._running = cycle

        async def run(scope: Any, receive: Any, send: Any) -> None:
            """The app, except that a request cancelled when the graceful shutdown runs
            out ends its connection quietly instead of logging a traceback."""
            try:
                await app(scope, receive, send)
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                cycle.disconnected = True
                self.transport.close()

        super()._start_asgi_task(cycle, run)

    def shutdown(self) -> None:
        self._stopping = True
        super().shutdown()

    def on_response_complete(self) -> None:
        super().on_response_complete()
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

    def send_400_response(self, msg: str) -> None:
        """A request the parser rejects gets the owning vendor's JSON 400, not uvicorn's
        plain-text page (what was read of the request line decides the vendor)."""
        owner = _mock_app(self.app)
        if owner is None:
            super().send_400_response(msg)
            return
        target: bytes = getattr(self, "url", b"")
        # httptools reports its first method (DELETE) until it has read one, and a
        # target is read only after the method
        method = self.parser.get_method().decode("latin-1") if target else "-"
        response = owner.unparsable(method, target, getattr(self, "headers", ()))
        lines = [STATUS_LINE[400]]
        for name, value in (
            *self.server_state.default_headers,
            *response.raw_headers,
            (b"connection", b"close"),
        ):
            lines += [name, b": ", value, b"\r\n"]
        lines += [b"\r\n", response.body]
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
