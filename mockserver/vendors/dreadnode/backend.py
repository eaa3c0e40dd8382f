"""Dreadnode: List Model Versions.

Docs: https://docs.dreadnode.io/api/operations/list_model_versions/ (seed 003; its field
names were recovered from the docs site and the `dreadnode` SDK, see docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core import listing
from mockserver.core.auth import AuthConfig, bearer
from mockserver.core.errors import ApiError, from_table
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.jsonbytes import Bodies, JSONBytes, Raw
from mockserver.core.params import Param, ParamError, parse_path
from mockserver.core.vendor import Operation, Vendor, backend

NAME = "dreadnode"

# --- 1. errors -------------------------------------------------------------------------

# status -> (type, detail); the details are the docs' own status descriptions
STATUS_TYPES: dict[int, tuple[str, str]] = {
    400: ("bad_request_error", "Invalid request"),
    401: ("authentication_error", "Authentication failed"),
    403: ("authorization_error", "Access forbidden"),
    404: ("not_found_error", "Not found"),
    409: ("already_exists_error", "Already exists"),
    422: ("validation_error", "Validation error"),
    426: ("upgrade_required_error", "Upgrade required"),
    429: ("rate_limit_error", "Rate limited"),
    500: ("app_error", "Internal server error"),
    502: ("bad_gateway_error", "Bad gateway"),
    504: ("gateway_timeout_error", "Gateway timeout"),
}


class Error(ApiError):
    """The APIErrorPayload envelope {code, detail, type, errors}."""

    def body(self, request: Request) -> dict[str, Any]:
        return {
            "code": self.status,
            "detail": self.message,
            "type": self.code,
            "errors": self.extra.get("errors"),
        }


def error_for_status(request: Request, status: int) -> Error:
    if status == 405:
        status = 404  # 405 is not among the envelope's documented codes
    return Error(*from_table(STATUS_TYPES, status))


PYDANTIC_TYPES = {"length": "string_too_long", "pattern": "string_pattern_mismatch"}


def param_error(request: Request, exc: ParamError) -> Error:
    """422 with FastAPI's per-field items, pointing at the path parameter."""
    param = exc.param
    if exc.reason == "length":
        msg = f"String should have at most {param.max_length} characters"
    else:
        msg = f"String should match pattern '^{param.pattern}$'"
    item = {
        "loc": [param.location, param.name],
        "msg": msg,
        "type": PYDANTIC_TYPES.get(exc.reason, "value_error"),
    }
    detail = f"Invalid {param.location} parameter '{param.name}': {msg}"
    return Error(422, "validation_error", detail, errors=[item])


# --- 2. data ---------------------------------------------------------------------------

SUMMARY_DEFAULTS: dict[str, Any] = {
    "aliases": None,
    "architecture": None,
    "base_model": None,
    "created_at": None,
    "download_count": 0,
    "framework": "safetensors",
    "id": None,
    "is_public": False,
    "language": None,
    "license": None,
    "name": None,
    "origin": {},
    "pretty_name": None,
    "size_category": None,
    "summary": None,
    "tags": None,
    "task": None,
    "task_categories": None,
    "updated_at": None,
    "version": None,
    "version_count": None,
}


def _org_of(canonical: str) -> str:
    return canonical.split("/", 1)[0]


COLLECTIONS = (
    Collection("orgs", "dreadnode/org.record", key=("slug",)),
    Collection(
        "models",
        "dreadnode/model.record",
        key=("name",),
        link=Link("name", "orgs", "slug", private=False, value=_org_of),
    ),
    Collection(
        "versions",
        "dreadnode/artifact",
        key=("name", "version"),
        link=Link("name", "models", "name", private=False),
    ),
)


def summary(record: Record) -> Record:
    """The artifact as the API shows it: every field, documented defaults filled in."""
    return {k: record.get(k, default) for k, default in SUMMARY_DEFAULTS.items()}


@dataclass
class Backend:
    """Organisations and each model's versions, changed in place one record at a time.

    A change touches one model's list and starts a new answer cache.
    """

    orgs: set[str]
    models: dict[str, list[Record]]  # canonical name -> summaries, newest first
    bodies: Bodies = field(default_factory=Bodies)  # each model's answer, made once

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "orgs":
            self.orgs.add(record["slug"])
        elif collection == "models":
            self.models[record["name"]] = []
        else:
            listing.insert_ordered(self.models[record["name"]], summary(record), _created, True)
        self.bodies = Bodies()

    def remove(self, collection: str, record: Record) -> None:
        """One record less (an organisation or model only once nothing is under it)."""
        if collection == "orgs":
            slug = record["slug"]
            if any(_org_of(name) == slug for name in self.models):
                raise ValueError(f"organisation {slug} still has models")
            self.orgs.remove(slug)
        elif collection == "models":
            if self.models[record["name"]]:
                raise ValueError(f"model {record['name']} still has versions")
            del self.models[record["name"]]
        else:
            versions = self.models[record["name"]]
            del versions[listing.locate(versions, summary(record), _created, True, _same)]
        self.bodies = Bodies()

    def body(self, org: str, name: str) -> Raw:
        return self.bodies((org, name), lambda: Raw.of(self.list_versions(org, name)))

    def list_versions(self, org: str, name: str) -> Record:
        if org not in self.orgs:
            raise Error(404, "not_found_error", f"Organization '{org}' not found")
        versions = self.models.get(f"{org}/{name}")
        if versions is None:
            raise Error(404, "not_found_error", f"Model '{org}/{name}' not found")
        return {
            "name": name,
            "versions": [v["version"] for v in versions],
            "latest": versions[0] if versions else None,
        }


def _created(version: Record) -> datetime:
    return datetime.fromisoformat(version["created_at"])


def _same(held: Record, probe: Record) -> bool:
    return bool(held["version"] == probe["version"])


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    models: dict[str, list[Record]] = {m["name"]: [] for m in records.get("models", [])}
    for version in records.get("versions", []):
        models[version["name"]].append(summary(version))
    for items in models.values():
        # newest created first; equal times keep fixture order
        items.sort(key=_created, reverse=True)
    return Backend({o["slug"] for o in records.get("orgs", [])}, models)


def generate(records: dict[str, list[Record]], n: int, pools: Any) -> Iterator[tuple[str, Record]]:
    """n models of the first organisation, then n versions of `<org>/generated`."""
    if not records.get("orgs"):
        return
    org = records["orgs"][0]["slug"]
    for i in range(n):
        yield "models", {"name": f"{org}/generated" if i == 0 else f"{org}/{pools.slug()}-{i}"}
    for i, moment in enumerate(pools.series(datetime(2023, 1, 1, tzinfo=UTC), n)):
        yield (
            "versions",
            {
                "id": pools.uuid(),
                "name": f"{org}/generated",
                "version": f"{i // 1_000_000}.{i // 1000 % 1000}.{i % 1000}",
                "created_at": moment.isoformat().replace("+00:00", "Z"),
                "download_count": pools.number(0, 5000),
                "framework": pools.pick(("safetensors", "pytorch", "onnx", "gguf")),
                "is_public": pools.rng.random() < 0.3,
                "origin": {"source": pools.pick(("upload", "training", "huggingface"))},
                "summary": pools.pick(pools.sentences),
                "tags": [pools.pick(pools.words) for _ in range(pools.number(0, 3))],
            },
        )


# --- 3. handlers -----------------------------------------------------------------------

PATH_PARAMS = (
    Param(
        "org",
        min_length=1,
        max_length=64,
        pattern=r"[a-z0-9]([a-z0-9-]*[a-z0-9])?",
        location="path",
        description="Organization slug",
        example="example",
    ),
    Param(
        "name",
        min_length=1,
        max_length=128,
        pattern=r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?",
        location="path",
        description="Model name",
        example="example",
    ),
)


async def list_model_versions(request: Request) -> Response:
    path = parse_path(request.path_params, PATH_PARAMS)
    body = backend(request, NAME).body(path["org"], path["name"])
    return JSONBytes(body)


# --- 3b. credentials (auth check / verify) --------------------------------------------


async def authenticate(request: Request, config: AuthConfig, operation: str) -> None:
    """`Authorization: Bearer <token>` (the docs) or `X-API-Key: <key>` (the SDK)."""
    token = bearer(request.headers)
    key = request.headers.get("x-api-key", "").strip()
    given = [t for t in (token, key) if t]
    accepted = config.secrets(NAME)
    if not given or (config.mode == "verify" and not any(t in accepted for t in given)):
        raise Error(401, "authentication_error", "Authentication failed")


# --- 4. routes -------------------------------------------------------------------------

VENDOR = Vendor(
    name=NAME,
    title="Dreadnode",
    prefixes=("/api/v1/org",),
    operations=(
        Operation(
            "GET",
            "/api/v1/org/{org}/models/{name}/versions",
            "list_model_versions",
            list_model_versions,
            summary="List all versions of a model.",
            params=PATH_PARAMS,
            response_schema="dreadnode/list_model_versions.response",
        ),
    ),
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
    },
    param_error_status=422,
)
