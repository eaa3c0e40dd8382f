"""The control plane is not a way in: who may read and change /_mock/.

Any web page a developer opens can send requests to localhost, and a DNS-rebinding page
can even read the answers. So, on /_mock/ paths only (vendor paths answer any Host, as
SDKs pointed at the mock send their own):

- the `Host` must be an allowed name (403): an IP literal (a rebinding page's Host is
  its own domain name), `localhost` or `*.localhost`, the bound host, and
  `Settings.allowed_hosts` (in-process client names by default, `--allowed-host`);
- a write (any method but GET, HEAD, OPTIONS) must not come from a foreign `Origin`
  (403), must carry the admin token when one is set (403), and a body must be JSON (415),
  so a cross-site form or text/plain POST cannot reset data or inject faults.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.admin import _error
from mockserver.settings import Settings

PREFIX = "/_mock"
READS = frozenset({"GET", "HEAD", "OPTIONS"})
WIDEN = "start the server with --allowed-host NAME to allow another name"


def hostname(value: str) -> str:
    """The name part of a Host header or URL authority: no port, no IPv6 brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    return value.rpartition(":")[0] if value.count(":") == 1 else value


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Whether a bind address keeps the server to this machine."""
    name = hostname(host)
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def allowed_names(settings: Settings) -> frozenset[str]:
    """The names a Host or Origin may carry besides IP literals and localhost."""
    return frozenset(n.lower() for n in (settings.host, *settings.allowed_hosts))


def host_allowed(name: str, names: frozenset[str]) -> bool:
    return is_ip(name) or name == "localhost" or name.endswith(".localhost") or name in names


def is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class ControlPlaneGuard:
    """ASGI middleware refusing foreign control-plane requests in neutral JSON."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.names = allowed_names(settings)
        self.token = settings.admin_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            refusal = self.refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> JSONResponse | None:
        """Why this control-plane request is refused, as the answer; None to let it in."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host")
        if host is not None and not host_allowed(hostname(host), self.names):
            return _error(
                403,
                "ForbiddenHost",
                f"The control plane does not answer requests for host {host[:100]!r}; {WIDEN}.",
            )
        if scope["method"] in READS:
            return None
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin):
            return _error(
                403,
                "ForbiddenOrigin",
                f"Control-plane writes from web pages at {origin[:100]!r} are refused; {WIDEN}.",
            )
        if self.token is not None and not self._token_given(headers):
            return _error(
                403,
                "AdminTokenRequired",
                "Control-plane writes need the admin token: send 'Authorization: Bearer "
                "<token>' with the token the server was started with.",
            )
        has_body = headers.get("content-length", "0").strip() not in ("", "0") or (
            "transfer-encoding" in headers
        )
        content_type = headers.get("content-type")
        if (content_type is not None or has_body) and not is_json(content_type or ""):
            return _error(
                415,
                "UnsupportedMediaType",
                "Control-plane writes take JSON: send 'Content-Type: application/json'"
                + (f", not {content_type[:100]!r}." if content_type else "."),
            )
        return None

    def _origin_allowed(self, origin: str) -> bool:
        try:
            name = urlsplit(origin).hostname
        except ValueError:
            return False
        return name is not None and host_allowed(name, self.names)

    def _token_given(self, headers: dict[str, str]) -> bool:
        assert self.token is not None
        scheme, _, given = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        )
