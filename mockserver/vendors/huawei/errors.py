"""Huawei DataArts Fabric: the error envelope, its status table and the error functions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mockserver.core.errors import ApiError, from_table
from mockserver.core.params import ParamError
from mockserver.core.vendor import reached_operation, request_id

TYPE_MISMATCH = (
    "failed to read http request, please check your input, code: 400, "
    "reason: Type mismatch., cause: TypeMismatchException"
)
APIG_NOT_FOUND = "The API does not exist or has not been published in the environment"
STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("common.01000001", "failed to read http request, please check your input, code: 400"),
    401: ("APIG.1002", "Incorrect token or token resolution failed"),
    403: ("403", "X-Auth-Token is invalid in the request"),  # the gateway's own shape
    404: ("APIG.0101", APIG_NOT_FOUND),
    408: ("common.00000408", "timeout exception occurred"),
    429: ("APIG.0308", "The throttling threshold has been reached"),
    500: ("common.00000500", "internal error"),
    502: ("APIG.0201", "Backend unavailable"),
    504: ("APIG.0202", "Backend timeout"),
}


class Error(ApiError):
    """DataArts Fabric's body {error_code, error_msg, solution_msg?}; X-Request-Id always."""

    def body(self, request: Request) -> dict[str, Any]:
        if self.status == 403:
            # the documented 403 comes from the gateway, in its own nested shape
            nested = {"code": "403", "message": self.message, "title": "Forbidden"}
            return {
                "error": nested,
                "error_code": 403,
                "error_msg": self.message,
                "title": "Forbidden",
            }
        body: dict[str, Any] = {"error_code": self.code, "error_msg": self.message}
        if "solution" in self.extra:
            body["solution_msg"] = self.extra["solution"]
        if self.code.startswith("APIG."):  # the API gateway's own errors carry the id
            body["request_id"] = request_id(request, "hex")
        return body

    def response_headers(self, request: Request) -> dict[str, str]:
        return {**self.headers, "X-Request-Id": request_id(request, "hex")}


NOT_FOUND = "response status exception, code: 404"  # ListModels' documented 404


def error_for_status(request: Request, status: int) -> Error:
    if status == 404 and reached_operation(request):
        return Error(404, "common.01000001", NOT_FOUND)  # the service's, not the gateway's
    if status == 405:
        status = 404  # the gateway matches method and path together
    return Error(*from_table(STATUS_CODES, status))


def param_error(request: Request, exc: ParamError) -> Error:
    if exc.reason == "type":
        return Error(
            400,
            "common.01000001",
            TYPE_MISMATCH,
            solution=f"Set {exc.param.name} to {exc.param.allowed()}.",
        )
    return Error(
        400,
        "common.01000001",
        "failed to read http request, please check your input, code: 400, "
        f"reason: {exc.describe()}., cause: ConstraintViolationException",
        solution=f"Set {exc.param.name} to {exc.param.allowed()}.",
    )
