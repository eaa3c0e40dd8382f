"""`--auth verify`: requests signed by the vendors' own signers pass with the configured
secret and fail, in the vendor's envelope, when anything signed is changed; the DashScope
and Dreadnode SDKs' keys are compared with the configured ones."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import quote

import dashscope
import httpx
import pytest
from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils import Utils
from dreadnode.app.api.client import ApiClient, AuthenticationError
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkdataartsfabric.v1 import DataArtsFabricClient, ListModelsRequest

from mockserver import MockServer
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid
from tests.sdk.conftest import huawei_client, pai_client

pytestmark = pytest.mark.mockserver(
    auth="verify",
    credentials=[
        "pai:LTAI-test:pai-secret",
        "huawei:HW-AK:hw-secret",
        "dashscope::sk-good",
        "dreadnode:ci:dn-good",
    ],
)
MODEL = "model-rbvg5wzljz****ks92"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


# --- Alibaba PAI: ACS3-HMAC-SHA256 -----------------------------------------------------


def test_pai_sdk_signed_request_passes(mockserver: MockServer) -> None:
    client = pai_client(mockserver)
    assert client.get_model(MODEL, m.GetModelRequest()).body.model_id == MODEL
    body = client.list_model_versions(
        MODEL, m.ListModelVersionsRequest(page_size=2, order="DESC", label="k1")
    ).body
    assert body.total_count == 2


@pytest.mark.parametrize(
    ("key", "secret", "status", "code"),
    [
        ("LTAI-test", "wrong-secret", 400, "SignatureDoesNotMatch"),
        ("LTAI-unknown", "pai-secret", 404, "InvalidAccessKeyId.NotFound"),
    ],
)
def test_pai_sdk_with_wrong_credentials(
    mockserver: MockServer, key: str, secret: str, status: int, code: str
) -> None:
    with pytest.raises(ClientException) as info:
        pai_client(mockserver, key, secret).get_model(MODEL, m.GetModelRequest())
    assert (info.value.status_code, info.value.code) == (status, code)


def pai_request(
    server: MockServer,
    query: dict[str, str],
    *,
    date: datetime | None = None,
    secret: str = "pai-secret",
    nonce: str | None = "",
) -> tuple[str, dict[str, str]]:
    """Path and headers signed by the SDK's own signer (tea-openapi Utils.get_authorization);
    `nonce` "" is a fresh one, None none at all."""
    pathname = f"/api/v1/models/{quote(MODEL, safe='~')}/versions"
    headers = {
        "host": f"127.0.0.1:{server.port}",
        "x-acs-version": "2021-02-04",
        "x-acs-action": "ListModelVersions",
        "x-acs-date": (date or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": EMPTY_SHA256,
        "accept": "application/json",
    }
    if nonce is None:
        del headers["x-acs-signature-nonce"]
    elif nonce:
        headers["x-acs-signature-nonce"] = nonce
    request = SimpleNamespace(method="GET", pathname=pathname, query=query, headers=headers)
    headers["Authorization"] = Utils.get_authorization(
        request, "ACS3-HMAC-SHA256", EMPTY_SHA256, "LTAI-test", secret
    )
    return pathname, headers


def send(
    server: MockServer, path: str, query: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    return httpx.get(server.url + path, params=query, headers=headers)


def test_pai_signer_baseline_passes(mockserver: MockServer) -> None:
    path, headers = pai_request(mockserver, {"PageSize": "2"})
    assert send(mockserver, path, {"PageSize": "2"}, headers).status_code == 200


def test_pai_tampered_query(mockserver: MockServer, schemas: Schemas) -> None:
    path, headers = pai_request(mockserver, {"PageSize": "2"})
    response = send(mockserver, path, {"PageSize": "3"}, headers)
    assert response.status_code == 400
    assert_valid(schemas, "pai/error", response.json())
    assert response.json()["Code"] == "SignatureDoesNotMatch"


def test_pai_missing_signed_header(mockserver: MockServer) -> None:
    path, headers = pai_request(mockserver, {})
    del headers["accept"]  # signed, then not sent
    response = send(mockserver, path, {}, headers)
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureDoesNotMatch")


def test_pai_date_outside_the_window(mockserver: MockServer) -> None:
    path, headers = pai_request(mockserver, {}, date=datetime.now(UTC) - timedelta(minutes=20))
    response = send(mockserver, path, {}, headers)
    assert (response.status_code, response.json()["Code"]) == (400, "InvalidTimeStamp.Expired")


def test_pai_replayed_nonce(mockserver: MockServer) -> None:
    path, headers = pai_request(mockserver, {})
    assert send(mockserver, path, {}, headers).status_code == 200
    response = send(mockserver, path, {}, headers)
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureNonceUsed")


def test_pai_signed_without_a_nonce_is_refused(mockserver: MockServer, schemas: Schemas) -> None:
    path, headers = pai_request(mockserver, {}, nonce=None)
    for _ in range(2):  # and so cannot be replayed either
        response = send(mockserver, path, {}, headers)
        assert (response.status_code, response.json()["Code"]) == (401, "IncompleteSignature")
        assert_valid(schemas, "pai/error", response.json())
        assert "x-acs-signature-nonce" in response.json()["Message"]


@pytest.mark.mockserver(auth="verify", credentials=["pai:LTAI-test:pai-secret"])
def test_pai_full_nonce_store_refuses_new_nonces_not_replays(mockserver: MockServer) -> None:
    mockserver.app.auth.nonces.max_entries = 2
    first = pai_request(mockserver, {})
    for path, headers in (first, pai_request(mockserver, {})):
        assert send(mockserver, path, {}, headers).status_code == 200
    refused = send(mockserver, *_path_query_headers(pai_request(mockserver, {})))
    assert (refused.status_code, refused.json()["Code"]) == (429, "Throttling.User")
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert int(refused.headers["x-acs-retry-after"]) == 1000 * int(refused.headers["Retry-After"])
    replay = send(mockserver, *_path_query_headers(first))
    assert (replay.status_code, replay.json()["Code"]) == (400, "SignatureNonceUsed")


def _path_query_headers(
    signed: tuple[str, dict[str, str]],
) -> tuple[str, dict[str, str], dict[str, str]]:
    return signed[0], {}, signed[1]


@pytest.mark.mockserver(
    auth="verify", credentials=["pai:LTAI-test:pai-secret"], rate_limits={"pai": 1}
)
def test_pai_failed_auth_does_not_spend_the_rate_limit(mockserver: MockServer) -> None:
    for _ in range(3):
        path, headers = pai_request(mockserver, {}, secret="wrong-secret")
        response = send(mockserver, path, {}, headers)
        assert (response.status_code, response.json()["Code"]) == (400, "SignatureDoesNotMatch")
    path, headers = pai_request(mockserver, {})
    assert send(mockserver, path, {}, headers).status_code == 200
    path, headers = pai_request(mockserver, {})
    assert send(mockserver, path, {}, headers).status_code == 429  # the bucket still counts


# --- Huawei: SDK-HMAC-SHA256 -----------------------------------------------------------


@pytest.fixture
def huawei(mockserver: MockServer) -> Iterator[DataArtsFabricClient]:
    with huawei_client(mockserver, "HW-AK", "hw-secret") as client:
        yield client


def test_huawei_sdk_signed_request_passes(huawei: DataArtsFabricClient) -> None:
    response = huawei.list_models(
        ListModelsRequest(workspace_id="default", limit=2, name="LLama", sort_by="NAME")
    )
    assert response.total == 2


def test_huawei_sdk_with_wrong_secret(mockserver: MockServer) -> None:
    with (
        huawei_client(mockserver, "HW-AK", "not-it") as client,
        pytest.raises(ClientRequestException) as info,
    ):
        client.list_models(ListModelsRequest(workspace_id="default"))
    assert (info.value.status_code, info.value.error_code) == (401, "APIG.0301")
    assert "verify aksk signature fail" in info.value.error_msg


def huawei_request(
    server: MockServer,
    query: list[tuple[str, str]],
    *,
    key: str = "HW-AK",
    date: datetime | None = None,
) -> dict[str, str]:
    """Headers signed by the SDK's own Signer."""
    headers = {"Content-Type": "application/json", "X-Project-Id": "project"}
    if date is not None:
        headers["X-Sdk-Date"] = date.strftime("%Y%m%dT%H%M%SZ")
    request = SdkRequest(
        method="GET",
        schema="http",
        host=f"127.0.0.1:{server.port}",
        resource_path="/v1/workspaces/default/models",
        query_params=list(query),
        header_params=headers,
        body="",
    )
    signed = Signer(BasicCredentials(key, "hw-secret", "project")).sign(request)
    return dict(signed.header_params)


def send_huawei(
    server: MockServer, query: list[tuple[str, str]], headers: dict[str, str]
) -> httpx.Response:
    return httpx.get(server.url + "/v1/workspaces/default/models", params=query, headers=headers)


def test_huawei_signer_baseline_passes(mockserver: MockServer) -> None:
    headers = huawei_request(mockserver, [("limit", "2")])
    assert send_huawei(mockserver, [("limit", "2")], headers).status_code == 200


@pytest.mark.parametrize(
    ("case", "detail"),
    [
        ("tampered query", "verify aksk signature fail"),
        ("missing signed header", "verify aksk signature fail"),
        ("stale date", "more than 15 minutes"),
        ("unknown key", "does not exist"),
    ],
)
def test_huawei_broken_signatures(
    mockserver: MockServer, schemas: Schemas, case: str, detail: str
) -> None:
    query = [("limit", "2")]
    if case == "stale date":
        headers = huawei_request(mockserver, query, date=datetime.now(UTC) - timedelta(minutes=16))
    elif case == "unknown key":
        headers = huawei_request(mockserver, query, key="HW-OTHER")
    else:
        headers = huawei_request(mockserver, query)
    if case == "tampered query":
        query = [("limit", "3")]
    if case == "missing signed header":
        del headers["X-Project-Id"]
    response = send_huawei(mockserver, query, headers)
    assert response.status_code == 401
    body = response.json()
    assert_valid(schemas, "huawei/error", body)
    assert body["error_code"] == "APIG.0301"
    assert detail in body["error_msg"]
    assert response.headers["x-request-id"]


# --- DashScope and Dreadnode: keys compared with the configured ones ---------------------


@pytest.mark.parametrize(("key", "status"), [("sk-good", 200), ("sk-wrong", 401)])
def test_dashscope_sdk_key(
    mockserver: MockServer, monkeypatch: pytest.MonkeyPatch, key: str, status: int
) -> None:
    monkeypatch.setattr(dashscope, "base_http_api_url", mockserver.url_for("/api/v1"))
    result = dashscope.Deployments.list(page_no=1, page_size=5, api_key=key)
    assert result.status_code == status
    if status == 401:
        assert (result.code, result.message) == ("InvalidApiKey", "Invalid API-key provided.")


def test_dreadnode_sdk_key(mockserver: MockServer) -> None:
    good = ApiClient(mockserver.url, api_key="dn-good")
    wrong = ApiClient(mockserver.url, api_key="dn-wrong")
    try:
        assert good.list_model_versions("example", "example")["name"] == "example"
        with pytest.raises(AuthenticationError, match="401: Authentication failed"):
            wrong.list_model_versions("example", "example")
    finally:
        good._client.close()
        wrong._client.close()
