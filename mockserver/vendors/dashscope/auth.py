"""DashScope: the credential check (auth check / verify)."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.core.auth import AuthConfig, bearer
from mockserver.vendors.dashscope.backend import NAME
from mockserver.vendors.dashscope.errors import Error


async def authenticate(request: Request, config: AuthConfig, operation: str) -> None:
    """`Authorization: Bearer <API key>`; in verify mode the key must be a configured one."""
    key = bearer(request.headers)
    if not key or (config.mode == "verify" and key not in config.secrets(NAME)):
        raise Error(401, "InvalidApiKey", "Invalid API-key provided.")
