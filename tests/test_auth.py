"""Auth emulation without SDKs: modes, presence rules, configured keys, settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.cli import main
from mockserver.core.auth import Credential, NonceStore, load_credentials
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid, error_code

URLS = {
    "pai": "/api/v1/models/model-rbvg5wzljz****ks92",
    "huawei": "/v1/workspaces/default/models",
    "dreadnode": "/api/v1/org/example/models/example/versions",
    "dashscope": "/api/v1/deployments",
}
ACS3 = (
    "ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=host;x-acs-action;x-acs-date;"
    "x-acs-version,Signature=" + "0" * 64
)
PAI_OK = {
    "Authorization": ACS3,
    "x-acs-action": "GetModel",
    "x-acs-version": "2021-02-04",
    "x-acs-date": "2026-01-01T00:00:00Z",
    "x-acs-signature-nonce": "3f2c1e0d9b8a",
}
HUAWEI_SIGNED = {
    "Authorization": "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, "
    "Signature=" + "a" * 64,
    "X-Sdk-Date": "20260101T000000Z",
}


def app_client(**settings: Any) -> TestClient:
    return TestClient(create_app(Settings(**settings)))


@pytest.fixture(scope="module")
def checking() -> Iterator[TestClient]:
    with app_client(auth="check") as client:
        yield client


# vendor, headers, expected status, expected code (None: success)
CHECK_CASES = [
    ("pai", {}, 401, "MissingAuthorization"),
    ("pai", {**PAI_OK, "Authorization": "Bearer x"}, 401, "IncompleteSignature"),
    ("pai", {k: v for k, v in PAI_OK.items() if k != "x-acs-date"}, 401, "IncompleteSignature"),
    ("pai", {**PAI_OK, "x-acs-action": "ListModelVersions"}, 401, "IncompleteSignature"),
    ("pai", {**PAI_OK, "x-acs-version": "2020-01-01"}, 401, "IncompleteSignature"),
    ("pai", {**PAI_OK, "x-acs-date": "yesterday"}, 401, "IncompleteSignature"),
    (
        "pai",
        {k: v for k, v in PAI_OK.items() if k != "x-acs-signature-nonce"},
        401,
        "IncompleteSignature",
    ),
    ("pai", {**PAI_OK, "x-acs-signature-nonce": "n" * 129}, 401, "IncompleteSignature"),
    ("pai", PAI_OK, 200, None),
    ("pai", {**PAI_OK, "Authorization": "acs AKID:c2lnbmF0dXJl"}, 200, None),
    ("huawei", {}, 401, "APIG.0301"),
    ("huawei", {"X-Auth-Token": ""}, 401, "APIG.1002"),
    ("huawei", {"X-Auth-Token": "t" * 65535}, 401, "APIG.1002"),
    ("huawei", {"X-Auth-Token": "MIIexample"}, 200, None),
    ("huawei", {"Authorization": "SDK-HMAC-SHA256 Access=AK"}, 401, "APIG.0301"),
    ("huawei", {**HUAWEI_SIGNED, "X-Sdk-Date": "2026-01-01"}, 401, "APIG.0301"),
    ("huawei", HUAWEI_SIGNED, 200, None),
    ("dreadnode", {}, 401, "authentication_error"),
    ("dreadnode", {"Authorization": "Basic abc"}, 401, "authentication_error"),
    ("dreadnode", {"Authorization": "Bearer tok"}, 200, None),
    ("dreadnode", {"X-API-Key": "key"}, 200, None),
    ("dashscope", {}, 401, "InvalidApiKey"),
    ("dashscope", {"Authorization": "Bearer "}, 401, "InvalidApiKey"),
    ("dashscope", {"X-API-Key": "sk-1"}, 401, "InvalidApiKey"),
    ("dashscope", {"Authorization": "Bearer sk-1"}, 200, None),
]


@pytest.mark.parametrize(("vendor", "headers", "status", "code"), CHECK_CASES)
def test_check_mode_presence_rules(
    checking: TestClient,
    schemas: Schemas,
    vendor: str,
    headers: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    response = checking.get(URLS[vendor], headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    if code is not None:
        body = response.json()
        assert_valid(schemas, f"{vendor}/error", body)
        assert error_code(vendor, body) == code


def test_off_mode_accepts_no_credentials(client: TestClient) -> None:
    for url in URLS.values():
        assert client.get(url).status_code == 200


def test_unknown_paths_are_not_authenticated(checking: TestClient) -> None:
    assert checking.get("/api/v1/deployments/x").json()["code"] == "NotFound"


@pytest.fixture(scope="module")
def verifying() -> Iterator[TestClient]:
    keys = (
        Credential("dashscope", "", "sk-good"),
        Credential("dreadnode", "ci", "dn-good"),
        Credential("huawei", "token", "MIIgood"),
    )
    with app_client(auth="verify", credentials=keys) as client:
        yield client


@pytest.mark.parametrize(
    ("vendor", "headers", "status"),
    [
        ("dashscope", {"Authorization": "Bearer sk-good"}, 200),
        ("dashscope", {"Authorization": "Bearer sk-bad"}, 401),
        ("dreadnode", {"X-API-Key": "dn-good"}, 200),
        ("dreadnode", {"Authorization": "Bearer dn-good"}, 200),
        ("dreadnode", {"X-API-Key": "dn-bad"}, 401),
        ("huawei", {"X-Auth-Token": "MIIgood"}, 200),
        ("huawei", {"X-Auth-Token": "MIIbad"}, 401),
    ],
)
def test_verify_mode_keys(
    verifying: TestClient, vendor: str, headers: dict[str, str], status: int
) -> None:
    assert verifying.get(URLS[vendor], headers=headers).status_code == status


def test_journal_masks_and_records_auth_failures(checking: TestClient) -> None:
    checking.delete("/_mock/requests")
    checking.get(URLS["dashscope"], headers={"Authorization": "Bearer sk-secret-value"})
    checking.get(URLS["dashscope"])
    ok, refused = checking.get("/_mock/requests").json()["requests"]
    assert ok["headers"]["authorization"] == "Bearer sk-s****"
    assert (ok["status"], refused["status"]) == (200, 401)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"auth": "verify"}, "needs at least one credential"),
        ({"auth": "maybe"}, "auth must be one of off, check, verify"),
        ({"auth": "check", "credentials": (Credential("aws", "a", "b"),)}, "unknown vendor 'aws'"),
    ],
)
def test_impossible_settings(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_app(Settings(**settings))


def test_credentials_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("credentials:\n  - {vendor: pai, key_id: AK, secret: 's:e:c'}\n")
    assert load_credentials(path) == (Credential("pai", "AK", "s:e:c"),)
    assert Credential.parse("pai:AK:s:e:c") == Credential("pai", "AK", "s:e:c")
    path.write_text("# keys for CI\n\npai:AK:s:e:c\n  huawei:token:MII x  \n")
    assert load_credentials(path) == (
        Credential("pai", "AK", "s:e:c"),
        Credential("huawei", "token", "MII x"),
    )
    path.write_text("credentials: [{vendor: pai}]\n")
    with pytest.raises(ValueError, match="needs vendor, key_id and secret"):
        load_credentials(path)


def test_cli_refuses_bad_auth_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--auth", "verify"]) == 2
    assert "needs at least one credential" in capsys.readouterr().err
    assert main(["serve", "--auth", "verify", "--credential", "nocolons"]) == 2
    assert "VENDOR:KEY_ID:SECRET" in capsys.readouterr().err


def test_nonce_store_expires_from_the_front_and_is_bounded() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    store = NonceStore(timedelta(minutes=15), max_entries=3, max_bytes=10)
    assert [store.use(n, start) for n in ("aaa", "aaa", "bbb", "ccc")] == [
        "new",
        "used",
        "new",
        "new",
    ]
    assert (len(store), store.bytes) == (3, 9)
    assert store.use("dd", start) == "full"  # bytes: 9 + 2 > 10, and entries: 3
    assert store.retry_after(start + timedelta(minutes=5)) == 600
    assert store.use("aaa", start + timedelta(minutes=15)) == "used"  # still in the window
    later = start + timedelta(minutes=15, seconds=1)
    assert store.use("dd", later) == "new"  # the three expired, oldest first
    assert (len(store), store.bytes) == (1, 2)
    assert store.use("aaa", later) == "new"
