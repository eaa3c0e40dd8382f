"""Alibaba Cloud PAI: the error envelope, its status table and the error functions."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from mockserver.core.errors import ApiError, Diagnosis, clip, from_table
from mockserver.core.params import ParamError
from mockserver.core.provenance import Source
from mockserver.core.vendor import reached_operation, request_id
from mockserver.core.writes import WriteError

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
        params = request.path_params
        if "VersionName" in params:
            return version_not_found(params.get("ModelId", ""), params["VersionName"])
        return model_not_found(params.get("ModelId", ""))
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


def version_not_found(model_id: str, version_name: str) -> Error:
    return Error(
        404,
        "ModelVersionNotFound",
        f"The specified version {clip(version_name)} of model {clip(model_id)} does not exist.",
    )


def missing_parameter(name: str) -> Error:
    """Alibaba's generic code for a required parameter not given (MissingParameter.<name>)."""
    return Error(
        400,
        f"MissingParameter.{name}",
        f"The input parameter {name} that is mandatory for processing this request is not "
        "supplied.",
    )


WRITE_CODES = {
    "too_large": (413, "RequestEntityTooLarge"),
    "single_process": (409, "OperationConflict"),
    "not_json": (400, "InvalidParameter"),
    "invalid": (400, "InvalidParameter"),
}


def write_error(request: Request, exc: WriteError) -> Error:
    """A refused write body: 400 InvalidParameter naming the field (MissingParameter.<name>
    for a required field left out), 413 too large, 409 on a server of several processes."""
    missing = REQUIRED.search(exc.message) if exc.reason == "invalid" else None
    if missing is not None and exc.field == "$":
        return missing_parameter(missing.group(1))
    status, code = WRITE_CODES[exc.reason]
    if exc.reason in ("not_json", "invalid"):
        return Error(status, code, f"Specified request body is not valid: {exc.message}")
    return Error(status, code, exc.message)


REQUIRED = re.compile(r"^\$: '(\w+)' is a required property")


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
