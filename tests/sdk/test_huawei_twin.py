"""huaweicloudsdkdataartsfabric, unchanged, against the twin: models, their versions and
the endpoints that serve them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdataartsfabric.v1 import (
    CapRef,
    CleanupModelRequest,
    CreateEndpointRequest,
    CreateModelDefinitionRequest,
    CreateModelInput,
    DataArtsFabricClient,
    DeleteEndpointRequest,
    DeleteModelVersionRequest,
    EndpointInput,
    ListBaseModelsRequest,
    ListEndpointsRequest,
    ListModelsRequest,
    ListModelVersionsRequest,
    LlmModelConfig,
    ModelConfig,
    ModelVersionInput,
    ShowEndpointRequest,
    UpdateEndpointRequest,
    UpdateEndpointRequestBody,
    UpdateModelDefinitionRequest,
    UpdateModelInput,
)

from mockserver import MockServer
from tests.sdk.conftest import huawei_client

WS = "default"
REQUEST_ID = re.compile("[0-9a-f]{32}")  # the SDK reads it from the X-Request-Id header


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
    assert REQUEST_ID.fullmatch(base.x_request_id)

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
    assert REQUEST_ID.fullmatch(info.value.request_id)
    with pytest.raises(ClientRequestException) as gone:
        client.cleanup_model(CleanupModelRequest(workspace_id=WS, model_id="f" * 32))
    assert gone.value.status_code == 404


def status(client: DataArtsFabricClient, endpoint_id: str) -> str:
    shown = client.show_endpoint(ShowEndpointRequest(workspace_id=WS, endpoint_id=endpoint_id))
    return str(shown.status)


def test_create_version_serve_refuse_delete_cleanup(
    client: DataArtsFabricClient, mockserver: MockServer
) -> None:
    """The twin's whole flow: a model, a new version, an endpoint serving it until
    RUNNING, deletes refused while it serves, the endpoint deleted, the model cleaned up."""
    model_id, first = new_model(client)
    mockserver.app.clock.advance(1)
    second = client.update_model_definition(
        UpdateModelDefinitionRequest(
            workspace_id=WS,
            model_id=model_id,
            body=UpdateModelInput(version=ModelVersionInput(name="v2")),
        )
    ).current_version.id

    body = EndpointInput(
        name="sdk-chat", type="inference", cap=CapRef(cap_id=model_id, version_id=second)
    )
    created = client.create_endpoint(CreateEndpointRequest(workspace_id=WS, body=body))
    assert str(created.status) == "CREATING"
    assert REQUEST_ID.fullmatch(created.x_request_id)
    assert status(client, created.id) == "CREATING"  # reads:1, the default
    assert status(client, created.id) == "RUNNING"
    listed = client.list_endpoints(ListEndpointsRequest(workspace_id=WS, model_id=model_id))
    assert [e.id for e in listed.endpoints] == [created.id]

    for refused in (
        lambda: client.delete_model_version(
            DeleteModelVersionRequest(workspace_id=WS, model_id=model_id, version_id=second)
        ),
        lambda: client.cleanup_model(CleanupModelRequest(workspace_id=WS, model_id=model_id)),
    ):
        with pytest.raises(ClientRequestException) as info:
            refused()
        assert (info.value.status_code, info.value.error_code) == (400, "common.01000001")
        assert created.id in info.value.error_msg
    # no longer current, the served version is still in use
    client.update_model_definition(
        UpdateModelDefinitionRequest(
            workspace_id=WS, model_id=model_id, body=UpdateModelInput(current_version_id=first)
        )
    )
    with pytest.raises(ClientRequestException) as in_use:
        client.delete_model_version(
            DeleteModelVersionRequest(workspace_id=WS, model_id=model_id, version_id=second)
        )
    assert "in use" in in_use.value.error_msg

    updated = client.update_endpoint(
        UpdateEndpointRequest(
            workspace_id=WS,
            endpoint_id=created.id,
            body=UpdateEndpointRequestBody(description="serving v2"),
        )
    )
    assert str(updated.status) == "UPDATING"
    assert status(client, created.id) == "UPDATING"
    assert status(client, created.id) == "RUNNING"

    deleted = client.delete_endpoint(DeleteEndpointRequest(workspace_id=WS, endpoint_id=created.id))
    assert deleted.id == created.id
    assert status(client, created.id) == "DELETING"
    with pytest.raises(ClientRequestException) as gone:
        status(client, created.id)
    assert gone.value.status_code == 404

    client.cleanup_model(CleanupModelRequest(workspace_id=WS, model_id=model_id))
    assert client.list_models(ListModelsRequest(workspace_id=WS, id=model_id)).total == 0
