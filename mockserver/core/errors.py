"""One error type for every vendor; each vendor renders it in its own envelope.

    ApiError                raised by handlers and the core, carries status + code + message
     └── <vendor>.Error     overrides render() to build the vendor's documented body

The app installs one handler for ApiError (`exc.render(request)`); the router's own
404/405 and any unexpected exception are turned into the owning vendor's ApiError first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ApiError(Exception):
    """An error answered to the client with `status` in a vendor's envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self, request: Request) -> dict[str, Any]:
        """The envelope; the base class uses a neutral shape for paths no vendor owns."""
        return {"code": self.code, "message": self.message}

    def response_headers(self, request: Request) -> dict[str, str]:
        return self.headers

    def render(self, request: Request) -> Response:
        request.scope.setdefault("state", {})["error"] = self.code  # for the journal
        return JSONResponse(
            self.body(request), status_code=self.status, headers=self.response_headers(request)
        )


ECHO_LIMIT = 64  # characters of a client's value an error message repeats
LIST_LIMIT = 20  # problems an error answer lists


def shown(value: str, limit: int = ECHO_LIMIT) -> str:
    """`value` quoted for a message; past `limit` characters cut, with a marker saying so.

    An error that repeats what the client sent must not answer a megabyte with a megabyte.
    """
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value) - limit} more characters)"


def clip(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` itself, or its first `limit` characters and a marker: for whole messages."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def first(items: Sequence[str], limit: int = LIST_LIMIT) -> list[str]:
    """At most `limit` items, then one saying how many more there were."""
    if len(items) <= limit:
        return list(items)
    return [*items[:limit], f"and {len(items) - limit} more"]


def from_table(table: Mapping[int, tuple[str, str]], status: int) -> tuple[int, str, str]:
    """(status, code, message) from a vendor's status table; an unknown status is its 500."""
    if status not in table:
        status = 500
    code, message = table[status]
    return status, code, message
