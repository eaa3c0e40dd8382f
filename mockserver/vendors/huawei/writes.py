"""Huawei DataArts Fabric: the write handlers (models and their versions).

Each reads its body through `core.writes.write_body`, finds what it touches in the
backend (the documented 404 and 400 refusals), builds new records with times from the
app's clock and hands the store one change set. The current version of a model lives in
the model (`current_version`); its other versions are `versions` records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.errors import clip
from mockserver.core.fixtures import FixtureError, Record
from mockserver.core.generate import utc_text
from mockserver.core.jsonbytes import JSONBytes, dumps
from mockserver.core.params import parse_path
from mockserver.core.store import Change
from mockserver.core.vendor import backend, request_id
from mockserver.core.writes import WriteError, refused, write_body
from mockserver.vendors.huawei.backend import NAME, Backend, Workspace
from mockserver.vendors.huawei.errors import Error
from mockserver.vendors.huawei.reads import MODEL_PARAM, PATH_PARAMS, VERSION_PARAM

BAD_REQUEST = "failed to read http request, please check your input, code: 400"
MESSAGE_LIMIT = 400  # characters of a reason in error_msg (the envelope allows 512)


def write_error(request: Request, exc: WriteError) -> Error:
    """A refused body in the envelope: APIG's documented 413, else the service's 400."""
    if exc.reason == "too_large":
        return Error(413, "APIG.0201", "Request entity too large")
    return bad_request(exc.message, f"Correct {exc.field}." if exc.field else None)


def bad_request(reason: str, solution: str | None = None) -> Error:
    """The service's 400 (`common.01000001`), its reason in the documented wording."""
    message = f"{BAD_REQUEST}, reason: {clip(reason, MESSAGE_LIMIT)}"
    if solution is None:
        return Error(400, "common.01000001", message)
    return Error(400, "common.01000001", message, solution=solution)


def new_id(request: Request) -> str:
    """32 hex digits from the app's random source (a seeded server repeats them)."""
    return f"{request.app.rng.getrandbits(128):032x}"


def now_text(request: Request) -> str:
    return utc_text(request.app.clock.now())


def _not_before(now: str, floor: str) -> str:
    """`now`, or `floor` when the mock's clock was set before it: a model is never
    updated, nor a version of it made, before the model was created."""
    return floor if datetime.fromisoformat(now) < datetime.fromisoformat(floor) else now


def held_record(request: Request, collection: str, key: str) -> Record:
    """The record as the store holds it (link fields included), for a Change's `old`."""
    record: Record = request.app.store.records[NAME][collection][(key,)]
    return record


def apply_changes(request: Request, changes: list[Change]) -> None:
    try:
        request.app.store.apply(NAME, changes)
    except FixtureError as exc:
        raise refused(exc) from None


def reply(request: Request, body: Any, status: int = 200) -> Response:
    response = JSONBytes(dumps(body), headers={"X-Request-Id": request_id(request, "hex")})
    response.status_code = status
    return response


def _version(request: Request, given: Record, workspace: Workspace, now: str) -> Record:
    """A new ModelVersionInfo from a ModelVersionInput; its base model must be offered."""
    store: Backend = backend(request, NAME)
    config = given.get("config", {}).get("llm_model_config")
    if config is not None and config["base_model_type"] not in store.base_models:
        offered = ", ".join(list(store.base_models)[:20])
        raise bad_request(
            f"base_model_type {config['base_model_type']!r} is not a base model "
            f"(ListBaseModels offers: {offered})",
            "Set version.config.llm_model_config.base_model_type to one ListBaseModels returns.",
        )
    version: Record = {"id": new_id(request), "name": given["name"], "cap_white_list": []}
    for field in ("description", "config"):
        if field in given:
            version[field] = given[field]
    return {**version, "create_time": now, "create_user": workspace.user}


def _taken(workspace: Workspace, name: str) -> Error:
    return bad_request(
        f"the model name {name!r} already exists in this workspace",
        "Model names are unique in a workspace: choose another name.",
    )


async def create_model(request: Request) -> Response:
    """CreateModelDefinition: a model and its first version, current at once."""
    path = parse_path(dict(request.path_params), PATH_PARAMS)
    body = await write_body(request, "huawei/create_model.request")
    store: Backend = backend(request, NAME)
    workspace = store.workspace(path["workspace_id"])
    if workspace.named(body["name"]):
        raise _taken(workspace, body["name"])
    now = now_text(request)
    version = _version(request, body["version"], workspace, now)
    model: Record = {
        "workspace_id": path["workspace_id"],
        "visibility": "PRIVATE",
        "id": new_id(request),
        "name": body["name"],
        **({"description": body["description"]} if "description" in body else {}),
        "type": body["type"],
        "create_time": now,
        "update_time": now,
        "current_version": version,
        "create_user": workspace.user,
        "update_user": workspace.user,
    }
    apply_changes(request, [Change("models", new=model)])
    return reply(request, {"id": model["id"], "version_id": version["id"]})


async def update_model(request: Request) -> Response:
    """UpdateModelDefinition: rename, describe, add a version (made current) or make
    another version current. The version it replaces as current stays listed."""
    path = parse_path(dict(request.path_params), (*PATH_PARAMS, MODEL_PARAM))
    body = await write_body(request, "huawei/update_model.request")
    store: Backend = backend(request, NAME)
    workspace = store.workspace(path["workspace_id"])
    model = store.model(path["workspace_id"], path["model_id"])
    name = str(body.get("name", model["name"]))
    if name.lower() != model["name"].lower() and workspace.named(name):
        raise _taken(workspace, name)
    now = _not_before(now_text(request), model["create_time"])  # the clock may be set back
    changes: list[Change] = []
    current = model.get("current_version")
    if "version" in body:
        if "current_version_id" in body:
            raise bad_request(
                "version and current_version_id cannot be given together",
                "Add a version (it becomes current) or switch to an existing one, not both.",
            )
        wanted = body["version"]["name"]
        if any(v["name"] == wanted for v in store.all_versions(model)):
            raise bad_request(
                f"the version name {wanted!r} already exists for this model",
                "Version names are unique in a model: choose another name.",
            )
        current = _version(request, body["version"], workspace, now)
        changes += _retire(model)
    elif "current_version_id" in body and body["current_version_id"] != (current or {}).get("id"):
        chosen = body["current_version_id"]
        if chosen not in store.versions.get(model["id"], {}):
            raise _no_version(path["model_id"], chosen)
        changes.append(Change("versions", old=held_record(request, "versions", chosen)))
        current = store.versions[model["id"]][chosen]
        changes += _retire(model)
    new = {
        **held_record(request, "models", model["id"]),
        "name": name,
        "update_time": now,
        "update_user": workspace.user,
    }
    if "description" in body:
        new["description"] = body["description"]
    if current is not None:
        new["current_version"] = current
    changes.append(Change("models", old=held_record(request, "models", model["id"]), new=new))
    apply_changes(request, changes)
    return reply(request, store.model(path["workspace_id"], path["model_id"]))


def _retire(model: Record) -> list[Change]:
    """The model's current version as one of its other versions (it stays listed)."""
    current = model.get("current_version")
    return [] if current is None else [Change("versions", new={**current, "model_id": model["id"]})]


def _no_version(model_id: str, version_id: str) -> Error:
    return Error(
        404,
        "common.01000001",
        "response status exception, code: 404",
        solution=f"Check the version ID: model {model_id} has no version {version_id}.",
    )


def _not_in_use(store: Backend, version_ids: list[str], what: str) -> None:
    """The documented refusal: a version an endpoint serves cannot be deleted."""
    serving = store.in_use(version_ids)
    if serving:
        shown = ", ".join(serving[:5]) + (
            f" and {len(serving) - 5} more" if len(serving) > 5 else ""
        )
        raise bad_request(
            f"{what} is in use by endpoint {shown}",
            "Delete the inference service (DeleteEndpoint) that uses it first.",
        )


async def delete_model_version(request: Request) -> Response:
    """DeleteModelVersion (202): a version other than the current one, not in use."""
    path = parse_path(dict(request.path_params), (*PATH_PARAMS, MODEL_PARAM, VERSION_PARAM))
    store: Backend = backend(request, NAME)
    model = store.model(path["workspace_id"], path["model_id"])
    version_id = path["version_id"]
    current = model.get("current_version", {}).get("id") == version_id
    if not current and version_id not in store.versions.get(model["id"], {}):
        raise _no_version(model["id"], version_id)
    _not_in_use(store, [version_id], f"version {version_id}")  # the documented refusal first
    if current:
        raise bad_request(
            f"version {version_id} is the current version of model {model['id']}",
            "Make another version current (UpdateModelDefinition current_version_id) first, "
            "or delete the whole model (CleanupModel).",
        )
    apply_changes(request, [Change("versions", old=held_record(request, "versions", version_id))])
    return reply(request, {}, 202)


async def cleanup_model(request: Request) -> Response:
    """CleanupModel (200): the model and all its versions, none of them in use."""
    path = parse_path(dict(request.path_params), (*PATH_PARAMS, MODEL_PARAM))
    store: Backend = backend(request, NAME)
    model = store.model(path["workspace_id"], path["model_id"])
    _not_in_use(store, [v["id"] for v in store.all_versions(model)], f"model {model['id']}")
    changes = [
        Change("versions", old=held_record(request, "versions", v))
        for v in store.versions.get(model["id"], {})
    ]
    changes.append(Change("models", old=held_record(request, "models", model["id"])))
    apply_changes(request, changes)
    return reply(request, {})
