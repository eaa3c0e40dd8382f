"""DashScope: the error envelope, its status table and the error functions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mockserver.core.errors import ApiError, from_table
from mockserver.core.params import ParamError
from mockserver.core.vendor import reached_operation, request_id
from mockserver.core.writes import WriteError

STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("InvalidParameter", "The request has an invalid parameter."),
    401: ("InvalidApiKey", "Invalid API-key provided."),
    403: ("AccessDenied", "Access denied."),
    404: ("NotFound", "The requested resource was not found."),
    429: ("Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
    500: ("InternalError", "An internal error has occured, please try again later."),
}


class Error(ApiError):
    """Model Studio's body {request_id, code, message}."""

    def body(self, request: Request) -> dict[str, Any]:
        return {
            "request_id": request_id(request, "uuid"),
            "code": self.code,
            "message": self.message,
        }


def error_for_status(request: Request, status: int) -> Error:
    if status == 404 and reached_operation(request):
        # the docs' form ("Model: xxx not found!") about a path that exists
        return Error(404, "NotFound", f"Resource: {request.url.path} not found!")
    if status == 404:
        return Error(404, "NotFound", f"Not found: {request.url.path} is not an API path.")
    if status == 405:
        message = f"The operation is not supported: {request.method} {request.url.path}."
        return Error(400, "UnsupportedOperation", message)
    return Error(*from_table(STATUS_CODES, status))


def param_error(request: Request, exc: ParamError) -> Error:
    return Error(400, "InvalidParameter", f"Invalid parameter: {exc.describe()}.")


def write_error(request: Request, exc: WriteError) -> Error:
    """A write refused before any change: 400 InvalidParameter naming the field (the
    docs' code for a bad parameter), 413 for a body too large, 409 Conflict on a server
    of several processes."""
    if exc.reason == "too_large":
        return Error(413, "RequestTooLarge", exc.message)
    if exc.reason == "single_process":
        return Error(409, "Conflict", exc.message)
    return Error(400, "InvalidParameter", f"Invalid parameter: {exc.message}")
