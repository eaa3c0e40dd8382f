"""Huawei DataArts Fabric: the Vendor declaration (operations and routes, statuses, security)."""

from __future__ import annotations

from mockserver.core.vendor import Operation, Vendor
from mockserver.vendors.huawei.auth import authenticate
from mockserver.vendors.huawei.backend import COLLECTIONS, NAME, build
from mockserver.vendors.huawei.errors import STATUS_CODES, error_for_status, param_error
from mockserver.vendors.huawei.generate import generate
from mockserver.vendors.huawei.reads import LIST_PARAMS, PATH_PARAMS, list_models

VENDOR = Vendor(
    name=NAME,
    title="Huawei Cloud DataArts Fabric",
    gateway="nginx",  # its gateway's own HTML error page (core.transport)
    prefixes=("/v1/workspaces",),
    operations=(
        Operation(
            "GET",
            "/v1/workspaces/{workspace_id}/models",
            "ListModels",
            list_models,
            summary="Lists the models of a workspace.",
            params=(*PATH_PARAMS, *LIST_PARAMS),
            response_schema="huawei/list_models.response",
        ),
    ),
    collections=COLLECTIONS,
    build=build,
    error=error_for_status,
    param_error=param_error,
    error_schema="huawei/error",
    authenticate=authenticate,
    statuses=tuple(STATUS_CODES),
    generate=generate,
    security={
        "huawei_token": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Auth-Token",
            "description": "An IAM token.",
        },
        "huawei_signature": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=.., Signature=.. with "
            "X-Sdk-Date (what the SDK sends)",
        },
    },
)
