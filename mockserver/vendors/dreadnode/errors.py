"""Dreadnode: the error envelope, its status table and the error functions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mockserver.core.errors import ApiError, from_table
from mockserver.core.params import ParamError

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


PYDANTIC_TYPES = {"length": "string_too_long", "pattern": "string_pattern_mismatch"}


def param_error(request: Request, exc: ParamError) -> Error:
    """422 with FastAPI's per-field items, pointing at the path parameter."""
    param = exc.param
    if exc.reason == "length":
        msg = f"String should have at most {param.max_length} characters"
    else:
        msg = f"String should match pattern '^{param.pattern}$'"
    item = {
        "loc": [param.location, param.name],
        "msg": msg,
        "type": PYDANTIC_TYPES.get(exc.reason, "value_error"),
    }
    detail = f"Invalid {param.location} parameter '{param.name}': {msg}"
    return Error(422, "validation_error", detail, errors=[item])
