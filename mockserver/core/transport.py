"""Transport faults: an answer broken on purpose, the way networks and gateways break them.

The app decides, the HTTP server acts. Three faults need the connection itself (`reset`,
`close`, `truncate`): the mock's server (server.HttpTools) puts a handle on it in every
request's `scope["state"]` under CONNECTION, and `Broken` calls it. An ASGI server of
someone else's, or an in-process test client, has no such handle: the app then answers
the vendor's 400 saying so (see `needs_connection`). The other faults are plain ASGI.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, Protocol

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

CONNECTION = "mockserver.connection"  # the key of the connection handle in scope["state"]

FAULTS = ("reset", "close", "truncate", "slow", "bad_json", "wrong_type", "gateway_page")
NEEDS_CONNECTION = frozenset({"reset", "close", "truncate"})
GATEWAY_STATUSES = (502, 503, 504)
GATEWAY_DEFAULT = 502
WRONG_TYPE = b"text/plain; charset=utf-8"

# `slow`: at least MIN_RATE bytes a second, and never longer than MAX_SLOW_S for a body
# (a faster pace then): a slow answer must not hold a connection for ever.
MIN_RATE = 1
MAX_RATE = 10_000_000
DEFAULT_RATE = 256
# an int: hypothesis feeds the code's literals to tests/test_fuzz.py, and an integral float
# (60.0) is an integer to JSON Schema but not to the vendors' parameter parsers
MAX_SLOW_S = 60
TICK_S = 0.1  # a piece of the body at most this often


class Connection(Protocol):
    """What the server lets the app do to the connection a request came on."""

    def fault_reset(self) -> None:
        """Abort with a TCP RST (SO_LINGER 0): nothing of the answer is sent."""

    def fault_close(self) -> None:
        """Close (FIN) once what was written so far has gone out."""


def needs_connection(fault: str | None) -> bool:
    return fault in NEEDS_CONNECTION


def connection_of(scope: Scope) -> Connection | None:
    state = scope.get("state")
    return state.get(CONNECTION) if state else None


NO_CONNECTION = (
    "the fault {fault!r} breaks the connection, which only the mock's own HTTP server can "
    "do (mockserver serve, MockServer, the pytest fixture mockserver); this request came "
    "through another ASGI server or an in-process test client"
)


class Broken(Response):
    """`inner` (a complete answer: its body in memory) sent broken as `fault` says."""

    def __init__(
        self, inner: Response, fault: str, bytes_per_s: int = DEFAULT_RATE, page: bytes = b""
    ) -> None:
        self.inner = inner
        self.fault = fault
        self.bytes_per_s = bytes_per_s
        self.background = None
        self.status_code = 0 if fault == "reset" else inner.status_code
        body: bytes = bytes(inner.body)
        headers = [(k, v) for k, v in inner.raw_headers if k != b"content-length"]
        if fault == "gateway_page":
            headers = [(b"content-type", b"text/html")]
            body = page
        elif fault == "wrong_type":
            headers = [(k, WRONG_TYPE if k == b"content-type" else v) for k, v in headers]
        elif fault == "bad_json":
            # a proper prefix of a JSON object or array is never valid JSON
            body = body[:-1] if body[:1] in (b"{", b"[") else b"{" + body
        self.body = body
        self.raw_headers = [*headers, (b"content-length", b"%d" % len(body))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self.fault
        if fault in NEEDS_CONNECTION:
            connection = connection_of(scope)
            assert connection is not None, "checked before the answer was made"
            if fault == "reset":
                connection.fault_reset()
                return
            await send(self._start())
            if fault == "truncate":
                await send(
                    {
                        "type": "http.response.body",
                        "body": self.body[: len(self.body) // 2],
                        "more_body": True,
                    }
                )
            connection.fault_close()
            return
        await send(self._start())
        if fault == "slow":
            await self._trickle(send)
        else:
            await send({"type": "http.response.body", "body": self.body})

    def _start(self) -> dict[str, Any]:
        return {
            "type": "http.response.start",
            "status": self.status_code,
            "headers": self.raw_headers,
        }

    async def _trickle(self, send: Send) -> None:
        """The body in pieces, `bytes_per_s` on average (faster if it would pass MAX_SLOW_S)."""
        body = self.body
        piece, pause = pace(len(body), self.bytes_per_s)
        for start in range(0, len(body), piece):
            await asyncio.sleep(pause)
            end = start + piece
            await send(
                {
                    "type": "http.response.body",
                    "body": body[start:end],
                    "more_body": end < len(body),
                }
            )
        if not body:
            await send({"type": "http.response.body", "body": b""})


def pace(size: int, bytes_per_s: int) -> tuple[int, float]:
    """(bytes a piece, seconds before each piece) to send `size` bytes at `bytes_per_s`,
    within MAX_SLOW_S in all."""
    rate = max(bytes_per_s, math.ceil(size / MAX_SLOW_S), MIN_RATE)
    piece = max(1, math.floor(rate * TICK_S))
    return piece, piece / rate


# --- gateway error pages -------------------------------------------------------------

REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
GATEWAYS = ("generic", "nginx", "tengine")


def gateway_page(gateway: str, status: int) -> bytes:
    """The HTML error page a vendor's gateway answers with `status` (502, 503 or 504).

    `tengine` is Alibaba Cloud's (Tengine, their nginx), `nginx` the stock nginx page that
    nginx-based gateways such as Huawei's APIG send, `generic` a load balancer's bare page.
    """
    title = f"{status} {REASONS[status]}"
    if gateway == "tengine":
        return (
            '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html>\r\n'
            f"<head><title>{title}</title></head>\r\n<body>\r\n<h1>{title}</h1>\r\n"
            "<p>The requested URL could not be served. Sorry for the inconvenience.<br/>\r\n"
            "Please report this message and include the following information to us.<br/>\r\n"
            "Thank you very much!</p>\r\n<hr/>Powered by Tengine</body>\r\n</html>\r\n"
        ).encode()
    if gateway == "nginx":
        return (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        ).encode()
    return (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>\r\n"
    ).encode()
