"""DashScope: the Vendor declaration (operations and routes, statuses, security)."""

from __future__ import annotations

from mockserver.core.params import Param
from mockserver.core.provenance import Source
from mockserver.core.vendor import Operation, Vendor
from mockserver.vendors.dashscope.auth import authenticate
from mockserver.vendors.dashscope.backend import COLLECTIONS, NAME, build
from mockserver.vendors.dashscope.errors import (
    STATUS_CODES,
    error_for_status,
    param_error,
    write_error,
)
from mockserver.vendors.dashscope.generate import generate
from mockserver.vendors.dashscope.lifecycle import DEPLOYMENT
from mockserver.vendors.dashscope.reads import (
    HEADERS,
    LIST_PARAMS,
    MODEL_PARAMS,
    WORKSPACE_HEADER,
    get_deployment,
    list_deployments,
    list_models,
    stream_events,
)
from mockserver.vendors.dashscope.writes import (
    create_deployment,
    delete_deployment,
    scale_deployment,
    update_deployment,
)

DEPLOYED_MODEL = Param(
    "deployed_model",
    location="path",
    description="The deployment's id (its deployed_model); 404 NotFound for another workspace's.",
    example="emo-35b3f106-sample01",
    source=Source(
        "https://www.alibabacloud.com/help/en/model-studio/get-deployment-api",
        "Get deployment",
        field="deployed_model",
    ),
)
ONE = "/api/v1/deployments/{deployed_model}"

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
        # before {deployed_model}: no deployment is called "models" (ids are model-hex)
        Operation(
            "GET",
            "/api/v1/deployments/models",
            "ListDeployableModels",
            list_models,
            summary="Lists the models a workspace can deploy, with their base_capacity.",
            params=MODEL_PARAMS,
            response_schema="dashscope/list_deployable_models.response",
        ),
        Operation(
            "POST",
            "/api/v1/deployments",
            "CreateDeployment",
            create_deployment,
            summary="Deploys a model; the deployment starts PENDING, then RUNNING (or FAILED).",
            params=HEADERS,
            request_schema="dashscope/create_deployment.request",
            response_schema="dashscope/deployment.response",
            errors=(409,),
        ),
        Operation(
            "GET",
            ONE,
            "GetDeployment",
            get_deployment,
            summary="A deployment as it is now.",
            params=(DEPLOYED_MODEL, *HEADERS),
            response_schema="dashscope/deployment.response",
        ),
        Operation(
            "PUT",
            ONE + "/scale",
            "ScaleDeployment",
            scale_deployment,
            summary="Changes a RUNNING deployment's capacity; it is UPDATING, then RUNNING.",
            params=(DEPLOYED_MODEL, *HEADERS),
            request_schema="dashscope/scale_deployment.request",
            response_schema="dashscope/deployment.response",
        ),
        Operation(
            "PUT",
            ONE + "/update",
            "UpdateDeployment",
            update_deployment,
            summary="Sets a model-unit deployment's throttling (rpm_limit, tpm_limit).",
            params=(DEPLOYED_MODEL, *HEADERS),
            request_schema="dashscope/update_deployment.request",
            response_schema="dashscope/deployment.response",
        ),
        Operation(
            "DELETE",
            ONE,
            "DeleteDeployment",
            delete_deployment,
            summary="Deletes a deployment: answered as DELETING, then it is gone (404).",
            params=(DEPLOYED_MODEL, *HEADERS),
            response_schema="dashscope/deployment.response",
        ),
        Operation(
            "GET",
            ONE + "/stream",
            "StreamDeploymentEvents",
            stream_events,
            summary="Server-sent events (text/event-stream): the deployment, then one event "
            "(the deployment as it is) per change of state until it settles or is gone.",
            params=(DEPLOYED_MODEL, *HEADERS),
            response_schema="dashscope/deployment",
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
    write_error=write_error,
    lifecycles=(DEPLOYMENT,),
    security={
        "dashscope_api_key": {
            "type": "http",
            "scheme": "bearer",
            "description": "A Model Studio API key.",
        }
    },
)
