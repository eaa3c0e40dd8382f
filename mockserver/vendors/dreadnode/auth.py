"""Dreadnode: the credential check (auth check / verify)."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.core.auth import AuthConfig, bearer
from mockserver.vendors.dreadnode.backend import NAME
from mockserver.vendors.dreadnode.errors import Error


async def authenticate(request: Request, config: AuthConfig, operation: str) -> None:
    """`Authorization: Bearer <token>` (the docs) or `X-API-Key: <key>` (the SDK)."""
    token = bearer(request.headers)
    key = request.headers.get("x-api-key", "").strip()
    given = [t for t in (token, key) if t]
    accepted = config.secrets(NAME)
    if not given or (config.mode == "verify" and not any(t in accepted for t in given)):
        raise Error(401, "authentication_error", "Authentication failed")
