"""Dreadnode: the read handlers and their parameter specs."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.jsonbytes import JSONBytes, Raw
from mockserver.core.params import Param, parse, parse_path, sourced
from mockserver.core.provenance import Source
from mockserver.core.vendor import backend
from mockserver.vendors.dreadnode.backend import NAME, SORT_KEYS, ModelQuery, detail

SEMVER = (
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
)
ORG = Param(
    "org",
    min_length=1,
    max_length=64,
    pattern=r"[a-z0-9]([a-z0-9-]*[a-z0-9])?",
    location="path",
    description="Organization slug",
    example="example",
)
MODEL = Param(
    "name",
    min_length=1,
    max_length=128,
    pattern=r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?",
    location="path",
    description="Model name",
    example="example",
)
VERSION = Param(
    "version",
    min_length=1,
    max_length=128,
    pattern=SEMVER,
    location="path",
    description="Semver version string",
    example="1.2.0",
)
ALIAS = Param(
    "alias",
    min_length=1,
    max_length=64,
    pattern=r"[a-z][a-z0-9._-]*",
    location="path",
    description="Alias name",
    example="latest",
)
DIGEST = Param(
    "digest",
    pattern=r"sha256:[0-9a-f]{64}",
    location="path",
    description="Blob digest (sha256 of its bytes)",
    example="sha256:" + "0" * 64,
)
UPLOAD = Param(
    "upload",
    pattern=r"[0-9a-f]{32}",
    location="path",
    description="Upload id (the Location of the upload's start)",
    example="0" * 32,
)
DOCS = "https://docs.dreadnode.io/api/operations/"
SDK = Source("https://pypi.org/project/dreadnode/2.0.52/", "ApiClient", "sdk")
ORG, MODEL = sourced(Source(DOCS + "list_model_versions/", "list_model_versions"), ORG, MODEL)
VERSION = replace(VERSION, source=Source(DOCS + "get_model_latest/", "get_model", "sdk"))
ALIAS, DIGEST, UPLOAD = sourced(SDK, ALIAS, DIGEST, UPLOAD)
PATH_PARAMS = (ORG, MODEL)
VERSION_PARAMS = (ORG, MODEL, VERSION)
ALIAS_PARAMS = (ORG, MODEL, VERSION, ALIAS)
BOOLEAN = ("true", "false")
LIST_PARAMS = sourced(
    Source(DOCS + "list_models/", "list_models"),
    Param(
        "sort_by",
        kind="enum",
        choices=tuple(SORT_KEYS),
        default="created_at",
        description="Sort field",
    ),
    Param("sort_dir", kind="enum", choices=("asc", "desc"), default="desc"),
    Param(
        "page", kind="int", minimum=1, maximum=2**31 - 1, default=1, description="Page (1-based)"
    ),
    Param("limit", kind="int", minimum=1, maximum=100, default=50, description="Items per page"),
    Param(
        "include_public",
        kind="enum",
        choices=BOOLEAN,
        default="false",
        description="Include public models from other orgs",
    ),
    Param("name", description="Model name (exact)", min_length=1, max_length=256),
    Param(
        "search", description="Text in name, pretty name or summary", min_length=1, max_length=256
    ),
)
FACET_PARAMS = tuple(p for p in LIST_PARAMS if p.name in ("include_public", "search"))
# repeated keys (`tags=a&tags=b`); a model matches any of the values
MULTI_PARAMS = sourced(
    Source(DOCS + "list_models/", "list_models"),
    *(
        Param(
            name,
            min_length=1,
            max_length=256,
            maximum=50,
            repeated=True,
            blank_is_absent=False,
            description="Repeat for several values; any matches",
        )
        for name in ("tags", "license", "task_categories", "framework", "size_category")
    ),
)
COMPARE_PARAMS = sourced(
    SDK,
    Param(
        "versions",
        min_length=1,
        max_length=128,
        pattern=SEMVER,
        minimum=2,
        maximum=5,
        repeated=True,
        blank_is_absent=False,
        description="A version to compare; repeat it for 2 to 5 versions",
        example=("1.0.0", "1.1.0"),
    ),
)


def _query(request: Request) -> list[tuple[str, str]]:
    raw = request.scope["query_string"].decode("latin-1")
    return parse_qsl(raw, keep_blank_values=True)


async def list_model_versions(request: Request) -> Response:
    path = parse_path(request.path_params, PATH_PARAMS)
    body = backend(request, NAME).body(path["org"], path["name"])
    return JSONBytes(body)


def _model_query(request: Request, specs: tuple[Param, ...]) -> ModelQuery:
    """list_models' or get_model_facets' query (the facets take no paging or sorting)."""
    items = _query(request)
    given = {**parse(items, specs), **parse(items, MULTI_PARAMS)}
    given["include_public"] = given["include_public"] == "true"
    return ModelQuery(**given)


async def list_models(request: Request) -> Response:
    org = parse_path(request.path_params, (ORG,))["org"]
    query = _model_query(request, LIST_PARAMS)
    return JSONBytes(backend(request, NAME).list_models(org, query))


async def get_model_facets(request: Request) -> Response:
    """The values each list filter could take, counted over the models listed."""
    org = parse_path(request.path_params, (ORG,))["org"]
    query = _model_query(request, FACET_PARAMS)
    return JSONBytes(backend(request, NAME).facets(org, query))


async def get_model_latest(request: Request) -> Response:
    path = parse_path(request.path_params, PATH_PARAMS)
    return JSONBytes(backend(request, NAME).detail_body(path["org"], path["name"], None))


async def get_model_version(request: Request) -> Response:
    path = parse_path(request.path_params, VERSION_PARAMS)
    held = backend(request, NAME).detail_body(path["org"], path["name"], path["version"])
    return JSONBytes(held)


async def compare_model_versions(request: Request) -> Response:
    """2 to 5 distinct versions side by side, in the order asked, and every metric key."""
    path = parse_path(request.path_params, PATH_PARAMS)
    asked = parse(_query(request), COMPARE_PARAMS)["versions"]
    held = backend(request, NAME)
    found = [detail(held.version(path["org"], path["name"], v)) for v in asked]
    rows = [
        {
            "version": v["version"],
            "framework": v["framework"],
            "task": v["task"],
            "architecture": v["architecture"],
            "base_model": v["base_model"],
            "file_size_bytes": None,  # the mock holds no artifact files, only their OIDs
            "aliases": v["aliases"] or [],
            "metrics": v["metrics"] or {},
        }
        for v in found
    ]
    keys = sorted({k for row in rows for k in row["metrics"]})
    return JSONBytes(Raw.of({"versions": rows, "metric_keys": keys}))
