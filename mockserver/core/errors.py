"""One error type for every vendor; each vendor renders it in its own envelope.

    ApiError                raised by handlers and the core, carries status + code + message
     └── <vendor>.Error     overrides render() to build the vendor's documented body

The app installs one handler for ApiError (`exc.render(request)`); the router's own
404/405 and any unexpected exception are turned into the owning vendor's ApiError first.

A refusal by the mock's own rules carries a `Diagnosis` (which rule, the parameter or
field, the value, the doc source): rendered as an `X-Mock-Diagnosis` header beside the
vendor's unchanged envelope, and kept in the request's state for the journal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

DIAGNOSIS_HEADER = "X-Mock-Diagnosis"


@dataclass(frozen=True)
class Diagnosis:
    """Why the mock refused a request: the rule that fired (`param.range`, `route.unknown`,
    `body.invalid`, `auth`, `not_found`...), the parameter or field, the value as sent
    (clipped, masked when secret), what would do, and the source of the rule."""

    rule: str
    field: str = ""
    value: str | None = None
    hint: str = ""
    source: str = ""

    def as_json(self) -> dict[str, Any]:
        """The journal's `diagnosis` field."""
        out: dict[str, Any] = {"rule": self.rule}
        for name in ("field", "value", "hint", "source"):
            if getattr(self, name) not in ("", None):
                out[name] = getattr(self, name)
        return out

    def header(self) -> str:
        """One line of printable ASCII: `rule=...; field=...; value='...'; ...`."""
        parts = [f"rule={self.rule}"]
        if self.field:
            parts.append(f"field={self.field}")
        if self.value is not None:
            parts.append(f"value={self.value!r}")
        if self.hint:
            parts.append(f"hint={self.hint}")
        if self.source:
            parts.append(f"source={self.source}")
        text = "; ".join(parts)
        return (
            "".join(c if " " <= c <= "~" else repr(c)[1:-1] for c in text)
            .encode("ascii", "backslashreplace")
            .decode("ascii")
        )

    def size(self) -> int:
        """Bytes it holds, roughly: what the journal counts against its budget."""
        return sum(
            len(s or "") for s in (self.rule, self.field, self.value, self.hint, self.source)
        )


class ApiError(Exception):
    """An error answered to the client with `status` in a vendor's envelope.

    `diagnosis` says which of the mock's rules refused the request; an injected fault
    (`injected`) has none: it is no rule's doing.
    """

    injected = False

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
        self.diagnosis: Diagnosis | None = None

    def body(self, request: Request) -> dict[str, Any]:
        """The envelope; the base class uses a neutral shape for paths no vendor owns."""
        return {"code": self.code, "message": self.message}

    def response_headers(self, request: Request) -> dict[str, str]:
        return self.headers

    def render(self, request: Request) -> Response:
        state = request.scope.setdefault("state", {})
        state["error"] = self.code  # for the journal
        headers = self.response_headers(request)
        if self.diagnosis is not None and not self.injected:
            headers = {**headers, DIAGNOSIS_HEADER: self.diagnosis.header()}
            state["diagnosis"] = self.diagnosis
        return JSONResponse(self.body(request), status_code=self.status, headers=headers)


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
