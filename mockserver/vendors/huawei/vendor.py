"""Huawei DataArts Fabric: the Vendor declaration (operations and routes, statuses, security)."""

from __future__ import annotations

from mockserver.core.vendor import Operation, Vendor
from mockserver.vendors.huawei.auth import authenticate
from mockserver.vendors.huawei.backend import COLLECTIONS, NAME, build
from mockserver.vendors.huawei.endpoints import (
    ENDPOINT_PARAM,
    KIND,
    SHOW_PARAMS,
    create_endpoint,
    delete_endpoint,
    list_endpoints,
    show_endpoint,
    update_endpoint,
)
from mockserver.vendors.huawei.endpoints import LIST_PARAMS as ENDPOINT_LIST_PARAMS
from mockserver.vendors.huawei.errors import STATUS_CODES, error_for_status, param_error
from mockserver.vendors.huawei.generate import generate
from mockserver.vendors.huawei.reads import (
    LIST_PARAMS,
    MODEL_PARAM,
    PAGE_PARAMS,
    PATH_PARAMS,
    VERSION_LIST_PARAMS,
    VERSION_PARAM,
    list_base_models,
    list_model_versions,
    list_models,
)
from mockserver.vendors.huawei.writes import (
    cleanup_model,
    create_model,
    delete_model_version,
    update_model,
    write_error,
)

MODELS = "/v1/workspaces/{workspace_id}/models"
MODEL = MODELS + "/{model_id}"
ENDPOINTS = "/v1/workspaces/{workspace_id}/endpoints"
ENDPOINT = ENDPOINTS + "/{endpoint_id}"
TOO_LARGE = (413,)  # APIG's documented answer to a body past the limit

VENDOR = Vendor(
    name=NAME,
    title="Huawei Cloud DataArts Fabric",
    gateway="nginx",  # its gateway's own HTML error page (core.transport)
    prefixes=("/v1/workspaces", "/v1/base-models"),
    operations=(
        Operation(
            "GET",
            MODELS,
            "ListModels",
            list_models,
            summary="Lists the models of a workspace (id=<model id> reads one).",
            params=(*PATH_PARAMS, *LIST_PARAMS),
            response_schema="huawei/list_models.response",
        ),
        Operation(
            "POST",
            MODELS,
            "CreateModelDefinition",
            create_model,
            summary="Creates a model and its first version (current at once).",
            params=PATH_PARAMS,
            response_schema="huawei/create_model.response",
            request_schema="huawei/create_model.request",
            errors=TOO_LARGE,
        ),
        Operation(
            "PUT",
            MODEL,
            "UpdateModelDefinition",
            update_model,
            summary="Renames or describes a model, adds a version (made current) or makes "
            "another version current.",
            params=(*PATH_PARAMS, MODEL_PARAM),
            response_schema="huawei/update_model.response",
            request_schema="huawei/update_model.request",
            errors=TOO_LARGE,
        ),
        Operation(
            "DELETE",
            MODEL,
            "CleanupModel",
            cleanup_model,
            summary="Deletes a model and its versions, unless an endpoint uses one.",
            params=(*PATH_PARAMS, MODEL_PARAM),
            response_schema="huawei/empty.response",
        ),
        Operation(
            "GET",
            MODEL + "/versions",
            "ListModelVersions",
            list_model_versions,
            summary="Lists the versions of a model, the current one included, newest first.",
            params=(*PATH_PARAMS, MODEL_PARAM, *VERSION_LIST_PARAMS),
            response_schema="huawei/list_model_versions.response",
        ),
        Operation(
            "DELETE",
            MODEL + "/versions/{version_id}",
            "DeleteModelVersion",
            delete_model_version,
            summary="Deletes a version other than the current one, unless an endpoint uses it.",
            params=(*PATH_PARAMS, MODEL_PARAM, VERSION_PARAM),
            response_schema="huawei/empty.response",
            status=202,
        ),
        Operation(
            "GET",
            "/v1/base-models",
            "ListBaseModels",
            list_base_models,
            summary="Lists the base models a model version can be built on.",
            params=PAGE_PARAMS,
            response_schema="huawei/list_base_models.response",
        ),
        Operation(
            "POST",
            ENDPOINTS,
            "CreateEndpoint",
            create_endpoint,
            summary="Creates an endpoint serving a model version (cap); CREATING, then RUNNING.",
            params=PATH_PARAMS,
            response_schema="huawei/show_endpoint.response",
            request_schema="huawei/create_endpoint.request",
            errors=TOO_LARGE,
        ),
        Operation(
            "GET",
            ENDPOINTS,
            "ListEndpoints",
            list_endpoints,
            summary="Lists the endpoints of a workspace, newest first.",
            params=(*PATH_PARAMS, *ENDPOINT_LIST_PARAMS),
            response_schema="huawei/list_endpoints.response",
        ),
        Operation(
            "GET",
            ENDPOINT,
            "ShowEndpoint",
            show_endpoint,
            summary="Shows an endpoint and its state.",
            params=(*PATH_PARAMS, ENDPOINT_PARAM, *SHOW_PARAMS),
            response_schema="huawei/show_endpoint.response",
        ),
        Operation(
            "PUT",
            ENDPOINT,
            "UpdateEndpoint",
            update_endpoint,
            summary="Updates a RUNNING endpoint (a new cap rebinds it); UPDATING, then RUNNING.",
            params=(*PATH_PARAMS, ENDPOINT_PARAM),
            response_schema="huawei/show_endpoint.response",
            request_schema="huawei/update_endpoint.request",
            errors=TOO_LARGE,
        ),
        Operation(
            "DELETE",
            ENDPOINT,
            "DeleteEndpoint",
            delete_endpoint,
            summary="Deletes an endpoint: DELETING, then gone (its version is free again).",
            params=(*PATH_PARAMS, ENDPOINT_PARAM),
            response_schema="huawei/delete_endpoint.response",
        ),
    ),
    collections=COLLECTIONS,
    lifecycles=(KIND,),
    build=build,
    error=error_for_status,
    param_error=param_error,
    error_schema="huawei/error",
    authenticate=authenticate,
    statuses=tuple(STATUS_CODES),
    generate=generate,
    write_error=write_error,
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
