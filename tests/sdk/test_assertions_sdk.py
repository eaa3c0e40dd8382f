"""Assertions read what the vendors' own SDKs sent: operations, path parameters and
queries in vendor terms, and whether every request passed the signature check."""

from __future__ import annotations

import pytest
from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from huaweicloudsdkdataartsfabric.v1 import ListModelsRequest

from mockserver import MockServer
from mockserver.assertions import MockAssertionError
from tests.sdk.conftest import huawei_client, pai_client

pytestmark = pytest.mark.mockserver(
    auth="verify", credentials=["pai:LTAI-test:pai-secret", "huawei:HW-AK:hw-secret"]
)
MODEL = "model-rbvg5wzljz****ks92"


def test_sdk_calls_in_vendor_terms_and_signed(mockserver: MockServer) -> None:
    client = pai_client(mockserver)
    client.list_model_versions(MODEL, m.ListModelVersionsRequest(page_size=2, order="DESC"))
    with huawei_client(mockserver, "HW-AK", "hw-secret") as huawei:
        huawei.list_models(ListModelsRequest(workspace_id="default", limit=2, sort_by="NAME"))
    [call] = mockserver.assert_called(
        "pai.ListModelVersions",
        where={"ModelId": MODEL, "PageSize": "2", "Order": "DESC"},
        times=1,
    )
    assert call.headers["x-acs-action"] == "ListModelVersions"
    mockserver.assert_called("huawei.ListModels", where={"workspace_id": "default", "limit": "2"})
    mockserver.assert_sequence(["pai.ListModelVersions", "huawei.ListModels"])
    mockserver.assert_signed()


def test_a_request_signed_with_a_wrong_secret_is_named(mockserver: MockServer) -> None:
    pai_client(mockserver).get_model(MODEL, m.GetModelRequest())
    with pytest.raises(ClientException):
        pai_client(mockserver, secret="wrong").get_model(MODEL, m.GetModelRequest())
    with pytest.raises(MockAssertionError) as failed:
        mockserver.assert_signed()
    message = str(failed.value)
    assert message.startswith(
        "expected every request to be signed (verify); 1 of 2 were refused by the "
        "credential check:\n  - GET /api/v1/models/"
    )
    assert message.endswith("-> 400 SignatureDoesNotMatch (pai.GetModel)")
