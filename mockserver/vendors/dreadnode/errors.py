"""Dreadnode: the error envelope, its status table and the error functions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mockserver.core.errors import ApiError, from_table
from mockserver.core.params import ParamError
from mockserver.core.writes import WriteError

# status -> (type, detail); the details are the docs' own status descriptions
STATUS_TYPES: dict[int, tuple[str, str]] = {
    400: ("bad_request_error", "Invalid request"),
    401: ("authentication_error", "Authentication failed"),
    403: ("authorization_error", "Access forbidden"),
    404: ("not_found_error", "Not found"),
    409: ("already_exists_error", "Already exists"),
    422: ("validation_error", "Validation error"),
    426: ("upgrade_required_error", "Upgrade required"),
    429: ("rate_limit_error", "Rate limited"),
    500: ("app_error", "Internal server error"),
    502: ("bad_gateway_error", "Bad gateway"),
    504: ("gateway_timeout_error", "Gateway timeout"),
}


class Error(ApiError):
    """The APIErrorPayload envelope {code, detail, type, errors}."""

    def body(self, request: Request) -> dict[str, Any]:
        return {
            "code": self.status,
            "detail": self.message,
            "type": self.code,
            "errors": self.extra.get("errors"),
        }


def error_for_status(request: Request, status: int) -> Error:
    if status == 405:
        status = 404  # 405 is not among the envelope's documented codes
    return Error(*from_table(STATUS_TYPES, status))


PYDANTIC_TYPES = {
    "length": "string_too_long",
    "pattern": "string_pattern_mismatch",
    "type": "int_parsing",
    "range": "value_error",
    "choice": "enum",
    "repeated": "value_error",
    "count": "value_error",
}


def _param_message(exc: ParamError) -> str:
    """What pydantic would say about the value, in its words."""
    param = exc.param
    if exc.reason == "length":
        return f"String should have at most {param.max_length} characters"
    if exc.reason == "pattern":
        return f"String should match pattern '^{param.pattern}$'"
    if exc.reason == "type":
        return "Input should be a valid integer, unable to parse string as an integer"
    if exc.reason == "choice":
        return "Input should be " + " or ".join(repr(c) for c in param.choices)
    if exc.reason == "range":
        return f"Input should be {param.allowed()}"
    if exc.reason == "count":
        return exc.describe()
    return "Input should be given once"


def param_error(request: Request, exc: ParamError) -> Error:
    """422 with FastAPI's per-field items, pointing at the path or query parameter."""
    param = exc.param
    msg = _param_message(exc)
    item = {
        "loc": [param.location, param.name],
        "msg": msg,
        "type": PYDANTIC_TYPES.get(exc.reason, "value_error"),
    }
    detail = f"Invalid {param.location} parameter '{param.name}': {msg}"
    return Error(422, "validation_error", detail, errors=[item])


def write_error(request: Request, exc: WriteError) -> Error:
    """A refused body: 422 naming the field (FastAPI's way), 413 past the size limit, and
    409 on a server of several processes (each would hold its own registry)."""
    if exc.reason == "too_large":
        return Error(413, "payload_too_large_error", exc.message)
    if exc.reason == "single_process":
        return Error(409, "already_exists_error", exc.message)
    loc: list[str | int] = ["body"]
    if exc.field and exc.field != "$":
        loc += [int(p) if p.isdigit() else p for p in _steps(exc.field)]
    kind = "json_invalid" if exc.reason == "not_json" else "value_error"
    item = {"loc": loc, "msg": exc.message, "type": kind}
    return Error(422, "validation_error", f"Invalid request body: {exc.message}", errors=[item])


def _steps(path: str) -> list[str]:
    """`$.a.b[0]` -> ["a", "b", "0"] (the JSON path the write path names a field by)."""
    return [p for p in path.removeprefix("$").replace("[", ".").replace("]", "").split(".") if p]
