"""Huawei DataArts Fabric: the credential check (auth check / verify)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

from starlette.requests import Request

from mockserver.core.auth import (
    AuthConfig,
    canonical_headers,
    canonical_query,
    encode,
    hmac_sha256_hex,
    same,
    sha256_hex,
)
from mockserver.core.auth import now as auth_now
from mockserver.vendors.huawei.backend import NAME
from mockserver.vendors.huawei.errors import Error

SDK_HMAC = re.compile(
    r"^SDK-HMAC-SHA256 Access=(?P<key>[^,\s]+), SignedHeaders=(?P<signed>[a-z0-9;_-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
SDK_DATE = "%Y%m%dT%H%M%SZ"
MAX_TOKEN = 65534


def _iam_error(detail: str) -> Error:
    return Error(401, "APIG.0301", f"Incorrect IAM authentication information: {detail}")


async def authenticate(request: Request, config: AuthConfig, operation: str) -> None:
    """A token (X-Auth-Token) or an AK/SK signature (SDK-HMAC-SHA256 with X-Sdk-Date).

    AK/SK signing: https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-algorithm.html
    """
    token = request.headers.get("x-auth-token")
    if token is not None:
        if not token or len(token) > MAX_TOKEN:
            raise Error(401, "APIG.1002", "Incorrect token or token resolution failed")
        if config.mode == "verify" and token not in config.secrets(NAME):
            raise Error(401, "APIG.1002", "Incorrect token or token resolution failed")
        return
    value = request.headers.get("authorization")
    if not value:
        raise _iam_error("x-auth-token not found")
    match = SDK_HMAC.match(value)
    if match is None:
        raise _iam_error(
            "Authorization is not 'SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...'"
        )
    try:
        signed_at = datetime.strptime(request.headers.get("x-sdk-date", ""), SDK_DATE)
    except ValueError:
        raise _iam_error("X-Sdk-Date must be a UTC time like 20240101T120000Z") from None
    if config.mode == "verify":
        await _verify(request, config, match, signed_at.replace(tzinfo=UTC))


async def _verify(
    request: Request, config: AuthConfig, match: re.Match[str], signed_at: datetime
) -> None:
    secret = config.secret(NAME, match["key"])
    if secret is None:
        raise _iam_error(f"the access key {match['key']} does not exist")
    if abs(auth_now() - signed_at) > config.skew:
        raise _iam_error("the X-Sdk-Date is more than 15 minutes from the server time")
    signed = match["signed"].split(";")
    missing = [h for h in ("host", "x-sdk-date") if h not in signed]
    if missing:
        raise _iam_error(f"SignedHeaders must include {', '.join(missing)}")
    body = await request.body()
    payload = request.headers.get("x-sdk-content-sha256") if body else None
    segments = [unquote(part) for part in request.url.path.split("/")]  # %2F stays in its segment
    uri = "/".join(encode(part) for part in segments)
    canonical = "\n".join(
        [
            request.method.upper(),
            uri if uri.endswith("/") else uri + "/",
            canonical_query(request.query_params.multi_items()),
            canonical_headers(request.headers, signed),
            ";".join(signed),
            payload or sha256_hex(body),
        ]
    )
    string_to_sign = "\n".join(
        ["SDK-HMAC-SHA256", signed_at.strftime(SDK_DATE), sha256_hex(canonical.encode())]
    )
    if not same(hmac_sha256_hex(secret, string_to_sign), match["signature"]):
        raise _iam_error("verify aksk signature fail")
