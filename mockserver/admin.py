"""The control plane under /_mock/: never a vendor path, always JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mockserver._version import __version__


async def health(request: Request) -> JSONResponse:
    store = request.app.state.store
    return JSONResponse({"status": "ok", "version": __version__, "records": store.counts()})


routes = [Route("/_mock/health", health, methods=["GET"], name="mock.health")]
