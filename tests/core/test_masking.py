"""Secrets never shown: every Authorization form, secret headers, secret query keys."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.core.masking import (
    mask_authorization,
    mask_header,
    mask_query,
)
from mockserver.server import access_line

SECRET = "SuperSecretValue123"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Bearer " + SECRET, "Bearer Supe****"),
        ("bearer " + SECRET, "bearer Supe****"),
        ("BEARER  " + SECRET, "BEARER Supe****"),
        ("Bearer\t" + SECRET, "Bear****"),  # no space after the scheme: one secret
        ("Basic dXNlcjpwYXNzd29yZA==", "Basic ****"),
        ("basic dXNlcjpwYXNzd29yZA==", "basic ****"),
        ("Token " + SECRET, "Token Supe****"),
        ("token  " + SECRET, "token Supe****"),
        (SECRET, "Supe****"),
        ("short", "****"),
        ("acs LTAI5tAK:c2lnbmF0dXJlc2VjcmV0", "acs LTAI5tAK:****"),
        ("ACS LTAI5tAK:c2lnbmF0dXJlc2VjcmV0", "ACS LTAI5tAK:****"),
        (
            "ACS3-HMAC-SHA256 Credential=LTAI5tAK,SignedHeaders=host;x-acs-date,Signature=9f86d0",
            "ACS3-HMAC-SHA256 Credential=LTAI5tAK,SignedHeaders=host;x-acs-date,Signature=****",
        ),
        (
            "acs3-hmac-sha256  credential=AK,  signature=9f86d0 ,signedheaders=host",
            "acs3-hmac-sha256 credential=AK,  signature=****,signedheaders=host",
        ),
        (
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=abc",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=****",
        ),
        ("Digest Credential=AK, nonce=n1, " + SECRET, "Digest Credential=AK, nonce=****, ****"),
    ],
)
def test_every_authorization_form_is_masked(value: str, shown: str) -> None:
    assert mask_authorization(value) == shown
    assert SECRET not in mask_authorization(value)


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("x-auth-token", SECRET, "Supe****"),
        ("x-api-key", SECRET, "Supe****"),
        ("x-acs-security-token", SECRET, "Supe****"),
        ("proxy-authorization", "Basic " + SECRET, "Basic ****"),
        ("cookie", f"session={SECRET}; theme=dark", "session=****; theme=****"),
        ("x-acs-date", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ],
)
def test_secret_headers(name: str, value: str, shown: str) -> None:
    assert mask_header(name, value) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"PageSize=2&Signature=abc%2B%3D", "PageSize=2&Signature=****"),
        (b"AccessKeyId=AK&AccessKeySecret=s", "AccessKeyId=AK&AccessKeySecret=****"),
        (b"api_key=sk-1&api-key=sk-2&apiKey=sk-3", "api_key=****&api-key=****&apiKey=****"),
        (
            b"token=t&access_token=t&SecurityToken=t",
            "token=****&access_token=****&SecurityToken=****",
        ),
        (b"X-Amz-Signature=s&key=k&password=p", "X-Amz-Signature=****&key=****&password=****"),
        (b"sig%6Eature=s&limit=5&name=a%20b", "sig%6Eature=****&limit=5&name=a%20b"),
        (b"token&page_no=1", "token&page_no=1"),
        (b"", ""),
    ],
)
def test_mask_query(raw: bytes, shown: str) -> None:
    assert mask_query(raw) == shown


def test_journal_masks_every_form() -> None:
    with TestClient(create_app(Settings())) as client:
        url = "/api/v1/deployments"
        for value in ("bearer " + SECRET, "Token  " + SECRET, "Basic " + SECRET, SECRET):
            client.get(url, headers={"Authorization": value})
        client.get(url, params={"page_no": "1", "Signature": SECRET, "api_key": SECRET})
        client.get(url, headers={"X-Acs-Security-Token": SECRET})
        journal = client.get("/_mock/requests").json()["requests"]
    assert SECRET not in repr(journal)
    assert journal[4]["query"] == {"page_no": "1", "Signature": "****", "api_key": "****"}
    assert journal[0]["headers"]["authorization"] == "bearer Supe****"


def test_access_lines_mask_the_query() -> None:
    scope = {
        "method": "GET",
        "raw_path": b"/api/v1/deployments",
        "query_string": f"page_no=1&api_key={SECRET}&X-Amz-Signature={SECRET}".encode(),
        "http_version": "1.1",
    }
    line = access_line("127.0.0.1:5", scope, 200, 1.0)
    assert SECRET not in line
    assert '"GET /api/v1/deployments?page_no=1&api_key=****&X-Amz-Signature=**** HTTP/1.1"' in line


@pytest.mark.parametrize(
    "query",
    ["page_no=1", "name=keynote&order=a", "%61pi_key=x", "A+p+i+K+e+y=x", "Session.Token=x"],
)
def test_the_quick_check_never_lets_a_secret_key_through(query: str) -> None:
    """mask_query settles most queries without parsing them; it must agree with the
    parse on every query, secret or not."""
    from mockserver.core.masking import _masked_query

    assert mask_query(query.encode()) == _masked_query(query)
