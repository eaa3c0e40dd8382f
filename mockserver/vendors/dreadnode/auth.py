"""Dreadnode: the credential check (auth check / verify)."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from mockserver.core.auth import AuthConfig, bearer
from mockserver.vendors.dreadnode.backend import NAME
from mockserver.vendors.dreadnode.errors import Error

TOKEN_USER = "__token__"  # the registry's Basic user; the password is the API key


def basic_key(authorization: str) -> str:
    """The API key of `Authorization: Basic base64(__token__:<key>)`, or ""."""
    if not authorization.startswith("Basic "):
        return ""
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    user, _, key = decoded.partition(":")
    return key.strip() if user == TOKEN_USER else ""


async def authenticate(request: Request, config: AuthConfig, operation: str) -> None:
    """`Authorization: Bearer <token>` (the docs), `X-API-Key: <key>` (the SDK's REST
    calls) or Basic `__token__:<key>` (its registry calls)."""
    token = bearer(request.headers)
    key = request.headers.get("x-api-key", "").strip()
    basic = basic_key(request.headers.get("authorization", ""))
    given = [t for t in (token, key, basic) if t]
    accepted = config.secrets(NAME)
    if not given or (config.mode == "verify" and not any(t in accepted for t in given)):
        raise Error(401, "authentication_error", "Authentication failed")
