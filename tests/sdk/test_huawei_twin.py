"""huaweicloudsdkdataartsfabric, unchanged, against the twin: models and their versions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdataartsfabric.v1 import (
    CleanupModelRequest,
    CreateModelDefinitionRequest,
    CreateModelInput,
    DataArtsFabricClient,
    DeleteModelVersionRequest,
    ListBaseModelsRequest,
    ListModelsRequest,
    ListModelVersionsRequest,
    LlmModelConfig,
    ModelConfig,
    ModelVersionInput,
    UpdateModelDefinitionRequest,
    UpdateModelInput,
)

from mockserver import MockServer
from tests.sdk.conftest import huawei_client

WS = "default"


@pytest.fixture
def client(mockserver: MockServer) -> Iterator[DataArtsFabricClient]:
    with huawei_client(mockserver) as built:
        yield built


def new_model(client: DataArtsFabricClient, name: str = "sdk-model") -> tuple[str, str]:
    config = ModelConfig(
        llm_model_config=LlmModelConfig(
            base_model_type="QWEN_2_7B", model_path="obs://fabric-sdk/qwen/v1/"
        )
    )
    body = CreateModelInput(
        name=name, type="LLM_MODEL", version=ModelVersionInput(name="v1", config=config)
    )
    created = client.create_model_definition(
        CreateModelDefinitionRequest(workspace_id=WS, body=body)
    )
    return created.id, created.version_id


def test_model_lifecycle_through_the_sdk(
    client: DataArtsFabricClient, mockserver: MockServer
) -> None:
    base = client.list_base_models(ListBaseModelsRequest(limit=100))
    assert "QWEN_2_7B" in [m.base_model_type for m in base.models]
    assert base.x_request_id == mockserver.requests()[-1]["request_id"]

    model_id, first = new_model(client)
    read = client.list_models(ListModelsRequest(workspace_id=WS, id=model_id))
    assert [m.name for m in read.models] == ["sdk-model"]
    assert read.models[0].current_version.id == first
    assert read.models[0].current_version.config.llm_model_config.model_path == (
        "obs://fabric-sdk/qwen/v1/"
    )

    mockserver.app.clock.advance(1)  # v2 is newer than v1
    updated = client.update_model_definition(
        UpdateModelDefinitionRequest(
            workspace_id=WS,
            model_id=model_id,
            body=UpdateModelInput(description="tuned", version=ModelVersionInput(name="v2")),
        )
    )
    assert (updated.description, updated.current_version.name) == ("tuned", "v2")
    listed = client.list_model_versions(
        ListModelVersionsRequest(workspace_id=WS, model_id=model_id)
    )
    assert [v.name for v in listed.versions] == ["v2", "v1"]
    assert listed.total == 2

    client.delete_model_version(
        DeleteModelVersionRequest(workspace_id=WS, model_id=model_id, version_id=first)
    )
    assert mockserver.requests()[-1]["status"] == 202
    left = client.list_model_versions(ListModelVersionsRequest(workspace_id=WS, model_id=model_id))
    assert [v.name for v in left.versions] == ["v2"]

    client.cleanup_model(CleanupModelRequest(workspace_id=WS, model_id=model_id))
    assert client.list_models(ListModelsRequest(workspace_id=WS, id=model_id)).total == 0


def test_sdk_errors_carry_the_code_and_request_id(
    client: DataArtsFabricClient, mockserver: MockServer
) -> None:
    new_model(client)
    with pytest.raises(ClientRequestException) as info:
        new_model(client, "SDK-MODEL")
    assert (info.value.status_code, info.value.error_code) == (400, "common.01000001")
    assert "already exists" in info.value.error_msg
    assert info.value.request_id == mockserver.requests()[-1]["request_id"]
    with pytest.raises(ClientRequestException) as gone:
        client.cleanup_model(CleanupModelRequest(workspace_id=WS, model_id="f" * 32))
    assert gone.value.status_code == 404
