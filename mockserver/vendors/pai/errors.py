"""Alibaba Cloud PAI: the error envelope, its status table and the error functions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mockserver.core.errors import ApiError, Diagnosis, clip, from_table
from mockserver.core.params import ParamError
from mockserver.core.provenance import Source
from mockserver.core.vendor import reached_operation, request_id

STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("InvalidParameter", "The specified parameter is not valid."),
    403: ("Forbidden.RAM", "User not authorized to operate on the specified resource."),
    404: (
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method.",
    ),
    429: ("Throttling.User", "Request was denied due to user flow control."),
    500: ("InternalError", "The request processing has failed due to some unknown error."),
    503: ("ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
}


class Error(ApiError):
    """Alibaba Cloud's ROA error body: {RequestId, HostId, Code, Message, Recommend}."""

    def body(self, request: Request) -> dict[str, Any]:
        rid = request_id(request, "UUID")
        return {
            "RequestId": rid,
            "HostId": request.headers.get("host", "aiworkspace.aliyuncs.com"),
            "Code": self.code,
            "Message": self.message,
            "Recommend": (
                f"https://api.alibabacloud.com/troubleshoot?q={self.code}"
                f"&product=AIWorkSpace&requestId={rid}"
            ),
        }

    def response_headers(self, request: Request) -> dict[str, str]:
        return {**self.headers, "x-acs-request-id": request_id(request, "UUID")}


def error_for_status(request: Request, status: int) -> Error:
    if status == 404 and reached_operation(request):
        return model_not_found(request.path_params.get("ModelId", ""))
    if status == 405:
        # Alibaba's gateway finds an API by method and path together: a wrong method is
        # the same "api not found" 404 as a wrong path.
        status = 404
    return Error(*from_table(STATUS_CODES, status))


DECISIONS = Source(kind="decision", decision="Alibaba PAI (AIWorkSpace 2021-02-04)")


def model_not_found(model_id: str) -> Error:
    error = Error(404, "ModelNotFound", f"The specified model {clip(model_id)} does not exist.")
    hint = "no model has this ModelId (the code is the project's placeholder)"
    error.diagnosis = Diagnosis("not_found", "path ModelId", clip(model_id), hint, DECISIONS.cite())
    return error


def param_error(request: Request, exc: ParamError) -> Error:
    name = exc.param.name
    if exc.reason == "repeated":
        return Error(
            400, "InvalidParameter", f"Specified parameter {name} is given more than once."
        )
    return Error(
        400,
        "InvalidParameter",
        f"Specified parameter {name} is not valid: {exc.shown}. It must be {exc.param.allowed()}.",
    )
