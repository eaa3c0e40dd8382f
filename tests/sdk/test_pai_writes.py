"""alibabacloud-aiworkspace20210204, unchanged: the twelve model-registry operations.

Each is driven through the official client: create -> read back -> update -> read back
-> delete -> 404, and a realistic flow walks a model's whole life. Bodies the SDK
reads are checked against the schemas too (through the journal's answers).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_aiworkspace20210204.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException

from mockserver import MockServer
from tests.sdk.conftest import pai_client

EXAMPLE = "model-rbvg5wzljz****ks92"
Label = m.Label


@pytest.fixture
def client(mockserver: MockServer) -> Client:
    return pai_client(mockserver)


def not_found(call: Any, code: str = "ModelNotFound") -> ClientException:
    with pytest.raises(ClientException) as info:
        call()
    assert (info.value.status_code, info.value.code) == (404, code)
    return info.value


def labels(items: list[Any] | None) -> list[tuple[str, str]]:
    return [(label.key, label.value) for label in items or []]


def register(client: Client, name: str = "sentiment", **fields: Any) -> str:
    response = client.create_model(m.CreateModelRequest(model_name=name, **fields))
    assert response.status_code == 200
    assert response.body.request_id
    model_id: str = response.body.model_id
    assert model_id.startswith("model-")
    return model_id


def add_version(client: Client, model_id: str, **fields: Any) -> str:
    request = m.CreateModelVersionRequest(uri="oss://bucket.oss-cn-hangzhou/m/", **fields)
    response = client.create_model_version(model_id, request)
    assert response.status_code == 200
    name: str = response.body.version_name
    return name


def test_create_get_update_delete_model(client: Client, mockserver: MockServer) -> None:
    model_id = register(
        client,
        "reviews",
        model_description="first",
        domain="nlp",
        task="text-classification",
        parameter_size=7000,
        extra_info={"a": 1},
        labels=[Label(key="team", value="search")],
        tag=[Label(key="stage", value="dev")],
        workspace_id="123",
    )
    body = client.get_model(model_id, m.GetModelRequest()).body
    assert (body.model_name, body.model_description, body.workspace_id) == (
        "reviews",
        "first",
        "123",
    )
    assert (body.accessibility, body.parameter_size, body.extra_info) == ("PRIVATE", 7000, {"a": 1})
    assert labels(body.labels) == [("team", "search")]
    assert body.latest_version is None
    assert body.gmt_create_time == body.gmt_modified_time
    assert body.request_id == mockserver.requests()[-1]["request_id"]

    mockserver.app.clock.advance(5)
    update = m.UpdateModelRequest(model_description="second", accessibility="PUBLIC")
    assert client.update_model(model_id, update).body.request_id
    again = client.get_model(model_id, m.GetModelRequest()).body
    assert (again.model_description, again.accessibility, again.model_name) == (
        "second",
        "PUBLIC",
        "reviews",
    )
    assert again.gmt_create_time == body.gmt_create_time < again.gmt_modified_time

    assert client.delete_model(model_id, m.DeleteModelRequest()).body.request_id
    not_found(lambda: client.get_model(model_id, m.GetModelRequest()))
    not_found(lambda: client.delete_model(model_id, m.DeleteModelRequest()))
    not_found(lambda: client.update_model(model_id, update))


def test_list_models_filters_and_pages(client: Client) -> None:
    small = register(client, "tiny", parameter_size=10, tag=[Label(key="size", value="s")])
    register(client, "huge", parameter_size=90_000, tag=[Label(key="size", value="l")])
    everything = client.list_models(m.ListModelsRequest(page_size=100)).body
    assert everything.total_count == len(everything.models) >= 7
    newest = client.list_models(m.ListModelsRequest(order="DESC", page_size=1)).body
    assert newest.models[0].model_name == "huge"
    tagged = client.list_models(m.ListModelsRequest(tag=[m.ListModelsRequestTag("size", "s")]))
    assert [x.model_id for x in tagged.body.models] == [small]
    assert labels(tagged.body.models[0].tags) == [("size", "s")]
    conditions = [
        m.ListModelsRequestConditions("ParameterSize", "LessThan", "20"),
        m.ListModelsRequestConditions("ParameterSize", "GreaterThanOrEqual", "10"),
    ]
    found = client.list_models(m.ListModelsRequest(conditions=conditions)).body
    assert [x.model_id for x in found.models] == [small]
    by_query = client.list_models(m.ListModelsRequest(query="HUG")).body
    assert [x.model_name for x in by_query.models] == ["huge"]
    with pytest.raises(ClientException) as info:
        client.list_models(
            m.ListModelsRequest(conditions=[m.ListModelsRequestConditions("X", "LessThan", "1")])
        )
    assert (info.value.status_code, info.value.code) == (400, "InvalidParameter")
    assert "Conditions" in info.value.message


def test_create_get_update_delete_version(client: Client, mockserver: MockServer) -> None:
    model_id = register(client)
    assert add_version(client, model_id) == "0.1.0"
    assert add_version(client, model_id, version_name="1.4.2_rc") == "1.4.2_rc"
    assert add_version(client, model_id) == "1.5.0"  # the highest x.y.z's minor, plus one
    version = client.get_model_version(model_id, "0.1.0", m.GetModelVersionRequest()).body
    assert (version.version_name, version.uri, version.source_type) == (
        "0.1.0",
        "oss://bucket.oss-cn-hangzhou/m/",
        "Custom",
    )
    assert version.approval_status is None

    mockserver.app.clock.advance(1)
    update = m.UpdateModelVersionRequest(approval_status="Approved", metrics={"acc": 0.9})
    assert client.update_model_version(model_id, "0.1.0", update).body.request_id
    again = client.get_model_version(model_id, "0.1.0", m.GetModelVersionRequest()).body
    assert (again.approval_status, again.metrics) == ("Approved", {"acc": 0.9})
    assert again.gmt_modified_time > version.gmt_modified_time

    assert client.delete_model_version(model_id, "0.1.0", m.DeleteModelVersionRequest()).body
    code = "ModelVersionNotFound"
    not_found(lambda: client.get_model_version(model_id, "0.1.0", m.GetModelVersionRequest()), code)
    not_found(
        lambda: client.delete_model_version(model_id, "0.1.0", m.DeleteModelVersionRequest()), code
    )
    not_found(lambda: client.update_model_version(model_id, "0.1.0", update), code)


def test_duplicate_version_name_is_refused(client: Client) -> None:
    model_id = register(client)
    add_version(client, model_id, version_name="0.1.0")
    with pytest.raises(ClientException) as info:
        add_version(client, model_id, version_name="0.1.0")
    assert (info.value.status_code, info.value.code) == (409, "ModelVersionAlreadyExists")
    assert "VersionName" in info.value.message and "0.1.0" in info.value.message


def test_model_labels(client: Client, mockserver: MockServer) -> None:
    model_id = register(client, labels=[Label(key="a", value="1"), Label(key="b", value="2")])
    request = m.CreateModelLabelsRequest(
        labels=[Label(key="b", value="3"), Label(key="c", value="4")]
    )
    assert client.create_model_labels(model_id, request).body.request_id
    body = client.get_model(model_id, m.GetModelRequest()).body
    assert labels(body.labels) == [("a", "1"), ("b", "3"), ("c", "4")]  # upsert by key
    remove = m.DeleteModelLabelsRequest(label_keys="a,c,unknown")
    assert client.delete_model_labels(model_id, remove).body.request_id
    assert mockserver.requests()[-1]["path"].endswith("/labels")
    assert labels(client.get_model(model_id, m.GetModelRequest()).body.labels) == [("b", "3")]
    client.delete_model(model_id, m.DeleteModelRequest())
    not_found(lambda: client.create_model_labels(model_id, request))
    not_found(lambda: client.delete_model_labels(model_id, remove))


def test_version_labels(client: Client) -> None:
    model_id = register(client)
    name = add_version(client, model_id, labels=[Label(key="stage", value="dev")])
    request = m.CreateModelVersionLabelsRequest(labels=[Label(key="stage", value="prod")])
    assert client.create_model_version_labels(model_id, name, request).body.request_id
    listed = client.list_model_versions(model_id, m.ListModelVersionsRequest(label="prod")).body
    assert [v.version_name for v in listed.versions] == [name]
    remove = m.DeleteModelVersionLabelsRequest(label_keys="stage")
    assert client.delete_model_version_labels(model_id, name, remove).body.request_id
    version = client.get_model_version(model_id, name, m.GetModelVersionRequest()).body
    assert labels(version.labels) == []
    client.delete_model_version(model_id, name, m.DeleteModelVersionRequest())
    code = "ModelVersionNotFound"
    not_found(lambda: client.create_model_version_labels(model_id, name, request), code)
    not_found(lambda: client.delete_model_version_labels(model_id, name, remove), code)


def test_a_models_life(client: Client, mockserver: MockServer) -> None:
    """Register a model, add three versions, approve one, filter by approval and label,
    delete the model: everything gone, in every view."""
    model_id = register(client, "churn", labels=[Label(key="team", value="growth")])
    names = []
    for week in ("w1", "w2", "w3"):
        mockserver.app.clock.advance(60)
        names.append(add_version(client, model_id, labels=[Label(key="week", value=week)]))
    assert names == ["0.1.0", "0.2.0", "0.3.0"]
    client.update_model_version(
        model_id, "0.2.0", m.UpdateModelVersionRequest(approval_status="Approved")
    )
    approved = client.list_model_versions(
        model_id, m.ListModelVersionsRequest(approval_status="Approved", label="w2")
    ).body
    assert ([v.version_name for v in approved.versions], approved.total_count) == (["0.2.0"], 1)
    none = client.list_model_versions(
        model_id, m.ListModelVersionsRequest(approval_status="Approved", label="w3")
    ).body
    assert none.total_count == 0
    model = client.get_model(model_id, m.GetModelRequest()).body
    assert model.latest_version.version_name == "0.3.0"
    assert model.gmt_latest_version_modified_time == model.latest_version.gmt_modified_time
    listed = client.list_models(m.ListModelsRequest(label="growth")).body
    assert [x.model_id for x in listed.models] == [model_id]
    held = mockserver.data()["pai"]
    assert sum(v["ModelId"] == model_id for v in held["versions"]) == 3

    client.delete_model(model_id, m.DeleteModelRequest())
    not_found(lambda: client.get_model(model_id, m.GetModelRequest()))
    not_found(lambda: client.list_model_versions(model_id, m.ListModelVersionsRequest()))
    not_found(lambda: client.get_model_version(model_id, "0.2.0", m.GetModelVersionRequest()))
    assert client.list_models(m.ListModelsRequest(label="growth")).body.total_count == 0
    held = mockserver.data()["pai"]
    assert all(x["ModelId"] != model_id for x in held["models"] + held["versions"])
    journal = [(r["operation"], r["status"]) for r in mockserver.requests()]
    assert ("DeleteModel", 200) in journal and ("CreateModelVersion", 200) in journal


def test_reset_returns_to_the_loaded_registry(client: Client, mockserver: MockServer) -> None:
    loaded = json.dumps(mockserver.data()["pai"], sort_keys=True)
    model_id = register(client)
    add_version(client, model_id)
    client.delete_model_version(EXAMPLE, "0.1.0", m.DeleteModelVersionRequest())
    client.update_model(EXAMPLE, m.UpdateModelRequest(model_name="renamed"))
    mockserver.reset()
    assert json.dumps(mockserver.data()["pai"], sort_keys=True) == loaded
    not_found(lambda: client.get_model(model_id, m.GetModelRequest()))
    assert client.get_model(EXAMPLE, m.GetModelRequest()).body.model_name == "情感分析"
