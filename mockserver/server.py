"""uvicorn, set up for the mock: our logger beside uvicorn's, and a 'listening on' line."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

log = logging.getLogger("mockserver")


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's own logging set-up, with the `mockserver` logger added."""
    config: dict[str, Any] = {**LOGGING_CONFIG, "loggers": dict(LOGGING_CONFIG["loggers"])}
    config["loggers"]["mockserver"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def options(level: str) -> dict[str, Any]:
    """What every uvicorn the mock runs is given: `serve`, its workers and MockServer."""
    return {
        "log_level": level,
        "access_log": access_log(level),
        # Clients call the mock directly: no X-Forwarded-* rewriting (docs/decisions.md).
        "proxy_headers": False,
        "http": HttpTools,
        # No endpoint is a WebSocket: an Upgrade header is ignored, as by the vendors' REST
        # gateways, instead of uvicorn refusing the handshake with an empty text/plain 403.
        "ws": "none",
    }


def access_log(level: str) -> bool:
    """uvicorn's access lines only where they show: it formats each line's arguments
    (path quoting included) before the logger drops it, a cost paid on every request."""
    return level.lower() in ("trace", "debug", "info")


class Server(uvicorn.Server):
    """uvicorn's server, saying where the mock listens once the socket is bound."""

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


HOST_LINE = re.compile(rb"\n[ \t]*host[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)


def host_line(data: bytes) -> bytes | None:
    """The Host header's value in raw request bytes the parser gave up on, if it is there."""
    found = HOST_LINE.search(data)
    return found.group(1).strip() if found else None


class HttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing each response's head with its body."""

    _fed = b""  # the bytes last handed to the parser, for a rejected request's Host

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = _HeadWithBody(transport)  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._fed = data  # held only while the parser reads it
        try:
            super().data_received(data)
        finally:
            self._fed = b""

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
        headers = list(getattr(self, "headers", None) or ())
        if not any(name == b"host" for name, _ in headers):
            # the parser stops at the first bad byte: a Host line after it is unread
            host = host_line(self._fed)
            if host is not None:
                headers.append((b"host", host))
        response = owner.unparsable(method, target, headers)
        lines = [STATUS_LINE[400]]
        for name, value in (
            *self.server_state.default_headers,
            *response.raw_headers,
            (b"connection", b"close"),
        ):
            lines += [name, b": ", value, b"\r\n"]
        lines += [b"\r\n", response.body]
        self.transport.write(b"".join(lines))
        self.transport.close()


def _mock_app(app: Any) -> Any:
    """The mock's app under uvicorn's wrappers (its trace-level message logger), if any."""
    for _ in range(4):
        if hasattr(app, "unparsable"):
            return app
        app = getattr(app, "app", None)
    return None
