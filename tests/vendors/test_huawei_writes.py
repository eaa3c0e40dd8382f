"""Huawei DataArts Fabric as a twin: models and their versions over plain HTTP.

CreateModelDefinition, UpdateModelDefinition, ListModelVersions, DeleteModelVersion,
CleanupModel and ListBaseModels against NEIGHBOURS.md section 2 and docs/decisions.md;
every refusal in the error_code/error_msg envelope with X-Request-Id.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid
from tests.vendors.test_huawei import REQUEST_ID, assert_error

MODELS = "/v1/workspaces/default/models"
QWEN = "e8592a5258664bf16f1151348f565ee2"  # a fixture model with an earlier version
QWEN_CURRENT, QWEN_EARLIER = "40fa37931e5fafde71b04fef8c643781", "5d0c7e4b9a2f4f1e8c3b6a7d9e0f1a2b"
CALLER = "0b5633ba2b904511ad514346f4d23d4b"
CONFIG = {"llm_model_config": {"base_model_type": "QWEN_2_7B", "model_path": "obs://fabric-t/m/"}}
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def app() -> Iterator[TestClient]:
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def twin(app: TestClient) -> Iterator[TestClient]:
    """The module's app, back to its fixtures before each test, its clock set to AT."""
    assert app.post("/_mock/reset").status_code == 200
    clock = app.app.clock  # type: ignore[attr-defined]
    clock.freeze()
    clock.set(AT.timestamp())
    yield app
    clock.reset()


def ok(response: Any, schemas: Schemas, schema: str, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert REQUEST_ID.match(response.headers["x-request-id"])
    body = response.json()
    assert_valid(schemas, schema, body)
    return body


def create(client: TestClient, schemas: Schemas, name: str = "my-model", **extra: Any) -> Any:
    body = {"name": name, "type": "LLM_MODEL", "version": {"name": "v1", "config": CONFIG}}
    response = client.post(MODELS, json={**body, **extra})
    return ok(response, schemas, "huawei/create_model.response")


def one(client: TestClient, schemas: Schemas, model_id: str) -> Any:
    """The SDK's way to read a model: ListModels with id=."""
    body = ok(client.get(MODELS, params={"id": model_id}), schemas, "huawei/list_models.response")
    assert body["total"] == len(body["models"]) <= 1
    return body["models"][0] if body["models"] else None


def versions(client: TestClient, schemas: Schemas, model_id: str, **query: Any) -> Any:
    response = client.get(f"{MODELS}/{model_id}/versions", params=query)
    return ok(response, schemas, "huawei/list_model_versions.response")


# --- CreateModelDefinition --------------------------------------------------------------


def test_create_answers_ids_and_lists_the_model_at_once(twin: TestClient, schemas: Schemas) -> None:
    created = create(twin, schemas, description="a test model")
    model = one(twin, schemas, created["id"])
    stamp = "2026-03-01T09:30:00.000Z"
    user = model["create_user"]
    assert user["user_id"] == CALLER  # the workspace's current user made it
    assert model == {
        "visibility": "PRIVATE",
        "id": created["id"],
        "name": "my-model",
        "description": "a test model",
        "type": "LLM_MODEL",
        "create_time": stamp,
        "update_time": stamp,
        "current_version": {
            "id": created["version_id"],
            "name": "v1",
            "cap_white_list": [],
            "config": CONFIG,
            "create_time": stamp,
            "create_user": user,
        },
        "create_user": user,
        "update_user": user,
    }
    newest = ok(twin.get(MODELS), schemas, "huawei/list_models.response")["models"][0]
    assert newest["id"] == created["id"]  # newest first by default


@pytest.mark.parametrize("name", ["my-model", "MY-MODEL", "LLama3-8b", "llama3-8B"])
def test_model_names_are_unique_in_a_workspace(
    twin: TestClient, schemas: Schemas, name: str
) -> None:
    create(twin, schemas)
    body = {"name": name, "type": "LLM_MODEL", "version": {"name": "v1"}}
    refused = assert_error(schemas, twin.post(MODELS, json=body), 400, "common.01000001")
    assert "already exists" in refused["error_msg"]


def test_a_name_taken_in_another_workspace_is_free(twin: TestClient, schemas: Schemas) -> None:
    body = {"name": "my-model", "type": "LLM_MODEL", "version": {"name": "v1"}}
    assert twin.post(MODELS, json=body).status_code == 200
    other = twin.post("/v1/workspaces/ws-research-01/models", json=body)
    ok(other, schemas, "huawei/create_model.response")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "LLM_MODEL", "version": {"name": "v1"}}, "name"),
        ({"name": "m", "version": {"name": "v1"}}, "type"),
        ({"name": "m", "type": "LLM_MODEL"}, "version"),
        ({"name": "m", "type": "CV_MODEL", "version": {"name": "v1"}}, "$.type"),
        ({"name": "a/b", "type": "LLM_MODEL", "version": {"name": "v1"}}, "$.name"),
        ({"name": "m" * 65, "type": "LLM_MODEL", "version": {"name": "v1"}}, "$.name"),
        ({"name": "m", "type": "LLM_MODEL", "version": {}}, "name"),
        ({"name": "m", "type": "LLM_MODEL", "version": {"name": "v1"}, "tags": []}, "tags"),
        (
            {
                "name": "m",
                "type": "LLM_MODEL",
                "version": {"name": "v1", "config": {"llm_model_config": {"model_path": "x"}}},
            },
            "$.version.config.llm_model_config",
        ),
        (
            {
                "name": "m",
                "type": "LLM_MODEL",
                "version": {
                    "name": "v1",
                    "config": {"llm_model_config": {"base_model_type": "Q", "model_path": "/p"}},
                },
            },
            "model_path",
        ),
        ([], "$"),
    ],
)
def test_an_invalid_body_is_a_400_naming_the_field(
    twin: TestClient, schemas: Schemas, body: Any, field: str
) -> None:
    refused = assert_error(schemas, twin.post(MODELS, json=body), 400, "common.01000001", field)
    assert refused["error_msg"].startswith("failed to read http request, please check your input")
    assert one(twin, schemas, "0" * 32) is None


def test_an_unknown_base_model_is_refused(twin: TestClient, schemas: Schemas) -> None:
    config = {"llm_model_config": {"base_model_type": "GPT_5", "model_path": "obs://fabric-t/m/"}}
    body = {"name": "m", "type": "LLM_MODEL", "version": {"name": "v1", "config": config}}
    refused = assert_error(schemas, twin.post(MODELS, json=body), 400, "common.01000001", "GPT_5")
    assert "ListBaseModels" in refused["solution_msg"]


def test_not_json_and_too_large(twin: TestClient, schemas: Schemas) -> None:
    response = twin.post(MODELS, content=b"{", headers={"content-type": "application/json"})
    assert_error(schemas, response, 400, "common.01000001", "not JSON")
    huge = {"name": "m", "type": "LLM_MODEL", "version": {"name": "v1"}, "x": "a" * 2**20}
    refused = assert_error(schemas, twin.post(MODELS, json=huge), 413, "APIG.0201")
    assert refused["error_msg"] == "Request entity too large"
    assert refused["request_id"] == twin.get("/_mock/requests").json()["requests"][-1]["request_id"]


def test_an_unknown_or_invalid_workspace(twin: TestClient, schemas: Schemas) -> None:
    body = {"name": "m", "type": "LLM_MODEL", "version": {"name": "v1"}}
    gone = twin.post("/v1/workspaces/nope/models", json=body)
    assert "nope" in assert_error(schemas, gone, 404, "common.01000001")["solution_msg"]
    bad = twin.post("/v1/workspaces/bad_id/models", json=body)
    assert_error(schemas, bad, 400, "common.01000001", "workspace_id")


def test_writes_are_refused_on_several_workers(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(workers=2))) as client:
        body = {"name": "m", "type": "LLM_MODEL", "version": {"name": "v1"}}
        refused = client.post(MODELS, json=body)
        assert_error(schemas, refused, 400, "common.01000001", "--workers 1")


# --- UpdateModelDefinition ----------------------------------------------------------------


def test_update_renames_and_describes(twin: TestClient, schemas: Schemas) -> None:
    created = create(twin, schemas)
    twin.app.clock.advance(60)  # type: ignore[attr-defined]
    url = f"{MODELS}/{created['id']}"
    body = ok(
        twin.put(url, json={"name": "My-Model", "description": "new"}),
        schemas,
        "huawei/update_model.response",
    )
    assert (body["name"], body["description"]) == ("My-Model", "new")
    assert body["update_time"] == "2026-03-01T09:31:00.000Z"
    assert body["create_time"] == "2026-03-01T09:30:00.000Z"
    assert body["current_version"]["id"] == created["version_id"]
    assert one(twin, schemas, created["id"]) == body


def test_a_new_version_becomes_current_and_the_old_one_stays_listed(
    twin: TestClient, schemas: Schemas
) -> None:
    created = create(twin, schemas)
    twin.app.clock.advance(5)  # type: ignore[attr-defined]
    url = f"{MODELS}/{created['id']}"
    body = ok(
        twin.put(url, json={"version": {"name": "v2"}}), schemas, "huawei/update_model.response"
    )
    assert body["current_version"]["name"] == "v2"
    assert body["current_version"]["create_time"] == "2026-03-01T09:30:05.000Z"
    listed = versions(twin, schemas, created["id"])
    assert listed["total"] == 2
    assert [v["name"] for v in listed["versions"]] == ["v2", "v1"]  # newest first
    again = twin.put(url, json={"version": {"name": "v1"}})
    assert "v1" in assert_error(schemas, again, 400, "common.01000001")["error_msg"]


def test_current_version_id_switches_between_versions(twin: TestClient, schemas: Schemas) -> None:
    url = f"{MODELS}/{QWEN}"
    body = ok(
        twin.put(url, json={"current_version_id": QWEN_EARLIER}),
        schemas,
        "huawei/update_model.response",
    )
    assert body["current_version"]["name"] == "v0.9"
    assert {v["id"] for v in versions(twin, schemas, QWEN)["versions"]} == {
        QWEN_CURRENT,
        QWEN_EARLIER,
    }
    back = twin.put(url, json={"current_version_id": QWEN_CURRENT}).json()
    assert back["current_version"]["name"] == "v1.0"
    same = twin.put(url, json={"current_version_id": QWEN_CURRENT})
    assert same.status_code == 200
    assert versions(twin, schemas, QWEN)["total"] == 2


def test_update_refusals(twin: TestClient, schemas: Schemas) -> None:
    created = create(twin, schemas)
    url = f"{MODELS}/{created['id']}"
    unknown = twin.put(url, json={"current_version_id": "f" * 32})
    assert "f" * 32 in assert_error(schemas, unknown, 404, "common.01000001")["solution_msg"]
    both = twin.put(url, json={"version": {"name": "v2"}, "current_version_id": "f" * 32})
    assert_error(schemas, both, 400, "common.01000001", "together")
    taken = twin.put(url, json={"name": "llama3-8B"})
    assert_error(schemas, taken, 400, "common.01000001", "already exists")
    assert_error(schemas, twin.put(url, json={}), 400, "common.01000001")
    assert_error(schemas, twin.put(url, json={"type": "LLM_MODEL"}), 400, "common.01000001", "type")
    missing = twin.put(f"{MODELS}/{'a' * 32}", json={"name": "x"})
    assert "a" * 32 in assert_error(schemas, missing, 404, "common.01000001")["solution_msg"]
    assert_error(schemas, twin.put(f"{MODELS}/short", json={"name": "x"}), 400, "common.01000001")
    assert one(twin, schemas, created["id"])["name"] == "my-model"


def test_another_users_private_model_is_not_found(twin: TestClient, schemas: Schemas) -> None:
    records = twin.app.store.listing("huawei", "models")  # type: ignore[attr-defined]
    hidden = next(
        m
        for m in records
        if m["workspace_id"] == "default"
        and m["visibility"] == "PRIVATE"
        and m["create_user"]["user_id"] != CALLER
    )
    response = twin.put(f"{MODELS}/{hidden['id']}", json={"name": "mine-now"})
    assert_error(schemas, response, 404, "common.01000001")


# --- ListModelVersions ----------------------------------------------------------------------


def test_versions_of_a_fixture_model(twin: TestClient, schemas: Schemas) -> None:
    listed = versions(twin, schemas, QWEN)
    assert [v["id"] for v in listed["versions"]] == [QWEN_CURRENT, QWEN_EARLIER]
    assert versions(twin, schemas, QWEN, version_id=QWEN_EARLIER)["versions"][0]["name"] == "v0.9"
    page = versions(twin, schemas, QWEN, offset=1, limit=1)
    assert (page["total"], [v["id"] for v in page["versions"]]) == (2, [QWEN_EARLIER])


def test_the_name_filter_is_fuzzy(twin: TestClient, schemas: Schemas) -> None:
    created = create(twin, schemas)
    for name in ("base-v2", "tuned-v3", "Tuned-v4"):
        twin.app.clock.advance(1)  # type: ignore[attr-defined]
        twin.put(f"{MODELS}/{created['id']}", json={"version": {"name": name}})
    found = versions(twin, schemas, created["id"], name="TUNED")
    assert [v["name"] for v in found["versions"]] == ["Tuned-v4", "tuned-v3"]
    assert versions(twin, schemas, created["id"], name="nowhere")["total"] == 0


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"name": "v1"}, "name"),  # 4 to 32 characters
        ({"name": "v1.0.0"}, "name"),  # letters, digits, _ and -
        ({"version_id": "short"}, "version_id"),
    ],
)
def test_version_list_parameters_are_checked(
    twin: TestClient, schemas: Schemas, query: dict[str, str], named: str
) -> None:
    response = twin.get(f"{MODELS}/{QWEN}/versions", params=query)
    body = assert_error(schemas, response, 400, "common.01000001")
    assert named in body["solution_msg"]


def test_versions_of_an_unknown_model(twin: TestClient, schemas: Schemas) -> None:
    assert_error(schemas, twin.get(f"{MODELS}/{'b' * 32}/versions"), 404, "common.01000001")
    assert_error(
        schemas,
        twin.get("/v1/workspaces/x/models/" + "b" * 32 + "/versions"),
        404,
        "common.01000001",
    )


# --- DeleteModelVersion, CleanupModel ---------------------------------------------------


def test_delete_a_version_202(twin: TestClient, schemas: Schemas) -> None:
    url = f"{MODELS}/{QWEN}/versions/{QWEN_EARLIER}"
    assert ok(twin.delete(url), schemas, "huawei/empty.response", 202) == {}
    assert [v["id"] for v in versions(twin, schemas, QWEN)["versions"]] == [QWEN_CURRENT]
    assert_error(schemas, twin.delete(url), 404, "common.01000001", "404")


def test_the_current_version_is_not_deleted(twin: TestClient, schemas: Schemas) -> None:
    response = twin.delete(f"{MODELS}/{QWEN}/versions/{QWEN_CURRENT}")
    body = assert_error(schemas, response, 400, "common.01000001", "current version")
    assert "CleanupModel" in body["solution_msg"]
    assert versions(twin, schemas, QWEN)["total"] == 2


def test_delete_version_refusals(twin: TestClient, schemas: Schemas) -> None:
    assert_error(
        schemas, twin.delete(f"{MODELS}/{'c' * 32}/versions/{QWEN_EARLIER}"), 404, "common.01000001"
    )
    assert_error(schemas, twin.delete(f"{MODELS}/{QWEN}/versions/a.b"), 400, "common.01000001")
    assert_error(
        schemas, twin.delete(f"{MODELS}/{QWEN}/versions/{'d' * 37}"), 400, "common.01000001"
    )


def test_cleanup_deletes_the_model_and_its_versions(twin: TestClient, schemas: Schemas) -> None:
    assert ok(twin.delete(f"{MODELS}/{QWEN}"), schemas, "huawei/empty.response") == {}
    assert one(twin, schemas, QWEN) is None
    assert_error(schemas, twin.get(f"{MODELS}/{QWEN}/versions"), 404, "common.01000001")
    assert_error(schemas, twin.delete(f"{MODELS}/{QWEN}"), 404, "common.01000001")
    held = twin.app.store.listing("huawei", "versions")  # type: ignore[attr-defined]
    assert all(v["model_id"] != QWEN for v in held)
    # the name is free again
    create(twin, schemas, name="Qwen2-7B-Instruct")


def test_a_reset_undoes_the_writes(twin: TestClient, schemas: Schemas) -> None:
    before = ok(twin.get(MODELS, params={"limit": 100}), schemas, "huawei/list_models.response")
    created = create(twin, schemas)
    twin.put(f"{MODELS}/{QWEN}", json={"current_version_id": QWEN_EARLIER, "name": "renamed"})
    twin.delete(f"{MODELS}/0b5633ba2b904511ad514346f4d23d4b")
    assert twin.post("/_mock/reset").status_code == 200
    assert one(twin, schemas, created["id"]) is None
    after = ok(twin.get(MODELS, params={"limit": 100}), schemas, "huawei/list_models.response")
    assert after == before
    assert versions(twin, schemas, QWEN)["versions"][0]["id"] == QWEN_CURRENT


# --- ListBaseModels -------------------------------------------------------------------------


def test_base_models_from_the_fixture(twin: TestClient, schemas: Schemas) -> None:
    body = ok(twin.get("/v1/base-models"), schemas, "huawei/list_base_models.response")
    assert body["total"] == 19
    assert len(body["models"]) == 10
    assert body["models"][0] == {
        "base_model_type": "QWEN_2_7B",
        "max_tokens": 32768,
        "num_of_mu": 1,
    }
    page = ok(
        twin.get("/v1/base-models?offset=18&limit=5"), schemas, "huawei/list_base_models.response"
    )
    assert [m["base_model_type"] for m in page["models"]] == ["BGE_M3"]
    assert_error(schemas, twin.get("/v1/base-models?limit=101"), 400, "common.01000001", "limit")
    assert_error(schemas, twin.get("/v1/base-models/x"), 404, "APIG.0101")


# --- the app's guarded endpoint applies to writes ----------------------------------------


def test_writes_are_journaled(twin: TestClient, schemas: Schemas) -> None:
    created = create(twin, schemas)
    entry = twin.get("/_mock/requests").json()["requests"][-1]
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", MODELS, 200)
    assert created["id"]


def test_a_fault_rule_hits_a_write_and_nothing_is_stored(
    twin: TestClient, schemas: Schemas
) -> None:
    rule = {"operation": "CreateModelDefinition", "status": 500}
    assert twin.post("/_mock/faults", json=rule).status_code == 201
    body = {"name": "faulted", "type": "LLM_MODEL", "version": {"name": "v1"}}
    assert_error(schemas, twin.post(MODELS, json=body), 500, "common.00000500")
    found = ok(twin.get(MODELS, params={"name": "faulted"}), schemas, "huawei/list_models.response")
    assert found["total"] == 0
    response = twin.delete(f"{MODELS}/{QWEN}", headers={"X-Mock-Status": "408"})
    assert_error(schemas, response, 408, "common.00000408")
    assert versions(twin, schemas, QWEN)["total"] == 2


def test_auth_check_covers_writes(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(auth="check"))) as client:
        body = {"name": "m", "type": "LLM_MODEL", "version": {"name": "v1"}}
        refused = client.post(MODELS, json=body)
        assert_error(schemas, refused, 401, "APIG.0301", "x-auth-token not found")
        signed = client.post(MODELS, json=body, headers={"X-Auth-Token": "a-token"})
        ok(signed, schemas, "huawei/create_model.response")
        gone = client.delete(f"{MODELS}/{QWEN}")
        assert_error(schemas, gone, 401, "APIG.0301")


def test_a_clock_set_back_never_updates_before_the_creation(
    twin: TestClient, schemas: Schemas
) -> None:
    created = create(twin, schemas)
    twin.app.clock.set(AT.timestamp() - 3600)  # type: ignore[attr-defined]
    url = f"{MODELS}/{created['id']}"
    body = ok(
        twin.put(url, json={"version": {"name": "v2"}}), schemas, "huawei/update_model.response"
    )
    assert body["update_time"] == body["create_time"] == "2026-03-01T09:30:00.000Z"
    assert body["current_version"]["create_time"] == body["create_time"]
