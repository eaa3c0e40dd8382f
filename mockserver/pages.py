"""Pages for people: the landing page at /_mock/ and Swagger UI at /_mock/docs.

Swagger UI comes from the `openapi-ui-bundles` package and is served by the mock itself,
so the docs page works offline; its "Try it out" calls this server.
"""

from __future__ import annotations

from html import escape

from openapi_ui_bundles import swagger_ui
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mockserver._version import __version__
from mockserver.openapi import example_url

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
            rows.append(
                f"<tr><td>{escape(vendor.title)}</td><td>{escape(op.name)}</td>"
                f"<td><code>{escape(op.method)} {escape(op.path)}</code></td>"
                f"<td>{escape(held)}</td>"
                f'<td><a class="try" href="{escape(url)}">{escape(url)}</a></td></tr>'
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


routes = [
    Route("/_mock/", landing, methods=["GET"], name="mock.landing"),
    Route("/_mock/docs", docs, methods=["GET"], name="mock.docs"),
    Route("/_mock/openapi.json", openapi_json, methods=["GET"], name="mock.openapi"),
    Mount(
        "/_mock/static/swagger-ui",
        app=StaticFiles(directory=swagger_ui.static_path),
        name="mock.swagger-ui",
    ),
]
