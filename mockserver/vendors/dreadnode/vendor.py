"""Dreadnode: the Vendor declaration (operations and routes, statuses, security)."""

from __future__ import annotations

from mockserver.core.vendor import Operation, Vendor
from mockserver.vendors.dreadnode import reads, registry, writes
from mockserver.vendors.dreadnode.auth import authenticate
from mockserver.vendors.dreadnode.backend import COLLECTIONS, NAME, build
from mockserver.vendors.dreadnode.errors import (
    STATUS_TYPES,
    error_for_status,
    param_error,
    write_error,
)
from mockserver.vendors.dreadnode.generate import generate
from mockserver.vendors.dreadnode.reads import (
    ALIAS_PARAMS,
    COMPARE_PARAMS,
    DIGEST,
    FACET_PARAMS,
    LIST_PARAMS,
    MULTI_PARAMS,
    ORG,
    PATH_PARAMS,
    UPLOAD,
    VERSION_PARAMS,
)

MODELS = "/api/v1/org/{org}/models"
MODEL = MODELS + "/{name}"
VERSION = MODEL + "/{version}"
DETAIL = "dreadnode/model_detail.response"
# The literal segments (`facets` before `{name}`; `versions`, `compare`, `visibility`
# before `{version}`) come first:
# the first route that matches answers.
OPERATIONS = (
    Operation(
        "GET",
        MODELS,
        "list_models",
        reads.list_models,
        summary="List models of an organisation (newest version of each), paged.",
        params=(ORG, *LIST_PARAMS, *MULTI_PARAMS),
        response_schema="dreadnode/list_models.response",
    ),
    Operation(
        "GET",
        MODELS + "/facets",
        "get_model_facets",
        reads.get_model_facets,
        summary="The values each list filter could take, with how many models hold each.",
        params=(ORG, *FACET_PARAMS, *MULTI_PARAMS),
        response_schema="dreadnode/facets.response",
    ),
    Operation(
        "GET",
        MODEL + "/versions",
        "list_model_versions",
        reads.list_model_versions,
        summary="List all versions of a model.",
        params=PATH_PARAMS,
        response_schema="dreadnode/list_model_versions.response",
    ),
    Operation(
        "GET",
        MODEL + "/compare",
        "compare_model_versions",
        reads.compare_model_versions,
        summary="Compare 2 to 5 versions side by side.",
        params=(*PATH_PARAMS, *COMPARE_PARAMS),
        response_schema="dreadnode/compare.response",
    ),
    Operation(
        "PATCH",
        MODEL + "/visibility",
        "update_model_visibility",
        writes.update_model_visibility,
        summary="Make every version of a model name public or private.",
        params=PATH_PARAMS,
        response_schema="dreadnode/visibility.response",
        request_schema="dreadnode/update_model_visibility.request",
        errors=(409, 413),
    ),
    Operation(
        "GET",
        MODEL,
        "get_model_latest",
        reads.get_model_latest,
        summary="The newest version of a model, in full.",
        params=PATH_PARAMS,
        response_schema=DETAIL,
    ),
    Operation(
        "GET",
        VERSION,
        "get_model_version",
        reads.get_model_version,
        summary="One version of a model, in full.",
        params=VERSION_PARAMS,
        response_schema=DETAIL,
    ),
    Operation(
        "DELETE",
        VERSION,
        "delete_model_version",
        writes.delete_model_version,
        summary="Delete a version (the model goes with its last version); answers it.",
        params=VERSION_PARAMS,
        response_schema=DETAIL,
        errors=(409,),
    ),
    Operation(
        "POST",
        VERSION + "/download",
        "download_model",
        writes.download_model,
        summary="A presigned download URL; counts a download.",
        params=VERSION_PARAMS,
        response_schema="dreadnode/download.response",
        errors=(409, 413),
    ),
    Operation(
        "POST",
        VERSION + "/aliases",
        "set_model_alias",
        writes.set_model_alias,
        summary="Put an alias on a version (moved from the version that held it).",
        params=VERSION_PARAMS,
        response_schema=DETAIL,
        request_schema="dreadnode/set_model_alias.request",
        errors=(409, 413),
    ),
    Operation(
        "DELETE",
        VERSION + "/aliases/{alias}",
        "remove_model_alias",
        writes.remove_model_alias,
        summary="Take an alias off a version.",
        params=ALIAS_PARAMS,
        response_schema=DETAIL,
        errors=(409,),
    ),
    Operation(
        "PUT",
        VERSION + "/metrics",
        "update_model_metrics",
        writes.update_model_metrics,
        summary="Merge evaluation metrics into a version's (keys not given are kept).",
        params=VERSION_PARAMS,
        response_schema=DETAIL,
        request_schema="dreadnode/update_model_metrics.request",
        errors=(409, 413),
    ),
)
# The OCI registry push_model publishes through, at the server root (no /org segment)
REGISTRY = (
    Operation(
        "HEAD",
        "/api/v1/{org}/blobs/{digest}",
        "registry_blob_exists",
        registry.blob_exists,
        summary="OCI: is the blob held? 200 or 404, no body.",
        params=(ORG, DIGEST),
        response_schema="dreadnode/oci_error",
    ),
    Operation(
        "POST",
        "/api/v1/{org}/{name}/blobs/uploads/",
        "registry_start_upload",
        registry.start_upload,
        summary="OCI: start a blob upload; its Location is where the bytes go.",
        params=PATH_PARAMS,
        response_schema="dreadnode/oci_error",
        status=202,
    ),
    Operation(
        "PUT",
        "/api/v1/{org}/{name}/blobs/uploads/{upload}",
        "registry_put_blob",
        registry.put_blob,
        summary="OCI: the blob's bytes, kept when their sha256 is `digest`.",
        params=(*PATH_PARAMS, UPLOAD),
        response_schema="dreadnode/oci_error",
        status=201,
    ),
    Operation(
        "PUT",
        "/api/v1/{org}/{name}/manifests/{version}",
        "registry_put_manifest",
        registry.put_manifest,
        summary="OCI: publish a version; its config blob (the model manifest) is its record.",
        params=VERSION_PARAMS,
        response_schema="dreadnode/oci_error",
        status=201,
        errors=(409, 413),
    ),
)

VENDOR = Vendor(
    name=NAME,
    title="Dreadnode",
    prefixes=("/api/v1/org",),
    operations=OPERATIONS + REGISTRY,
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
        "dreadnode_registry": {
            "type": "http",
            "scheme": "basic",
            "description": "The registry's: user __token__, the API key as password.",
        },
    },
    param_error_status=422,
    write_error=write_error,
)
