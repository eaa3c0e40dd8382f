"""The baseline: a bare starlette app on uvicorn serving the mock's own response bytes.

The bytes are captured from the mock beforehand (path -> body, in the JSON file named by
BENCH_RESPONSES), so both servers send the same payloads; the difference is the mock's
work per request.
"""

from __future__ import annotations

import json
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

with open(os.environ["BENCH_RESPONSES"], encoding="utf-8") as handle:
    BODIES = {path: body.encode() for path, body in json.load(handle).items()}


async def serve(request: Request) -> Response:
    body = BODIES.get(request.url.path, b"{}")
    return Response(body, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", serve)])
