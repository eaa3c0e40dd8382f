"""Alibaba Cloud PAI: the write handlers (models, versions and their labels).

Each reads its body through core.writes (refused in PAI's envelope), finds what it
touches in the backend (404 ModelNotFound / ModelVersionNotFound), builds the new
records with times from the app's clock, and hands the store one change set.
Every answer is JSON with RequestId: the SDK cannot read an empty body.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.fixtures import FixtureError, Record
from mockserver.core.generate import utc_text
from mockserver.core.jsonbytes import JSONBytes, dumps
from mockserver.core.params import Param, parse_query
from mockserver.core.provenance import Source
from mockserver.core.store import Change
from mockserver.core.vendor import backend, request_id
from mockserver.core.writes import refused, single_process, write_body
from mockserver.vendors.pai.backend import MODEL_FIELDS, NAME, Backend
from mockserver.vendors.pai.errors import Error, missing_parameter, version_not_found
from mockserver.vendors.pai.reads import DOCS

ACCOUNT_ID = "1557702098765432"  # UserId and OwnerId of what the mock creates
DEFAULT_WORKSPACE = "1000"  # WorkspaceId of a model created without one
ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
LABEL_KEYS = Param(
    "LabelKeys",
    min_length=1,
    max_length=4096,
    pattern=r".*[^,\s].*",  # at least one key
    required=True,
    blank_is_absent=False,
    description="The keys of the labels to delete, comma-separated (k1,k2); required.",
    example="k1",
    source=Source(DOCS + "deletemodellabels", "DeleteModelLabels"),
)


def answer(request: Request, **fields: Any) -> Response:
    """A write's success: 200, RequestId (body and x-acs-request-id) and `fields`."""
    rid = request_id(request, "UUID")
    return JSONBytes(dumps({"RequestId": rid, **fields}), headers={"x-acs-request-id": rid})


def now(request: Request) -> str:
    return utc_text(request.app.clock.now())


def apply(request: Request, changes: Sequence[Change]) -> None:
    """The change set, all or nothing; a record breaking a data rule is a 400."""
    try:
        request.app.store.apply(NAME, changes)
    except FixtureError as exc:
        raise refused(exc) from None


def held_version(request: Request, model_id: str, version_name: str) -> Record:
    """The version as the store holds it (with its ModelId): 404 if unknown."""
    backend(request, NAME).version(model_id, version_name)
    found: Record | None = request.app.store.records[NAME]["versions"].get((model_id, version_name))
    if found is None:  # the backend and the store always agree; kept as a guard
        raise version_not_found(model_id, version_name)
    return found


def new_model_id(request: Request, store: Backend) -> str:
    """`model-` and 16 lower-case letters and digits, from the app's (seeded) random."""
    rng = request.app.rng
    while True:
        model_id = "model-" + "".join(rng.choice(ID_CHARS) for _ in range(16))
        if model_id not in store.models:
            return model_id


def upsert_labels(held: Iterable[Record], given: Iterable[Record]) -> list[Record]:
    """Labels with `given` set by key: a key held takes the new value in its place, a new
    key goes last (docs/decisions.md)."""
    labels = {label["Key"]: label for label in held}
    for label in given:
        labels[label["Key"]] = {"Key": label["Key"], "Value": label["Value"]}
    return list(labels.values())


def label_keys(request: Request) -> set[str]:
    """The keys of `LabelKeys=k1,k2`: required (MissingParameter.LabelKeys when absent)."""
    text = parse_query(request.scope["query_string"], (LABEL_KEYS,))["LabelKeys"]
    keys = {key.strip() for key in (text or "").split(",")} - {""}
    if not keys:
        raise missing_parameter("LabelKeys")
    return keys


async def create_model(request: Request) -> Response:
    body = await write_body(request, "pai/create_model.request")
    store: Backend = backend(request, NAME)
    model_id, moment = new_model_id(request, store), now(request)
    given = {k: v for k, v in body.items() if k not in ("Tag",)}
    record = {
        "ModelId": model_id,
        "GmtCreateTime": moment,
        "GmtModifiedTime": moment,
        "UserId": ACCOUNT_ID,
        "OwnerId": ACCOUNT_ID,
        "WorkspaceId": DEFAULT_WORKSPACE,
        "Accessibility": "PRIVATE",
        **given,
    }
    if "Tag" in body:
        record["Tags"] = body["Tag"]
    ordered = {k: record[k] for k in (*MODEL_FIELDS, "Tags") if k in record}
    apply(request, [Change("models", new=ordered)])
    return answer(request, ModelId=model_id)


async def update_model(request: Request) -> Response:
    body = await write_body(request, "pai/update_model.request")
    held = backend(request, NAME).model(request.path_params["ModelId"])
    apply(request, [Change("models", held, {**held, **body, "GmtModifiedTime": now(request)})])
    return answer(request)


async def delete_model(request: Request) -> Response:
    """The model and its versions (newest first, so each leaves the end of its lists)."""
    single_process(request)
    store: Backend = backend(request, NAME)
    model_id = request.path_params["ModelId"]
    held = store.model(model_id)
    records = request.app.store.records[NAME]["versions"]
    changes = [
        Change("versions", old=records[(model_id, v["VersionName"])])
        for v in reversed(store.versions[model_id])
    ]
    apply(request, [*changes, Change("models", old=held)])
    return answer(request)


async def create_model_version(request: Request) -> Response:
    body = await write_body(request, "pai/create_model_version.request")
    store: Backend = backend(request, NAME)
    model_id = request.path_params["ModelId"]
    store.model(model_id)
    name = body.get("VersionName") or store.next_version_name(model_id)
    if name in store.named[model_id]:
        raise Error(
            409,
            "ModelVersionAlreadyExists",
            f"Specified parameter VersionName is not valid: version {name} already exists in "
            f"model {model_id}; a version name is unique within its model.",
        )
    moment = now(request)
    record = {
        "ModelId": model_id,
        "VersionName": name,
        "GmtCreateTime": moment,
        "GmtModifiedTime": moment,
        "UserId": ACCOUNT_ID,
        "OwnerId": ACCOUNT_ID,
        **{k: v for k, v in body.items() if k != "VersionName"},
    }
    apply(request, [Change("versions", new=record)])
    return answer(request, VersionName=name)


async def update_model_version(request: Request) -> Response:
    body = await write_body(request, "pai/update_model_version.request")
    params = request.path_params
    held = held_version(request, params["ModelId"], params["VersionName"])
    apply(request, [Change("versions", held, {**held, **body, "GmtModifiedTime": now(request)})])
    return answer(request)


async def delete_model_version(request: Request) -> Response:
    single_process(request)
    params = request.path_params
    held = held_version(request, params["ModelId"], params["VersionName"])
    apply(request, [Change("versions", old=held)])
    return answer(request)


async def create_model_labels(request: Request) -> Response:
    body = await write_body(request, "pai/create_model_labels.request")
    held = backend(request, NAME).model(request.path_params["ModelId"])
    labels = upsert_labels(held.get("Labels", ()), body["Labels"])
    new = {**held, "Labels": labels, "GmtModifiedTime": now(request)}
    apply(request, [Change("models", held, new)])
    return answer(request)


async def delete_model_labels(request: Request) -> Response:
    single_process(request)
    held = backend(request, NAME).model(request.path_params["ModelId"])
    keys = label_keys(request)
    labels = [label for label in held.get("Labels", ()) if label["Key"] not in keys]
    new = {**held, "Labels": labels, "GmtModifiedTime": now(request)}
    apply(request, [Change("models", held, new)])
    return answer(request)


async def create_model_version_labels(request: Request) -> Response:
    body = await write_body(request, "pai/create_model_version_labels.request")
    params = request.path_params
    held = held_version(request, params["ModelId"], params["VersionName"])
    labels = upsert_labels(held.get("Labels", ()), body["Labels"])
    new = {**held, "Labels": labels, "GmtModifiedTime": now(request)}
    apply(request, [Change("versions", held, new)])
    return answer(request)


async def delete_model_version_labels(request: Request) -> Response:
    single_process(request)
    params = request.path_params
    held = held_version(request, params["ModelId"], params["VersionName"])
    keys = label_keys(request)
    labels = [label for label in held.get("Labels", ()) if label["Key"] not in keys]
    new = {**held, "Labels": labels, "GmtModifiedTime": now(request)}
    apply(request, [Change("versions", held, new)])
    return answer(request)
