"""Pages for people: the landing page at /_mock/ and Swagger UI at /_mock/docs.

Swagger UI comes from the `openapi-ui-bundles` package and is served by the mock itself,
so the docs page works offline; its "Try it out" calls this server. The addresses a
person tries first (`/` in a browser, `/_mock`, `/docs`) lead to these pages, and the
browser's `/favicon.ico` gets an icon (kept out of the request journal).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from functools import cache
from html import escape

from openapi_ui_bundles import swagger_ui
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mockserver._version import __version__
from mockserver.core.errors import ApiError
from mockserver.openapi import example_url

LANDING = "/_mock/"
DOCS = "/_mock/docs"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def welcome(url: str) -> str:
    """The start-up line that tells a person where to look: `url` is where the mock listens."""
    return f"open {url}{LANDING} for the endpoints and data, {url}{DOCS} to try them"


STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #222; }
a.try { word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0 2rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; }
code { background: #f4f4f4; padding: 0 .25rem; }
nav a { margin-right: 1rem; }
"""


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi)


async def landing(request: Request) -> HTMLResponse:
    counts = request.app.store.counts()
    rows = []
    for vendor in request.app.vendors:
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
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mockserver</title>
<style>{STYLE}</style></head><body>
<h1>mockserver <small>{escape(__version__)}</small></h1>
<p>A local mock of documented ML-platform APIs, each at the vendor's real path.</p>
<nav><a href="/_mock/docs">Interactive docs</a><a href="/_mock/openapi.json">OpenAPI</a>
<a href="/_mock/health">Health</a><a href="/_mock/data">Data</a>
<a href="/_mock/requests">Request journal</a><a href="/_mock/faults">Fault rules</a></nav>
<table id="endpoints"><thead><tr><th>Vendor</th><th>Operation</th><th>Endpoint</th>
<th>Records held</th><th>Try it</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
</body></html>"""
    return HTMLResponse(body)


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
