"""Dreadnode: the read handlers and their parameter specs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.jsonbytes import JSONBytes
from mockserver.core.params import Param, parse_path, sourced
from mockserver.core.provenance import Source
from mockserver.core.vendor import backend
from mockserver.vendors.dreadnode.backend import NAME

PATH_PARAMS = sourced(
    Source("https://docs.dreadnode.io/api/operations/list_model_versions/", "list_model_versions"),
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
