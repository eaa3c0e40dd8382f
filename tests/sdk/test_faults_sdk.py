"""How the vendors' SDKs react to the faults the mock injects."""

from __future__ import annotations

from collections.abc import Iterator

import dashscope
import pytest
from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_aiworkspace20210204.client import Client
from alibabacloud_tea_openapi.exceptions import ServerException, ThrottlingException
from dreadnode.app.api.client import ApiClient, AuthenticationError
from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    ServerResponseException,
)
from huaweicloudsdkdataartsfabric.v1 import DataArtsFabricClient, ListModelsRequest

from mockserver import MockServer
from tests.sdk.conftest import huawei_client, pai_client

MODEL = "model-rbvg5wzljz****ks92"


def pai(server: MockServer) -> Client:
    return pai_client(server)


def test_pai_throttling_exception(mockserver: MockServer) -> None:
    mockserver.fault(vendor="pai", status=429, times=1)
    with pytest.raises(ThrottlingException) as info:
        pai(mockserver).get_model(MODEL, m.GetModelRequest())
    assert info.value.code == "Throttling.User"
    assert info.value.retry_after == 1000
    assert info.value.request_id == mockserver.requests()[-1]["request_id"]
    assert pai(mockserver).get_model(MODEL, m.GetModelRequest()).status_code == 200


@pytest.mark.mockserver(rate_limits={"pai": 2})
def test_pai_rate_limit_reaches_the_sdk_as_throttling(mockserver: MockServer) -> None:
    client = pai(mockserver)
    client.get_model(MODEL, m.GetModelRequest())
    client.get_model(MODEL, m.GetModelRequest())
    with pytest.raises(ThrottlingException) as info:
        client.get_model(MODEL, m.GetModelRequest())
    assert info.value.retry_after > 0


def test_pai_server_exception(mockserver: MockServer) -> None:
    mockserver.fault(vendor="pai", operation="ListModelVersions", status=503)
    with pytest.raises(ServerException) as info:
        pai(mockserver).list_model_versions(MODEL, m.ListModelVersionsRequest())
    assert (info.value.status_code, info.value.code) == (503, "ServiceUnavailable")


@pytest.fixture
def huawei(mockserver: MockServer) -> Iterator[DataArtsFabricClient]:
    with huawei_client(mockserver) as client:
        yield client


def test_huawei_timeout_and_internal_error(
    mockserver: MockServer, huawei: DataArtsFabricClient
) -> None:
    mockserver.fault(vendor="huawei", status=408, times=1)
    with pytest.raises(ClientRequestException) as client_error:
        huawei.list_models(ListModelsRequest(workspace_id="default"))
    assert (client_error.value.error_code, client_error.value.error_msg) == (
        "common.00000408",
        "timeout exception occurred",
    )
    mockserver.fault(vendor="huawei", status=500, times=1)
    with pytest.raises(ServerResponseException) as server_error:
        huawei.list_models(ListModelsRequest(workspace_id="default"))
    assert server_error.value.error_code == "common.00000500"
    assert server_error.value.request_id == mockserver.requests()[-1]["request_id"]


@pytest.fixture
def dreadnode(mockserver: MockServer) -> Iterator[ApiClient]:
    client = ApiClient(mockserver.url, api_key="k")
    yield client
    client._client.close()


@pytest.mark.parametrize(
    ("status", "kind", "text"),
    [
        (401, AuthenticationError, "401: Authentication failed"),
        (429, RuntimeError, "429: Rate limited"),
        (502, RuntimeError, "502: Bad gateway"),
        (504, RuntimeError, "504: Gateway timeout"),
        (426, RuntimeError, "426: Upgrade required"),
    ],
)
def test_dreadnode_errors(
    mockserver: MockServer, dreadnode: ApiClient, status: int, kind: type, text: str
) -> None:
    mockserver.fault(vendor="dreadnode", status=status)
    with pytest.raises(kind) as info:
        dreadnode.list_model_versions("example", "example")
    assert str(info.value) == text


@pytest.mark.parametrize(
    ("status", "code"), [(429, "Throttling.RateQuota"), (500, "InternalError")]
)
def test_dashscope_status_and_code(
    mockserver: MockServer, monkeypatch: pytest.MonkeyPatch, status: int, code: str
) -> None:
    monkeypatch.setattr(dashscope, "base_http_api_url", mockserver.url_for("/api/v1"))
    mockserver.fault(vendor="dashscope", status=status)
    result = dashscope.Deployments.list(page_no=1, page_size=10, api_key="sk")
    assert (result.status_code, result.code) == (status, code)
    assert result.request_id == mockserver.requests()[-1]["request_id"]
