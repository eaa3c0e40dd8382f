"""Auth emulation without SDKs: modes, presence rules, configured keys, settings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from alibabacloud_tea_openapi.utils import Utils
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
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
    assert checking.get("/api/v1/deployments/x/y").json()["code"] == "NotFound"


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
    # a YAML error is a usage error that names the line, never the line (a secret)
    path.write_text("credentials:\n  - {vendor: pai, key_id: AK, secret: 'TOPSECRET}\n")
    with pytest.raises(ValueError, match="not valid YAML at line") as refused:
        load_credentials(path)
    assert "TOPSECRET" not in str(refused.value)


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


# --- every rule of --auth verify, with requests signed by the vendors' own signers -------

PAI_KEYS = (
    Credential("pai", "LTAI-test", "pai-secret"),
    Credential("huawei", "HW-AK", "hw-secret"),
)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@pytest.fixture
def signed_app() -> Iterator[TestClient]:
    """Its own app per test: the nonce store is part of its state."""
    with app_client(auth="verify", credentials=PAI_KEYS) as client:
        yield client


def pai_signed(
    *,
    key: str = "LTAI-test",
    secret: str = "pai-secret",
    moment: datetime | None = None,
    payload: str = EMPTY_SHA256,
    sign_host: bool = True,
    nonce: str = "nonce-1",
    pathname: str = "/api/v1/models/model-qwen7bchat0001",
) -> dict[str, str]:
    """GetModel's headers signed by tea-openapi's own Utils.get_authorization."""
    headers = {
        "host": "testserver",
        "x-acs-version": "2021-02-04",
        "x-acs-action": "GetModel",
        "x-acs-date": (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": payload,
    }
    to_sign = headers if sign_host else {k: v for k, v in headers.items() if k != "host"}
    request = SimpleNamespace(method="GET", pathname=pathname, query={}, headers=to_sign)
    return {
        **headers,
        "Authorization": Utils.get_authorization(request, "ACS3-HMAC-SHA256", payload, key, secret),
    }


PAI_MODEL = "/api/v1/models/model-qwen7bchat0001"


def test_pai_verify_baseline_passes(signed_app: TestClient) -> None:
    assert signed_app.get(PAI_MODEL, headers=pai_signed()).status_code == 200


@pytest.mark.parametrize(
    ("signed", "status", "code"),
    [
        ({"secret": "wrong"}, 400, "SignatureDoesNotMatch"),
        ({"key": "LTAI-unknown"}, 404, "InvalidAccessKeyId.NotFound"),
        ({"moment": timedelta(minutes=-16)}, 400, "InvalidTimeStamp.Expired"),
        ({"moment": timedelta(minutes=16)}, 400, "InvalidTimeStamp.Expired"),
        ({"sign_host": False}, 400, "IncompleteSignature"),
    ],
    ids=["wrong secret", "unknown key", "stale date", "future date", "host not signed"],
)
def test_pai_signature_errors_and_their_statuses(
    signed_app: TestClient, schemas: Schemas, signed: dict[str, Any], status: int, code: str
) -> None:
    """docs/decisions.md: Alibaba's common codes with their documented statuses."""
    if isinstance(signed.get("moment"), timedelta):  # from now, when the test runs
        signed = {**signed, "moment": datetime.now(UTC) + signed["moment"]}
    response = signed_app.get(PAI_MODEL, headers=pai_signed(**signed))
    assert response.status_code == status, response.text
    body = response.json()
    assert_valid(schemas, "pai/error", body)
    assert body["Code"] == code


def test_pai_legacy_signature_is_refused_in_verify_mode(signed_app: TestClient) -> None:
    headers = {**pai_signed(), "Authorization": "acs LTAI-test:c2lnbmF0dXJl"}
    response = signed_app.get(PAI_MODEL, headers=headers)
    assert (response.status_code, response.json()["Code"]) == (400, "IncompleteSignature")


def test_pai_replayed_nonce_is_refused(signed_app: TestClient) -> None:
    headers = pai_signed(nonce="once")
    assert signed_app.get(PAI_MODEL, headers=headers).status_code == 200
    response = signed_app.get(PAI_MODEL, headers=headers)
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureNonceUsed")


def test_pai_body_hash_is_computed_from_the_body(signed_app: TestClient) -> None:
    """A body whose x-acs-content-sha256 (and signature) claim another body is refused:
    the mock hashes what arrived, not what the client says it sent."""
    claimed = pai_signed(payload=EMPTY_SHA256, nonce="claimed")
    response = signed_app.request("GET", PAI_MODEL, headers=claimed, content=b'{"x": 1}')
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureDoesNotMatch")
    body = b'{"x": 1}'
    honest = pai_signed(payload=hashlib.sha256(body).hexdigest(), nonce="honest")
    assert signed_app.request("GET", PAI_MODEL, headers=honest, content=body).status_code == 200


def test_pai_signature_over_an_id_with_an_encoded_slash(signed_app: TestClient) -> None:
    """The SDK encodes `/` inside an id (get_encode_param) and signs that path: the
    signature verifies, and the id, routed whole, is unknown."""
    pathname = "/api/v1/models/" + Utils.get_encode_param("model-qwen7bchat0001/versions")
    response = signed_app.get(pathname, headers=pai_signed(pathname=pathname, nonce="slash"))
    assert (response.status_code, response.json()["Code"]) == (404, "ModelNotFound")


class HostlessSigner(Signer):
    """Huawei's own signer, except that it leaves `host` out of SignedHeaders."""

    @classmethod
    def _process_header_host(cls, request: SdkRequest) -> None:
        return None


def huawei_signed(moment: datetime | None = None, signer: type[Signer] = Signer) -> dict[str, str]:
    headers = {"X-Sdk-Date": (moment or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")}
    request = SdkRequest(
        method="GET",
        schema="http",
        host="testserver",
        resource_path="/v1/workspaces/default/models",
        query_params=[],
        header_params=headers,
        body="",
    )
    return dict(
        signer(BasicCredentials("HW-AK", "hw-secret", "project")).sign(request).header_params
    )


def test_huawei_verify_baseline_passes(signed_app: TestClient) -> None:
    assert signed_app.get(URLS["huawei"], headers=huawei_signed()).status_code == 200


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        (lambda: huawei_signed(datetime.now(UTC) + timedelta(minutes=16)), "15 minutes"),
        (lambda: huawei_signed(datetime.now(UTC) - timedelta(minutes=16)), "15 minutes"),
        (lambda: huawei_signed(signer=HostlessSigner), "host"),
    ],
    ids=["future date", "stale date", "host not signed"],
)
def test_huawei_signature_rules(
    signed_app: TestClient, schemas: Schemas, headers: Any, detail: str
) -> None:
    sent = headers()
    assert "host" in sent["Authorization"] or detail == "host"
    response = signed_app.get(URLS["huawei"], headers=sent)
    assert response.status_code == 401, response.text
    body = response.json()
    assert_valid(schemas, "huawei/error", body)
    assert body["error_code"] == "APIG.0301"
    assert detail in body["error_msg"]
