"""huaweicloudsdkdataartsfabric: ListModels through the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdataartsfabric.v1 import DataArtsFabricClient, ListModelsRequest

from mockserver import MockServer
from tests.sdk.conftest import huawei_client


@pytest.fixture
def client(mockserver: MockServer) -> Iterator[DataArtsFabricClient]:
    with huawei_client(mockserver) as built:
        yield built


def test_list_models_defaults(client: DataArtsFabricClient, mockserver: MockServer) -> None:
    response = client.list_models(ListModelsRequest(workspace_id="default"))
    assert response.total == 10
    assert len(response.models) == 10
    assert response.x_request_id == mockserver.requests()[-1]["request_id"]
    example = next(x for x in response.models if x.id == "0b5633ba2b904511ad514346f4d23d4b")
    assert example.name == "LLama3-8b"
    assert example.type == "LLM_MODEL"
    assert example.current_version.config.llm_model_config.model_path == (
        "obs://bucketname/objectdir/modelpath/"
    )
    assert example.create_user.user_id == "0b5633ba2b904511ad514346f4d23d4b"
    assert isinstance(example.create_time, datetime)  # the SDK parses our times


def test_offset_limit_name_and_sort(client: DataArtsFabricClient) -> None:
    everything = client.list_models(
        ListModelsRequest(
            workspace_id="default", visibility="ALL", limit=100, sort_by="NAME", order_by="ASC"
        )
    )
    names = [x.name for x in everything.models]
    assert names == sorted(names)
    page = client.list_models(
        ListModelsRequest(
            workspace_id="default",
            visibility="ALL",
            offset=2,
            limit=3,
            sort_by="NAME",
            order_by="ASC",
        )
    )
    assert [x.name for x in page.models] == names[2:5]
    assert page.total == everything.total
    found = client.list_models(
        ListModelsRequest(workspace_id="default", name="LLAMA", visibility="ALL", limit=100)
    )
    assert {x.name for x in found.models} == {n for n in names if "llama" in n.lower()}


def test_unknown_workspace_raises(client: DataArtsFabricClient, mockserver: MockServer) -> None:
    with pytest.raises(ClientRequestException) as info:
        client.list_models(ListModelsRequest(workspace_id="no-such-ws"))
    error = info.value
    assert error.status_code == 404
    assert error.error_code == "common.01000001"
    assert error.error_msg == "response status exception, code: 404"
    assert error.request_id == mockserver.requests()[-1]["request_id"]


def test_out_of_range_raises(client: DataArtsFabricClient) -> None:
    with pytest.raises(ClientRequestException) as info:
        client.list_models(ListModelsRequest(workspace_id="default", limit=101))
    assert info.value.status_code == 400
    assert info.value.error_code == "common.01000001"
    assert "limit" in info.value.error_msg
