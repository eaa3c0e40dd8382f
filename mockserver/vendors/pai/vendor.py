"""Alibaba Cloud PAI: the Vendor declaration (operations and routes, statuses, security)."""

from __future__ import annotations

from mockserver.core.vendor import Operation, Vendor
from mockserver.vendors.pai import writes
from mockserver.vendors.pai.auth import authenticate
from mockserver.vendors.pai.backend import COLLECTIONS, NAME, build
from mockserver.vendors.pai.errors import (
    STATUS_CODES,
    error_for_status,
    param_error,
    write_error,
)
from mockserver.vendors.pai.generate import generate
from mockserver.vendors.pai.reads import (
    LIST_MODELS_PARAMS,
    LIST_PARAMS,
    MODEL_ID,
    MODEL_TO_DELETE,
    VERSION_NAME,
    VERSION_TO_DELETE,
    get_model,
    get_model_version,
    list_model_versions,
    list_models,
)

MODELS = "/api/v1/models"
MODEL = f"{MODELS}/{{ModelId}}"
VERSIONS = f"{MODEL}/versions"
VERSION = f"{VERSIONS}/{{VersionName}}"
WRITE_ERRORS = (409, 413)  # several worker processes; a body above 1 MiB
DONE = "pai/request_id.response"
NEW_MODEL = {"ModelId": "$response.body#/ModelId"}
NEW_VERSION = {"ModelId": "$request.path.ModelId", "VersionName": "$response.body#/VersionName"}

VENDOR = Vendor(
    name=NAME,
    title="Alibaba Cloud PAI (AIWorkSpace 2021-02-04)",
    gateway="tengine",  # its gateway's own HTML error page (core.transport)
    prefixes=(MODELS,),
    operations=(
        Operation(
            "POST",
            MODELS,
            "CreateModel",
            writes.create_model,
            summary="Registers a model.",
            response_schema="pai/create_model.response",
            request_schema="pai/create_model.request",
            errors=WRITE_ERRORS,
            links={
                name: NEW_MODEL
                for name in (
                    "GetModel",
                    "UpdateModel",
                    "DeleteModel",
                    "CreateModelLabels",
                    "DeleteModelLabels",
                    "CreateModelVersion",
                    "ListModelVersions",
                )
            },
        ),
        Operation(
            "GET",
            MODELS,
            "ListModels",
            list_models,
            summary="Lists models.",
            params=LIST_MODELS_PARAMS,
            response_schema="pai/list_models.response",
        ),
        Operation(
            "GET",
            MODEL,
            "GetModel",
            get_model,
            summary="Gets the details of a model.",
            params=(MODEL_ID,),
            response_schema="pai/get_model.response",
        ),
        Operation(
            "PUT",
            MODEL,
            "UpdateModel",
            writes.update_model,
            summary="Updates a model (only the fields sent).",
            params=(MODEL_ID,),
            response_schema=DONE,
            request_schema="pai/update_model.request",
            errors=WRITE_ERRORS,
        ),
        Operation(
            "DELETE",
            MODEL,
            "DeleteModel",
            writes.delete_model,
            summary="Deletes a model and its versions.",
            params=(MODEL_TO_DELETE,),
            response_schema=DONE,
            errors=WRITE_ERRORS,
        ),
        Operation(
            "POST",
            f"{MODEL}/labels",
            "CreateModelLabels",
            writes.create_model_labels,
            summary="Adds labels to a model, or sets the value of a key it has.",
            params=(MODEL_ID,),
            response_schema=DONE,
            request_schema="pai/create_model_labels.request",
            errors=WRITE_ERRORS,
        ),
        Operation(
            "DELETE",
            f"{MODEL}/labels",
            "DeleteModelLabels",
            writes.delete_model_labels,
            summary="Deletes labels of a model by key.",
            params=(MODEL_ID, writes.LABEL_KEYS),
            response_schema=DONE,
            errors=WRITE_ERRORS,
        ),
        Operation(
            "POST",
            VERSIONS,
            "CreateModelVersion",
            writes.create_model_version,
            summary="Adds a version to a model.",
            params=(MODEL_ID,),
            response_schema="pai/create_model_version.response",
            request_schema="pai/create_model_version.request",
            errors=WRITE_ERRORS,
            links={
                name: NEW_VERSION
                for name in (
                    "GetModelVersion",
                    "UpdateModelVersion",
                    "DeleteModelVersion",
                    "CreateModelVersionLabels",
                    "DeleteModelVersionLabels",
                )
            },
        ),
        Operation(
            "GET",
            VERSIONS,
            "ListModelVersions",
            list_model_versions,
            summary="Lists the versions of a model.",
            params=(MODEL_ID, *LIST_PARAMS),
            response_schema="pai/list_model_versions.response",
        ),
        Operation(
            "GET",
            VERSION,
            "GetModelVersion",
            get_model_version,
            summary="Gets a version of a model.",
            params=(MODEL_ID, VERSION_NAME),
            response_schema="pai/get_model_version.response",
        ),
        Operation(
            "PUT",
            VERSION,
            "UpdateModelVersion",
            writes.update_model_version,
            summary="Updates a version (only the fields sent), e.g. its ApprovalStatus.",
            params=(MODEL_ID, VERSION_NAME),
            response_schema=DONE,
            request_schema="pai/update_model_version.request",
            errors=WRITE_ERRORS,
        ),
        Operation(
            "DELETE",
            VERSION,
            "DeleteModelVersion",
            writes.delete_model_version,
            summary="Deletes a version of a model.",
            params=(MODEL_ID, VERSION_TO_DELETE),
            response_schema=DONE,
            errors=WRITE_ERRORS,
        ),
        Operation(
            "POST",
            f"{VERSION}/labels",
            "CreateModelVersionLabels",
            writes.create_model_version_labels,
            summary="Adds labels to a version, or sets the value of a key it has.",
            params=(MODEL_ID, VERSION_NAME),
            response_schema=DONE,
            request_schema="pai/create_model_version_labels.request",
            errors=WRITE_ERRORS,
        ),
        Operation(
            "DELETE",
            f"{VERSION}/labels",
            "DeleteModelVersionLabels",
            writes.delete_model_version_labels,
            summary="Deletes labels of a version by key.",
            params=(MODEL_ID, VERSION_NAME, writes.LABEL_KEYS),
            response_schema=DONE,
            errors=WRITE_ERRORS,
        ),
    ),
    collections=COLLECTIONS,
    build=build,
    error=error_for_status,
    param_error=param_error,
    write_error=write_error,
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
