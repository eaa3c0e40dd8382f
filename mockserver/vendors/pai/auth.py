"""Alibaba Cloud PAI: the credential check (auth check / verify)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from urllib.parse import unquote

from starlette.requests import Request

from mockserver.core.auth import (
    NONCE_MAX_LENGTH,
    AuthConfig,
    canonical_headers,
    canonical_query,
    encode,
    hmac_sha256_hex,
    same,
    sha256_hex,
)
from mockserver.core.auth import now as auth_now
from mockserver.vendors.pai.backend import NAME
from mockserver.vendors.pai.errors import Error

API_VERSION = "2021-02-04"
ACS3 = re.compile(
    r"^ACS3-HMAC-SHA256 Credential=(?P<key>[^,\s]+),SignedHeaders=(?P<signed>[a-z0-9;-]+),"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
LEGACY = re.compile(r"^acs (?P<key>[^:\s]+):(?P<signature>\S+)$")
ACS_DATE = "%Y-%m-%dT%H:%M:%SZ"
MUST_SIGN = ("host", "x-acs-action", "x-acs-version", "x-acs-date")
NONCE = "x-acs-signature-nonce"  # required by signature V3 (and V1): no replay without it


def _auth_error(status: int, code: str, message: str) -> Error:
    return Error(status, code, message)


async def authenticate(request: Request, config: AuthConfig, operation: str) -> None:
    """ROA request signing: presence and form (check), then the signature itself (verify).

    Signature V3: https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature
    """
    headers = request.headers
    value = headers.get("authorization")
    if not value:
        raise _auth_error(401, "MissingAuthorization", "The Authorization header is missing.")
    match = ACS3.match(value) or LEGACY.match(value)
    if match is None:
        raise _auth_error(
            401,
            "IncompleteSignature",
            "The request signature does not conform "
            "to Aliyun standards: Authorization is neither 'ACS3-HMAC-SHA256 "
            "Credential=...,SignedHeaders=...,Signature=...' nor 'acs AK:signature'.",
        )
    for name in ("x-acs-action", "x-acs-version", "x-acs-date", NONCE):
        if not headers.get(name):
            raise _auth_error(401, "IncompleteSignature", f"The header {name} is missing.")
    if len(headers[NONCE]) > NONCE_MAX_LENGTH:
        raise _auth_error(
            401,
            "IncompleteSignature",
            f"The header {NONCE} must be at most {NONCE_MAX_LENGTH} characters.",
        )
    if headers["x-acs-action"] != operation or headers["x-acs-version"] != API_VERSION:
        raise _auth_error(
            401,
            "IncompleteSignature",
            f"x-acs-action and x-acs-version must be {operation} and {API_VERSION} for this path.",
        )
    try:
        signed_at = datetime.strptime(headers["x-acs-date"], ACS_DATE).replace(tzinfo=UTC)
    except ValueError:
        raise _auth_error(
            401, "IncompleteSignature", "x-acs-date must be a UTC time like 2021-01-21T17:12:35Z."
        ) from None
    if config.mode == "verify":
        await _verify(request, config, match, signed_at)


async def _verify(
    request: Request, config: AuthConfig, match: re.Match[str], signed_at: datetime
) -> None:
    headers = request.headers
    if match.re is LEGACY:
        raise _auth_error(
            400,
            "IncompleteSignature",
            "Only ACS3-HMAC-SHA256 signatures are "
            "verified by this mock; sign requests with signature version 3.",
        )
    secret = config.secret(NAME, match["key"])
    if secret is None:
        raise _auth_error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    moment = auth_now()
    if abs(moment - signed_at) > config.skew:
        raise _auth_error(
            400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        )
    signed = match["signed"].split(";")
    unsigned = [
        h
        for h in (*MUST_SIGN, *[k for k in headers if k.startswith("x-acs-")])
        if h not in signed and h in headers
    ]
    if unsigned or signed != sorted(signed):
        raise _auth_error(
            400,
            "IncompleteSignature",
            "SignedHeaders must list, sorted, host and "
            f"every x-acs-* header; not signed: {', '.join(unsigned) or '-'}.",
        )
    body = await request.body()
    payload = sha256_hex(body)
    if headers.get("x-acs-content-sha256", payload) != payload:
        raise _auth_error(
            400,
            "SignatureDoesNotMatch",
            "x-acs-content-sha256 is not the SHA-256 of the request body.",
        )
    canonical = "\n".join(
        [
            request.method,
            # per segment: an id's encoded slash (routed as part of the id) stays %2F
            "/".join(encode(unquote(part)) for part in request.url.path.split("/")),
            canonical_query(request.query_params.multi_items()),
            canonical_headers(headers, signed),
            ";".join(signed),
            payload,
        ]
    )
    string_to_sign = f"ACS3-HMAC-SHA256\n{sha256_hex(canonical.encode())}"
    if not same(hmac_sha256_hex(secret, string_to_sign), match["signature"]):
        raise _auth_error(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with "
            f"our calculation. server string to sign is:{string_to_sign}",
        )
    _first_use(config, headers[NONCE], moment)


def _first_use(config: AuthConfig, nonce: str, moment: datetime) -> None:
    """Refuse a nonce seen within the window; when the store is full, refuse new ones
    (429, retry once the oldest expires) rather than forget any and accept a replay."""
    outcome = config.nonces.use(f"{NAME}:{nonce}", moment)
    if outcome == "used":
        raise _auth_error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    if outcome == "full":
        wait = max(1, math.ceil(config.nonces.retry_after(moment)))
        error = _auth_error(
            429,
            "Throttling.User",
            f"Request was denied due to user flow control: the mock keeps at most "
            f"{config.nonces.max_entries} signature nonces from the last "
            f"{int(config.skew.total_seconds() // 60)} minutes. Retry after {wait} s.",
        )
        error.headers.update({"Retry-After": str(wait), "x-acs-retry-after": str(wait * 1000)})
        raise error
