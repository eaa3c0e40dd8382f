"""Huawei DataArts Fabric: endpoints (inference services), their states and handlers.

The states are the SDK's `EndpointStatus`; how they change is one table read by the
lifecycle core (core/lifecycle.py): a write takes its "now" row (create -> CREATING,
update -> UPDATING, delete -> DELETING), a read settles the endpoint it shows along the
"later" rows when the timing mode says so (CREATING -> RUNNING, UPDATING -> RUNNING,
DELETING -> gone; the *_FAILED ends when a fault rule's `outcome` or a test picks them).
An endpoint serves a model version (`cap`: the model's id and the version's), which is
then "in use" and cannot be deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.fixtures import Record
from mockserver.core.generate import utc_text
from mockserver.core.lifecycle import Kind, LifecycleError, Row, Table
from mockserver.core.params import Param, parse_path, parse_query, sourced
from mockserver.core.provenance import Source
from mockserver.core.store import Change
from mockserver.core.vendor import backend
from mockserver.core.writes import write_body
from mockserver.vendors.huawei.backend import NAME, Backend
from mockserver.vendors.huawei.errors import Error
from mockserver.vendors.huawei.reads import ID_CHARS, PAGE_PARAMS, PATH_PARAMS
from mockserver.vendors.huawei.writes import (
    apply_changes,
    bad_request,
    held_record,
    new_id,
    now_text,
    reply,
)

STATES = (
    "CREATING",
    "RUNNING",
    "CREATE_FAILED",
    "DELETING",
    "DELETED",
    "UPDATING",
    "UPDATE_FAILED",
    "DELETE_FAILED",
    "FROZEN",
    "INACTIVE",
)
TYPES = ("service", "ray", "inference", "job", "ray_service", "sql", "container_job", "notebook")
DELETABLE = ("RUNNING", "CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED", "FROZEN", "INACTIVE")
TABLE = Table(
    STATES,
    (
        Row(None, "create", "CREATING"),
        Row("CREATING", "ready", "RUNNING", "later"),
        Row("CREATING", "fail", "CREATE_FAILED", "later"),
        Row("RUNNING", "update", "UPDATING"),
        Row("UPDATE_FAILED", "update", "UPDATING"),
        Row("UPDATING", "ready", "RUNNING", "later"),
        Row("UPDATING", "fail", "UPDATE_FAILED", "later"),
        *(Row(state, "delete", "DELETING") for state in DELETABLE),
        Row("DELETING", "gone", None, "later"),
        Row("DELETING", "fail", "DELETE_FAILED", "later"),
    ),
)
FAILURES = {  # what an endpoint shows in a failed state (codes of the mock's own)
    "CREATE_FAILED": ("FABRIC.ENDPOINT.CREATE_FAILED", "creating the endpoint failed"),
    "UPDATE_FAILED": ("FABRIC.ENDPOINT.UPDATE_FAILED", "updating the endpoint failed"),
    "DELETE_FAILED": ("FABRIC.ENDPOINT.DELETE_FAILED", "deleting the endpoint failed"),
}
ADDRESS = "https://fabric.mock.invalid/v1/workspaces/{ws}/endpoints/{id}/chat/completions"


def becomes(record: Record, state: str, now: datetime) -> Record:
    """The endpoint once in `state`: its status and update_time; urls while it serves
    (RUNNING, UPDATING), an error_code/error_msg in a failed state."""
    new = {k: v for k, v in record.items() if k not in ("error_code", "error_msg", "urls")}
    new["status"] = state
    new["update_time"] = max(utc_text(now), record["create_time"], key=datetime.fromisoformat)
    if state in ("RUNNING", "UPDATING"):
        address = ADDRESS.format(ws=record["workspace_id"], id=record["id"])
        new["urls"] = [{"name": "inference", "address": address, "type": "PRIVATE"}]
        if record.get("public_access"):
            new["urls"].append({"name": "inference", "address": address, "type": "PUBLIC"})
    if state in FAILURES:
        new["error_code"], new["error_msg"] = FAILURES[state]
    return new


KIND = Kind("endpoint", "endpoints", "id", "status", TABLE, becomes)

SDK = Source(
    "https://support.huaweicloud.com/intl/en-us/api-fabric/CreateEndpoint.html",
    "ListEndpoints",
    "sdk",
)
ENDPOINT_PARAM = Param(
    "endpoint_id",
    min_length=32,
    max_length=36,
    pattern=ID_CHARS,
    location="path",
    description="Endpoint ID.",
    example="9f1c2e3d4b5a69788a7b6c5d4e3f2a1b",
    source=SDK,
)
SHOW_PARAMS = (
    Param(
        "version",
        min_length=1,
        max_length=64,
        description="Accepted, not used by the mock.",
        source=Source(
            decision="Huawei DataArts Fabric models and endpoints (the twin)", kind="decision"
        ),
    ),
)
LIST_PARAMS = (
    *PAGE_PARAMS,
    *sourced(
        SDK,
        Param(
            "model_id", min_length=32, max_length=36, pattern=ID_CHARS, description="cap.cap_id."
        ),
        Param(
            "name",
            min_length=1,
            max_length=128,
            pattern=r"[A-Za-z0-9_. -]+",
            description="Endpoint name, fuzzy (case-insensitive substring).",
        ),
        Param("endpoint_id", min_length=32, max_length=36, pattern=ID_CHARS, description="Exact."),
        Param("type", "enum", choices=TYPES, description="Endpoint type."),
        Param(
            "visibility",
            "enum",
            choices=("PRIVATE", "PUBLIC", "ALL"),
            description="Blank: the caller's endpoints, PRIVATE and PUBLIC.",
        ),
    ),
)
BRIEF_DROPS = ("urls", "runtime_env_type")  # EndpointBriefInfo has neither


def _settled(request: Request, workspace_id: str, endpoint_id: str) -> Record | None:
    """The endpoint as a read shows it now (a due change of state made first)."""
    store: Backend = backend(request, NAME)
    if endpoint_id not in store.workspace(workspace_id).endpoints:
        return None
    held = held_record(request, "endpoints", endpoint_id)
    if request.app.lifecycle.settle(NAME, KIND, held) is None:
        return None
    return store.workspace(workspace_id).endpoints.get(endpoint_id)


def _shown(endpoint: Record) -> Record:
    return {k: v for k, v in endpoint.items() if k != "public_access"}


async def show_endpoint(request: Request) -> Response:
    path = parse_path(dict(request.path_params), (*PATH_PARAMS, ENDPOINT_PARAM))
    parse_query(request.scope["query_string"], SHOW_PARAMS)
    store: Backend = backend(request, NAME)
    store.endpoint(path["workspace_id"], path["endpoint_id"])  # 404 first
    found = _settled(request, path["workspace_id"], path["endpoint_id"])
    if found is None:  # it was DELETING, and now it is gone
        store.endpoint(path["workspace_id"], path["endpoint_id"])
    assert found is not None
    return reply(request, _shown(found))


async def list_endpoints(request: Request) -> Response:
    """A page of endpoints, each settled first; the page is then read again (one that
    was deleting may have gone)."""
    path = parse_path(dict(request.path_params), PATH_PARAMS)
    q = parse_query(request.scope["query_string"], LIST_PARAMS)
    store: Backend = backend(request, NAME)
    for endpoint in store.list_endpoints(path["workspace_id"], q).items:
        _settled(request, path["workspace_id"], endpoint["id"])
    page = store.list_endpoints(path["workspace_id"], q)
    brief = [{k: v for k, v in _shown(e).items() if k not in BRIEF_DROPS} for e in page.items]
    return reply(request, {"total": page.total, "endpoints": brief})


def _outcome(request: Request) -> str | None:
    """The end a fault rule chose for this write (`outcome`), if any."""
    fault = request.scope.get("state", {}).get("fault") or {}
    outcome = fault.get("outcome") if isinstance(fault, dict) else None
    return outcome if isinstance(outcome, str) else None


def _serving(store: Backend, workspace_id: str, cap: dict[str, Any]) -> None:
    """`cap` must name a model of the workspace the caller sees and one of its versions."""
    try:
        model = store.model(workspace_id, cap["cap_id"])
    except Error:  # the model's 404, said as the body's fault
        raise bad_request(
            f"cap.cap_id {cap['cap_id']} is not a model of workspace {workspace_id}",
            "Set cap.cap_id to a model id (ListModels) and cap.version_id to one of its "
            "versions (ListModelVersions).",
        ) from None
    if all(v["id"] != cap["version_id"] for v in store.all_versions(model)):
        raise bad_request(
            f"cap.version_id {cap['version_id']} is not a version of model {cap['cap_id']}",
            "Set cap.version_id to one of the model's versions (ListModelVersions).",
        )


def _refused(exc: LifecycleError) -> Error:
    return bad_request(str(exc), "Wait until the endpoint is RUNNING (ShowEndpoint), then retry.")


async def create_endpoint(request: Request) -> Response:
    """CreateEndpoint: CREATING at once, RUNNING when the lifecycle's timing says so."""
    path = parse_path(dict(request.path_params), PATH_PARAMS)
    body = await write_body(request, "huawei/create_endpoint.request")
    store: Backend = backend(request, NAME)
    workspace = store.workspace(path["workspace_id"])
    if any(e["name"].lower() == body["name"].lower() for e in workspace.endpoints.values()):
        raise bad_request(
            f"the endpoint name {body['name']!r} already exists in this workspace",
            "Endpoint names are unique in a workspace: choose another name.",
        )
    _serving(store, path["workspace_id"], body["cap"])
    lifecycle = request.app.lifecycle
    endpoint_id = new_id(request)
    row = lifecycle.on(KIND, endpoint_id, None, "create")
    now = now_text(request)
    record: Record = {
        "workspace_id": path["workspace_id"],
        "visibility": "PRIVATE",
        "id": endpoint_id,
        "name": body["name"],
        "type": body.get("type", "inference"),
        "status": row.next,
        "create_time": now,
        "update_time": now,
        "owner": workspace.user,
        "cap": body["cap"],
        "runtime_env_type": "RELEASE",
    }
    for field in ("description", "reserved_resource", "custom_image_id"):
        if field in body:
            record[field] = body[field]
    if body.get("public_access"):
        record["public_access"] = True  # kept in the record only: a PUBLIC url when serving
    apply_changes(request, [Change("endpoints", new=record)])
    lifecycle.entered(NAME, KIND, endpoint_id, None, row.next, "create", _outcome(request))
    return reply(request, _shown(store.endpoint(path["workspace_id"], endpoint_id)))


async def update_endpoint(request: Request) -> Response:
    """UpdateEndpoint: from RUNNING (or UPDATE_FAILED) to UPDATING, then RUNNING."""
    path = parse_path(dict(request.path_params), (*PATH_PARAMS, ENDPOINT_PARAM))
    body = await write_body(request, "huawei/update_endpoint.request")
    store: Backend = backend(request, NAME)
    workspace = store.workspace(path["workspace_id"])
    endpoint_id = path["endpoint_id"]
    store.endpoint(path["workspace_id"], endpoint_id)
    current = _settled(request, path["workspace_id"], endpoint_id)
    if current is None:
        store.endpoint(path["workspace_id"], endpoint_id)  # gone meanwhile: 404
    assert current is not None
    name = str(body.get("name", current["name"]))
    if name.lower() != current["name"].lower() and any(
        e["name"].lower() == name.lower() for e in workspace.endpoints.values()
    ):
        raise bad_request(
            f"the endpoint name {name!r} already exists in this workspace",
            "Endpoint names are unique in a workspace: choose another name.",
        )
    if "cap" in body:
        _serving(store, path["workspace_id"], body["cap"])
    lifecycle = request.app.lifecycle
    try:
        row = lifecycle.on(KIND, endpoint_id, current["status"], "update")
    except LifecycleError as exc:
        raise _refused(exc) from None
    held = held_record(request, "endpoints", endpoint_id)
    new = KIND.becomes({**held, **body}, str(row.next), request.app.clock.now())
    apply_changes(request, [Change("endpoints", old=held, new=new)])
    lifecycle.entered(
        NAME, KIND, endpoint_id, current["status"], row.next, "update", _outcome(request)
    )
    return reply(request, _shown(store.endpoint(path["workspace_id"], endpoint_id)))


async def delete_endpoint(request: Request) -> Response:
    """DeleteEndpoint: DELETING at once, gone when the lifecycle's timing says so; the
    version it served is in use until then."""
    path = parse_path(dict(request.path_params), (*PATH_PARAMS, ENDPOINT_PARAM))
    store: Backend = backend(request, NAME)
    endpoint_id = path["endpoint_id"]
    store.endpoint(path["workspace_id"], endpoint_id)
    current = _settled(request, path["workspace_id"], endpoint_id)
    if current is None:
        store.endpoint(path["workspace_id"], endpoint_id)
    assert current is not None
    lifecycle = request.app.lifecycle
    try:
        row = lifecycle.on(KIND, endpoint_id, current["status"], "delete")
    except LifecycleError as exc:
        raise _refused(exc) from None
    held = held_record(request, "endpoints", endpoint_id)
    new = KIND.becomes(held, str(row.next), request.app.clock.now())
    apply_changes(request, [Change("endpoints", old=held, new=new)])
    lifecycle.entered(
        NAME, KIND, endpoint_id, current["status"], row.next, "delete", _outcome(request)
    )
    return reply(request, {"id": endpoint_id})
