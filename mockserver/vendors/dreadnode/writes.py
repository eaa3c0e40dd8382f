"""Dreadnode: the REST write handlers (delete, aliases, visibility, metrics, download).

Each finds what it touches through the backend's indexes (its own 404), builds new
records with times from the app's clock, and hands the store one change set.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.fixtures import FixtureError, Record
from mockserver.core.jsonbytes import JSONBytes, Raw
from mockserver.core.params import parse_path
from mockserver.core.store import Change
from mockserver.core.vendor import backend
from mockserver.core.writes import read_json, refused, single_process, write_body
from mockserver.vendors.dreadnode.backend import NAME, Backend, detail
from mockserver.vendors.dreadnode.errors import Error
from mockserver.vendors.dreadnode.reads import ALIAS_PARAMS, PATH_PARAMS, VERSION_PARAMS

DOWNLOAD_HOST = "https://storage.mockserver.invalid"  # never resolves: no files are held
DOWNLOAD_TTL = timedelta(hours=1)


def stamp(request: Request) -> str:
    """Now on the mock's clock, as the API writes times (ISO 8601, UTC, `Z`)."""
    moment = request.app.clock.now()
    return str(moment.isoformat(timespec="microseconds")).replace("+00:00", "Z")


def apply(request: Request, changes: list[Change]) -> None:
    """The change set through the store; a record it refuses is the client's 422."""
    try:
        request.app.store.apply(NAME, changes)
    except FixtureError as exc:
        raise refused(exc) from None


def answer(record: Record) -> Response:
    return JSONBytes(Raw.of(detail(record)))


def _held(request: Request, params: Any) -> tuple[Backend, dict[str, Any], Record]:
    path = parse_path(request.path_params, params)
    held: Backend = backend(request, NAME)
    return held, path, held.version(path["org"], path["name"], path["version"])


async def delete_model_version(request: Request) -> Response:
    """The version goes; with the model's last version the model goes too."""
    single_process(request)
    held, path, version = _held(request, VERSION_PARAMS)
    changes = [Change("versions", old=version)]
    canonical = version["name"]
    if len(held.models[canonical]) == 1:
        model = request.app.store.records[NAME]["models"][canonical,]
        changes.append(Change("models", old=model))
    apply(request, changes)
    return answer(version)


async def set_model_alias(request: Request) -> Response:
    """The alias on this version, moved off the version that held it (one change set)."""
    body = await write_body(request, "dreadnode/set_model_alias.request")
    held, path, version = _held(request, VERSION_PARAMS)
    alias = body["alias"]
    current = held.holder(version["name"], alias)
    if current is version:
        return answer(version)
    now = stamp(request)
    changes = []
    if current is not None:
        rest = [a for a in current["aliases"] if a != alias]
        changes.append(
            Change("versions", old=current, new={**current, "aliases": rest, "updated_at": now})
        )
    new = {**version, "aliases": [*(version.get("aliases") or ()), alias], "updated_at": now}
    changes.append(Change("versions", old=version, new=new))
    apply(request, changes)
    return answer(new)


async def remove_model_alias(request: Request) -> Response:
    single_process(request)
    path = parse_path(request.path_params, ALIAS_PARAMS)
    held: Backend = backend(request, NAME)
    version = held.version(path["org"], path["name"], path["version"])
    alias = path["alias"]
    if alias not in (version.get("aliases") or ()):
        where = f"{version['name']}@{version['version']}"
        raise Error(404, "not_found_error", f"Alias '{alias}' not found on version '{where}'")
    rest = [a for a in version["aliases"] if a != alias]
    new = {**version, "aliases": rest, "updated_at": stamp(request)}
    apply(request, [Change("versions", old=version, new=new)])
    return answer(new)


async def update_model_visibility(request: Request) -> Response:
    """Public or private for every version of the name (those already so are left)."""
    body = await write_body(request, "dreadnode/update_model_visibility.request")
    path = parse_path(request.path_params, PATH_PARAMS)
    held: Backend = backend(request, NAME)
    versions = held.versions_of(path["org"], path["name"])
    public = body["is_public"]
    now = stamp(request)
    changes = [
        Change("versions", old=v, new={**v, "is_public": public, "updated_at": now})
        for v in versions
        if v.get("is_public", False) != public
    ]
    if changes:
        apply(request, changes)
    canonical = f"{path['org']}/{path['name']}"
    out = {"name": canonical, "is_public": public, "version_count": len(versions)}
    return JSONBytes(Raw.of(out))


async def update_model_metrics(request: Request) -> Response:
    """The metrics merged: keys not named are kept, named ones take the new value."""
    body = await write_body(request, "dreadnode/update_model_metrics.request", empty={})
    held, path, version = _held(request, VERSION_PARAMS)
    merged = {**(version.get("metrics") or {}), **body}
    new = {**version, "metrics": merged, "updated_at": stamp(request)}
    apply(request, [Change("versions", old=version, new=new)])
    return answer(new)


async def download_model(request: Request) -> Response:
    """A presigned URL (to a host that never resolves) and one more download counted."""
    await read_json(request, empty={})  # no body is documented; any is read and dropped
    held, path, version = _held(request, VERSION_PARAMS)
    new = {**version, "download_count": version.get("download_count", 0) + 1}
    apply(request, [Change("versions", old=version, new=new)])
    expires = request.app.clock.now() + DOWNLOAD_TTL
    url = f"{DOWNLOAD_HOST}/models/{version['name']}/{version['version']}?expires=3600"
    out = {
        "url": url,
        "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "status": "ready",
    }
    return JSONBytes(Raw.of(out))
