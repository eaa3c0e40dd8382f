"""Alibaba Cloud PAI: the Vendor declaration (operations and routes, statuses, security)."""

from __future__ import annotations

from mockserver.core.vendor import Operation, Vendor
from mockserver.vendors.pai.auth import authenticate
from mockserver.vendors.pai.backend import COLLECTIONS, NAME, build
from mockserver.vendors.pai.errors import STATUS_CODES, error_for_status, param_error
from mockserver.vendors.pai.generate import generate
from mockserver.vendors.pai.reads import LIST_PARAMS, MODEL_ID, get_model, list_model_versions

VENDOR = Vendor(
    name=NAME,
    title="Alibaba Cloud PAI (AIWorkSpace 2021-02-04)",
    gateway="tengine",  # its gateway's own HTML error page (core.transport)
    prefixes=("/api/v1/models",),
    operations=(
        Operation(
            "GET",
            "/api/v1/models/{ModelId}",
            "GetModel",
            get_model,
            summary="Gets the details of a model.",
            params=(MODEL_ID,),
            response_schema="pai/get_model.response",
        ),
        Operation(
            "GET",
            "/api/v1/models/{ModelId}/versions",
            "ListModelVersions",
            list_model_versions,
            summary="Lists the versions of a model.",
            params=(MODEL_ID, *LIST_PARAMS),
            response_schema="pai/list_model_versions.response",
        ),
    ),
    collections=COLLECTIONS,
    build=build,
    error=error_for_status,
    param_error=param_error,
    error_schema="pai/error",
    authenticate=authenticate,
    statuses=tuple(STATUS_CODES),
    retry_after_header="x-acs-retry-after",
    generate=generate,
    security={
        "pai_signature": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=..,"
            "Signature=.. with x-acs-action, x-acs-version and x-acs-date (auth check/verify)",
        }
    },
)
