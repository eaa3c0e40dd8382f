"""Dreadnode: the OCI registry `push_model` publishes through (create = publish).

    HEAD /api/v1/{org}/blobs/{digest}                        is the blob held? 200 / 404
    POST /api/v1/{org}/{name}/blobs/uploads/                 202, Location of an upload
    PUT  /api/v1/{org}/{name}/blobs/uploads/{id}?digest=...  the bytes; sha256 checked
    PUT  /api/v1/{org}/{name}/manifests/{version}            the version comes to be

The config blob is the model manifest: the manifest PUT turns it into a version record
(and the model record, for a new name), checked as fixture records are. Blobs are store
records, so a reset drops them; they are bounded per blob and in total. Protocol
errors answer the OCI shape `{"errors": [{code, message, detail}]}`; the platform's own
(unknown organisation, an existing version, too large) its `{detail, code, type}`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mockserver.core.bodies import BodyError, parse_json, read_body
from mockserver.core.errors import ApiError, clip, shown
from mockserver.core.params import ParamError, parse_path
from mockserver.core.store import Change
from mockserver.core.vendor import backend
from mockserver.core.writes import WriteError, single_process
from mockserver.vendors.dreadnode.backend import NAME, Backend
from mockserver.vendors.dreadnode.errors import Error, param_error, write_error
from mockserver.vendors.dreadnode.reads import MODEL, ORG, VERSION
from mockserver.vendors.dreadnode.writes import apply, stamp

BLOB_LIMIT = 16 * 2**20  # bytes of one blob
BLOB_BUDGET = 64 * 2**20  # bytes of every blob held together, until a reset
MANIFEST_LIMIT = 2**20
UPLOADS_HELD = 1000  # upload sessions started and not finished; the oldest go first
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MODEL_CONFIG = "application/vnd.dreadnode.config.v1+json"
RELEASE = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"  # the docs: X.Y.Z, no suffixes


class OciError(ApiError):
    """The distribution spec's error body, for the registry protocol's own failures."""

    def body(self, request: Request) -> dict[str, Any]:
        return {"errors": [{"code": self.code, "message": self.message, "detail": self.extra}]}


def _path(request: Request, specs: tuple[Any, ...]) -> dict[str, Any]:
    """Path parameters checked; a bad one is Dreadnode's 422 (these paths have no prefix
    of the vendor's, so the app's handler would not know whose envelope to use)."""
    try:
        return parse_path(request.path_params, specs)
    except ParamError as exc:
        raise param_error(request, exc) from None


def _single_process(request: Request) -> None:
    """`single_process`, answered in Dreadnode's envelope here too (see `_path`)."""
    try:
        single_process(request)
    except WriteError as exc:
        raise write_error(request, exc) from None


def _apply(request: Request, changes: list[Change]) -> None:
    """`apply`, with a record the store refuses answered as an invalid manifest (these
    paths have no prefix of the vendor's, see `_path`)."""
    try:
        apply(request, changes)
    except WriteError as exc:
        raise OciError(400, "MANIFEST_INVALID", exc.message) from None


def _org(request: Request, held: Backend, org: str) -> None:
    if org not in held.orgs:
        raise Error(404, "not_found_error", f"Organization '{org}' not found")


def _digest(value: str) -> str:
    """A `sha256:<64 hex>` digest, else DIGEST_INVALID."""
    algorithm, _, hexa = value.partition(":")
    if algorithm != "sha256" or len(hexa) != 64 or not all(c in "0123456789abcdef" for c in hexa):
        raise OciError(
            400, "DIGEST_INVALID", f"digest {shown(value)} is not sha256:<64 hex digits>"
        )
    return value


async def blob_exists(request: Request) -> Response:
    path = _path(request, (ORG,))
    digest = _digest(request.path_params["digest"])
    held: Backend = backend(request, NAME)
    _org(request, held, path["org"])
    blob = held.blobs.get((path["org"], digest))
    if blob is None:
        raise OciError(404, "BLOB_UNKNOWN", f"blob {digest} is not in {path['org']}'s registry")
    headers = {"docker-content-digest": digest, "content-length": str(blob["size"])}
    return Response(b"", status_code=200, headers=headers, media_type="application/octet-stream")


async def start_upload(request: Request) -> Response:
    """A new upload session; its Location is where the bytes go (monolithic PUT)."""
    _single_process(request)
    path = _path(request, (ORG, MODEL))
    held: Backend = backend(request, NAME)
    _org(request, held, path["org"])
    upload = f"{request.app.rng.getrandbits(128):032x}"
    held.uploads[upload] = (path["org"], path["name"])
    while len(held.uploads) > UPLOADS_HELD:
        held.uploads.popitem(last=False)
    location = f"/api/v1/{path['org']}/{path['name']}/blobs/uploads/{upload}"
    headers = {"location": location, "docker-upload-uuid": upload, "range": "0-0"}
    return JSONResponse({}, status_code=202, headers=headers)


async def put_blob(request: Request) -> Response:
    """The bytes of an upload, kept when their sha256 is the digest the client names."""
    _single_process(request)
    path = _path(request, (ORG, MODEL))
    org = path["org"]
    held: Backend = backend(request, NAME)
    _org(request, held, org)
    upload = request.path_params["upload"]
    session = held.uploads.get(upload)
    if session != (org, path["name"]):
        raise OciError(404, "BLOB_UPLOAD_UNKNOWN", f"no upload {shown(upload)} under this name")
    digest = _digest(request.query_params.get("digest", ""))
    try:
        data = await read_body(request, BLOB_LIMIT)
    except BodyError as exc:
        raise Error(413, "payload_too_large_error", f"Blob too large: {exc}") from None
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise OciError(400, "DIGEST_INVALID", f"the content's digest is {actual}, not {digest}")
    if (org, digest) not in held.blobs:
        if held.blob_bytes + len(data) > BLOB_BUDGET:
            raise Error(
                413,
                "payload_too_large_error",
                f"The mock's registry holds {held.blob_bytes:,} bytes of blobs and takes at "
                f"most {BLOB_BUDGET:,}: POST /_mock/reset drops them",
            )
        record = {
            "org": org,
            "digest": digest,
            "size": len(data),
            "data": base64.b64encode(data).decode("ascii"),
        }
        _apply(request, [Change("blobs", new=record)])
    del held.uploads[upload]
    headers = {"location": f"/api/v1/{org}/blobs/{digest}", "docker-content-digest": digest}
    return JSONResponse({}, status_code=201, headers=headers)


async def put_manifest(request: Request) -> Response:
    """The version published: the config blob (the model manifest) becomes its record."""
    _single_process(request)
    path = _path(request, (ORG, MODEL, VERSION))
    org, name, version = path["org"], path["name"], path["version"]
    held: Backend = backend(request, NAME)
    _org(request, held, org)
    try:
        raw = await read_body(request, MANIFEST_LIMIT)
    except BodyError as exc:
        raise Error(413, "payload_too_large_error", f"Manifest too large: {exc}") from None
    manifest = _json(raw, "MANIFEST_INVALID", "the manifest")
    _check(request, "dreadnode/oci_manifest.request", manifest, "MANIFEST_INVALID")
    canonical = f"{org}/{name}"
    annotations = manifest["annotations"]
    for key, wanted in (("io.dreadnode.name", canonical), ("io.dreadnode.version", version)):
        if annotations[key] != wanted:
            message = f"annotation {key} is {shown(annotations[key])}, the path says {wanted!r}"
            raise OciError(400, "MANIFEST_INVALID", message)
    if not re.fullmatch(RELEASE, version):
        message = f"version {shown(version)}: fixed semver X.Y.Z, no pre-release or build suffix"
        raise OciError(400, "MANIFEST_INVALID", message)
    config = manifest["config"]
    if config["mediaType"] != MODEL_CONFIG:
        raise OciError(400, "MANIFEST_INVALID", f"config mediaType must be {MODEL_CONFIG}")
    blob = held.blobs.get((org, config["digest"]))
    if blob is None:
        raise OciError(400, "MANIFEST_BLOB_UNKNOWN", f"config blob {config['digest']} not pushed")
    if (canonical, version) in held.index:
        raise Error(409, "already_exists_error", f"Model '{canonical}@{version}' already exists")
    model = _json(base64.b64decode(blob["data"]), "MANIFEST_INVALID", "the config blob")
    _check(request, "dreadnode/model_manifest.request", model, "MANIFEST_INVALID")
    _apply(request, _publish(request, held, canonical, version, model))
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    headers = {
        "location": f"/api/v1/{canonical}/manifests/{digest}",
        "docker-content-digest": digest,
    }
    return JSONResponse({}, status_code=201, headers=headers)


def _publish(
    request: Request, held: Backend, canonical: str, version: str, model: dict[str, Any]
) -> list[Change]:
    """The change set of a push: the model (when new), aliases moved, the version."""
    changes: list[Change] = []
    versions = held.models.get(canonical)
    if versions is None:
        changes.append(Change("models", new={"name": canonical}))
    now = stamp(request)
    aliases = list(model.get("aliases") or ())
    for alias in aliases:
        current = held.holder(canonical, alias)
        if current is not None:
            rest = [a for a in current["aliases"] if a != alias]
            changes.append(
                Change("versions", old=current, new={**current, "aliases": rest, "updated_at": now})
            )
    record = {
        **{k: v for k, v in model.items() if v is not None and k != "aliases"},
        "id": _uuid(request),
        "name": canonical,
        "version": version,
        "created_at": now,
        "updated_at": now,
        "download_count": 0,
        # visibility belongs to the name: a new version takes its model's
        "is_public": bool(versions and versions[0].get("is_public", False)),
        "origin": {"source": "upload"},
        "aliases": aliases,
    }
    changes.append(Change("versions", new=record))
    return changes


def _uuid(request: Request) -> str:
    """A version-4 UUID from the app's seeded random source."""
    bits = request.app.rng.getrandbits(128) & ~((0xF000 << 64) | (0xC000 << 48))
    text = f"{bits | (0x4000 << 64) | (0x8000 << 48):032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _json(raw: bytes, code: str, what: str) -> Any:
    try:
        return parse_json(raw)
    except BodyError as exc:
        raise OciError(400, code, f"{what}: {clip(str(exc), 200)}") from None


def _check(request: Request, schema: str, value: Any, code: str) -> None:
    problems = request.app.store.schemas.errors(schema, value)
    if problems:
        shown_problems = "; ".join(clip(f"{p}: {m}", 200) for p, m in problems[:5])
        raise OciError(400, code, shown_problems)
