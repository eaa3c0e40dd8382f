"""Dreadnode: the Vendor declaration (operations and routes, statuses, security)."""

from __future__ import annotations

from mockserver.core.vendor import Operation, Vendor
from mockserver.vendors.dreadnode.auth import authenticate
from mockserver.vendors.dreadnode.backend import COLLECTIONS, NAME, build
from mockserver.vendors.dreadnode.errors import STATUS_TYPES, error_for_status, param_error
from mockserver.vendors.dreadnode.generate import generate
from mockserver.vendors.dreadnode.reads import PATH_PARAMS, list_model_versions

VENDOR = Vendor(
    name=NAME,
    title="Dreadnode",
    prefixes=("/api/v1/org",),
    operations=(
        Operation(
            "GET",
            "/api/v1/org/{org}/models/{name}/versions",
            "list_model_versions",
            list_model_versions,
            summary="List all versions of a model.",
            params=PATH_PARAMS,
            response_schema="dreadnode/list_model_versions.response",
        ),
    ),
    collections=COLLECTIONS,
    build=build,
    error=error_for_status,
    param_error=param_error,
    error_schema="dreadnode/error",
    authenticate=authenticate,
    statuses=tuple(STATUS_TYPES),
    generate=generate,
    security={
        "dreadnode_bearer": {"type": "http", "scheme": "bearer", "description": "The docs' way."},
        "dreadnode_api_key": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "What the SDK sends.",
        },
    },
    param_error_status=422,
)
