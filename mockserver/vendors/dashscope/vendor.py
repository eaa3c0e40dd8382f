"""DashScope: the Vendor declaration (operations and routes, statuses, security)."""

from __future__ import annotations

from mockserver.core.vendor import Operation, Vendor
from mockserver.vendors.dashscope.auth import authenticate
from mockserver.vendors.dashscope.backend import COLLECTIONS, NAME, build
from mockserver.vendors.dashscope.errors import STATUS_CODES, error_for_status, param_error
from mockserver.vendors.dashscope.generate import generate
from mockserver.vendors.dashscope.reads import (
    HEADERS,
    LIST_PARAMS,
    WORKSPACE_HEADER,
    list_deployments,
)

VENDOR = Vendor(
    name=NAME,
    title="Alibaba Model Studio (DashScope)",
    gateway="tengine",  # its gateway's own HTML error page (core.transport)
    workspace=lambda request: request.headers.get(WORKSPACE_HEADER),  # outages by workspace
    prefixes=("/api/v1/deployments",),
    operations=(
        Operation(
            "GET",
            "/api/v1/deployments",
            "ListDeployments",
            list_deployments,
            summary="Lists the model deployments of a workspace.",
            params=(*LIST_PARAMS, *HEADERS),
            response_schema="dashscope/list_deployments.response",
        ),
    ),
    collections=COLLECTIONS,
    build=build,
    error=error_for_status,
    param_error=param_error,
    error_schema="dashscope/error",
    authenticate=authenticate,
    statuses=tuple(STATUS_CODES),
    generate=generate,
    security={
        "dashscope_api_key": {
            "type": "http",
            "scheme": "bearer",
            "description": "A Model Studio API key.",
        }
    },
)
