"""Pages for people: the console at /_mock/ and Swagger UI at /_mock/docs.

Swagger UI comes from the `openapi-ui-bundles` package and is served by the mock itself,
so the docs page works offline; its "Try it out" calls this server. The addresses a
person tries first (`/` in a browser, `/_mock`, `/docs`) lead to these pages, and the
browser's `/favicon.ico` gets an icon (kept out of the request journal).
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable, Sequence
from functools import cache
from html import escape
from pathlib import Path
from string import Template

from openapi_ui_bundles import swagger_ui
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mockserver._version import __version__
from mockserver.core.errors import ApiError
from mockserver.core.vendor import Vendor
from mockserver.openapi import example_url

LANDING = "/_mock/"
DOCS = "/_mock/docs"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def welcome(url: str) -> str:
    """The start-up line that tells a person where to look: `url` is where the mock listens."""
    return f"open {url}{LANDING} for the endpoints and data, {url}{DOCS} to try them"


CONSOLE = Path(__file__).parent / "static" / "console.html"


@cache
def console_page() -> Template:
    """The console's HTML (static/console.html), read once; its JS and CSS are files beside it."""
    return Template(CONSOLE.read_text(encoding="utf-8"))


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi)


def endpoint_rows(vendors: Sequence[Vendor], counts: dict[str, dict[str, int]]) -> str:
    """A table row per operation of every vendor, from the vendors' declarations."""
    rows = []
    for vendor in vendors:
        held = ", ".join(f"{n} {c}" for c, n in counts.get(vendor.name, {}).items())
        for op in vendor.operations:
            url = example_url(op)
            # a link can only GET: a write is tried from the interactive docs
            link = (
                f'<a class="try" href="{escape(url)}">{escape(url)}</a>'
                if op.method == "GET"
                else f'<a href="{DOCS}">{escape(op.method)}: try it on the docs page</a>'
            )
            rows.append(
                f"<tr><td>{escape(vendor.title)}</td><td>{escape(op.name)}</td>"
                f"<td><code>{escape(op.method)} {escape(op.path)}</code></td>"
                f"<td>{escape(held)}</td><td>{link}</td></tr>"
            )
    return "".join(rows)


OUTAGE_STATUSES = (503, 502, 500)  # what an outage answers: the first a vendor answers


def operations_json(vendors: Sequence[Vendor]) -> str:
    """What the console needs of each vendor (its operations, the error statuses it
    answers, the one an outage uses, each collection's key fields), as JSON safe inside
    <script>."""
    shown = {
        v.name: {
            "title": v.title,
            "operations": [op.name for op in v.operations],
            "statuses": [s for s in v.statuses if s >= 429],
            "outage": next((s for s in OUTAGE_STATUSES if s in v.statuses), None),
            "keys": {c.name: list(c.key) for c in v.collections},  # a row's identity
        }
        for v in vendors
    }
    return json.dumps(shown).replace("<", "\\u003c")


async def landing(request: Request) -> HTMLResponse:
    """The console: live requests, state and controls (static/console.*), with the table
    of every endpoint rendered here."""
    app = request.app
    page = console_page().substitute(
        version=escape(__version__),
        rows=endpoint_rows(app.vendors, app.store.counts()),
        operations=operations_json(app.vendors),
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


async def docs(request: Request) -> HTMLResponse:
    return HTMLResponse("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mockserver: API docs</title>
<link rel="stylesheet" href="/_mock/static/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/_mock/static/swagger-ui/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/_mock/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  displayOperationId: true, tryItOutEnabled: false,
});
</script></body></html>""")


def _to(target: str) -> RedirectResponse:
    # 307, not permanent: a browser would keep a permanent one for the port, and the next
    # service run there (an app with its own /docs, say) would be sent here
    return RedirectResponse(target, status_code=307)


async def to_landing(request: Request) -> Response:
    return _to(LANDING)


async def to_docs(request: Request) -> Response:
    return _to(DOCS)


ROOT_MESSAGE = (
    f"No endpoint at /. The mock serves each vendor's API at its real path: see {LANDING} "
    f"(landing page) and {DOCS} (interactive docs) for them, /_mock/openapi.json for the "
    "OpenAPI document and /_mock/health for the server's state."
)


async def root(request: Request) -> Response:
    """A browser is sent to the landing page; an API client gets the neutral JSON 404,
    which says where the pages are."""
    accepted = request.headers.get("accept", "")
    if request.method in ("GET", "HEAD") and "text/html" in accepted:
        response: Response = _to(LANDING)
    else:
        response = ApiError(404, "NotFound", ROOT_MESSAGE).render(request)
    response.headers["Vary"] = "Accept"
    return response


def _png(size: int, pixel: Callable[[int, int], bytes]) -> bytes:
    """A square RGBA PNG; `pixel(x, y)` gives each pixel's 4 bytes."""
    rows = b"".join(b"\0" + b"".join(pixel(x, y) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    head = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


@cache
def icon() -> bytes:
    """/favicon.ico: a 32-pixel ICO holding a PNG (an "m"-ish pair of bars on teal), made
    here rather than shipped as a binary file."""
    size = 32

    def pixel(x: int, y: int) -> bytes:
        inside = 2 <= x < size - 2 and 2 <= y < size - 2
        bar = 8 <= y < 24 and (8 <= x < 12 or 14 <= x < 18 or 20 <= x < 24)
        top = 8 <= y < 11 and 8 <= x < 24
        if inside and (bar or top):
            return b"\xff\xff\xff\xff"
        return b"\x0f\x76\x6e\xff" if inside else b"\0\0\0\0"

    png = _png(size, pixel)
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


async def favicon(request: Request) -> Response:
    return Response(
        icon(),
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


routes = [
    # every method: the JSON 404 for all but a browser, as before this route existed
    Route("/", root, methods=list(METHODS), name="mock.root"),
    Route("/_mock", to_landing, methods=["GET"], name="mock.to-landing"),
    Route("/docs", to_docs, methods=["GET"], name="mock.to-docs"),
    Route("/_mock/docs/", to_docs, methods=["GET"], name="mock.docs-slash"),
    Route("/favicon.ico", favicon, methods=["GET"], name="mock.favicon"),
    Route(LANDING, landing, methods=["GET"], name="mock.landing"),
    Route(DOCS, docs, methods=["GET"], name="mock.docs"),
    Route("/_mock/openapi.json", openapi_json, methods=["GET"], name="mock.openapi"),
    Mount(
        "/_mock/static/swagger-ui",
        app=StaticFiles(directory=swagger_ui.static_path),
        name="mock.swagger-ui",
    ),
]
