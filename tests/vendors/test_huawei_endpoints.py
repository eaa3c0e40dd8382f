"""Huawei DataArts Fabric endpoints over plain HTTP: states through the lifecycle core,
the model version an endpoint serves is "in use", every refusal in the envelope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.core.schemas import Schemas
from tests.vendors.test_huawei import assert_error
from tests.vendors.test_huawei_writes import MODELS, QWEN, QWEN_CURRENT, QWEN_EARLIER, ok

ENDPOINTS = "/v1/workspaces/default/endpoints"
SERVING = "9f1c2e3d4b5a69788a7b6c5d4e3f2a1b"  # fixture: serves LLama3-8b's current version
LLAMA = "0b5633ba2b904511ad514346f4d23d4b"  # its model id and version id alike
FAILED = "2c4e6a8b0d1f3a5c7e9b1d3f5a7c9e0b"  # fixture: CREATE_FAILED
ENDPOINT = "huawei/show_endpoint.response"


@pytest.fixture(scope="module")
def app() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(lifecycle="reads:1"))) as client:
        yield client


@pytest.fixture
def twin(app: TestClient) -> TestClient:
    assert app.post("/_mock/reset").status_code == 200
    return app


def create(client: TestClient, schemas: Schemas, name: str = "qwen-chat", **extra: Any) -> Any:
    body = {"name": name, "cap": {"cap_id": QWEN, "version_id": QWEN_CURRENT}, **extra}
    created = ok(client.post(ENDPOINTS, json=body), schemas, ENDPOINT)
    assert created["status"] == "CREATING"
    return created


def show(client: TestClient, schemas: Schemas, endpoint_id: str) -> Any:
    return ok(client.get(f"{ENDPOINTS}/{endpoint_id}"), schemas, ENDPOINT)


def running(client: TestClient, schemas: Schemas, **extra: Any) -> Any:
    """A new endpoint read until RUNNING (reads:1: the second read finds it so)."""
    created = create(client, schemas, **extra)
    assert show(client, schemas, created["id"])["status"] == "CREATING"
    found = show(client, schemas, created["id"])
    assert found["status"] == "RUNNING"
    return found


def listed(client: TestClient, schemas: Schemas, **query: Any) -> Any:
    return ok(client.get(ENDPOINTS, params=query), schemas, "huawei/list_endpoints.response")


# --- states -----------------------------------------------------------------------------


def test_create_is_creating_then_running(twin: TestClient, schemas: Schemas) -> None:
    created = create(twin, schemas, description="chat", public_access=True)
    assert created["cap"] == {"cap_id": QWEN, "version_id": QWEN_CURRENT}
    assert created["owner"]["user_id"] == LLAMA
    assert "urls" not in created
    found = running(twin, schemas, name="second")
    assert [u["type"] for u in found["urls"]] == ["PRIVATE"]
    assert show(twin, schemas, created["id"])["status"] == "CREATING"  # its first read
    public = show(twin, schemas, created["id"])
    assert public["status"] == "RUNNING"
    assert [u["type"] for u in public["urls"]] == ["PRIVATE", "PUBLIC"]
    assert "public_access" not in public
    log = twin.get("/_mock/transitions").json()["transitions"]
    assert [(t["from"], t["to"]) for t in log if t["resource"] == created["id"]] == [
        (None, "CREATING"),
        ("CREATING", "RUNNING"),
    ]


def test_list_is_brief_newest_first_and_filtered(twin: TestClient, schemas: Schemas) -> None:
    found = running(twin, schemas)
    body = listed(twin, schemas)
    assert [e["id"] for e in body["endpoints"]] == [found["id"], FAILED, SERVING]
    assert all("urls" not in e for e in body["endpoints"])
    assert [e["id"] for e in listed(twin, schemas, model_id=QWEN)["endpoints"]] == [found["id"]]
    assert listed(twin, schemas, name="QWEN")["total"] == 1
    assert listed(twin, schemas, endpoint_id=SERVING)["endpoints"][0]["status"] == "RUNNING"
    assert listed(twin, schemas, type="ray")["total"] == 0
    page = listed(twin, schemas, offset=1, limit=1)
    assert (page["total"], page["endpoints"][0]["id"]) == (3, FAILED)


def test_a_list_settles_what_it_shows(twin: TestClient, schemas: Schemas) -> None:
    created = create(twin, schemas)
    assert listed(twin, schemas, model_id=QWEN)["endpoints"][0]["status"] == "CREATING"
    assert listed(twin, schemas, model_id=QWEN)["endpoints"][0]["status"] == "RUNNING"
    assert show(twin, schemas, created["id"])["status"] == "RUNNING"


def test_update_is_updating_then_running(twin: TestClient, schemas: Schemas) -> None:
    found = running(twin, schemas)
    url = f"{ENDPOINTS}/{found['id']}"
    updated = ok(
        twin.put(url, json={"description": "v2", "name": "qwen-chat-2"}), schemas, ENDPOINT
    )
    assert (updated["status"], updated["name"], updated["description"]) == (
        "UPDATING",
        "qwen-chat-2",
        "v2",
    )
    assert show(twin, schemas, found["id"])["status"] == "UPDATING"
    assert show(twin, schemas, found["id"])["status"] == "RUNNING"


def test_update_and_delete_are_refused_while_changing(twin: TestClient, schemas: Schemas) -> None:
    assert twin.post("/_mock/transitions", json={"timing": "manual"}).status_code == 200
    created = create(twin, schemas)
    url = f"{ENDPOINTS}/{created['id']}"
    busy = assert_error(schemas, twin.put(url, json={"name": "x-y"}), 400, "common.01000001")
    assert "CREATING" in busy["error_msg"]
    assert_error(schemas, twin.delete(url), 400, "common.01000001", "CREATING")


def test_delete_is_deleting_then_gone(twin: TestClient, schemas: Schemas) -> None:
    url = f"{ENDPOINTS}/{SERVING}"
    assert ok(twin.delete(url), schemas, "huawei/delete_endpoint.response") == {"id": SERVING}
    # a write settles what it touches as a read does: this one is the first read
    assert_error(schemas, twin.delete(url), 400, "common.01000001", "DELETING")
    assert_error(schemas, twin.get(url), 404, "common.01000001")
    assert SERVING not in [e["id"] for e in listed(twin, schemas)["endpoints"]]


def test_a_failed_endpoint_can_be_deleted(twin: TestClient, schemas: Schemas) -> None:
    failed = show(twin, schemas, FAILED)
    assert (failed["status"], failed["error_code"]) == (
        "CREATE_FAILED",
        "FABRIC.ENDPOINT.CREATE_FAILED",
    )
    assert_error(
        schemas, twin.put(f"{ENDPOINTS}/{FAILED}", json={"name": "x"}), 400, "common.01000001"
    )
    assert twin.delete(f"{ENDPOINTS}/{FAILED}").json() == {"id": FAILED}


def test_a_fault_outcome_fails_the_creation(twin: TestClient, schemas: Schemas) -> None:
    rule = {"operation": "CreateEndpoint", "outcome": "CREATE_FAILED", "times": 1}
    assert twin.post("/_mock/faults", json=rule).status_code == 201
    created = create(twin, schemas)
    show(twin, schemas, created["id"])
    failed = show(twin, schemas, created["id"])
    assert failed["status"] == "CREATE_FAILED"
    assert failed["error_msg"] == "creating the endpoint failed"


def test_a_forced_state_and_manual_timing(twin: TestClient, schemas: Schemas) -> None:
    assert twin.post("/_mock/transitions", json={"timing": "manual"}).status_code == 200
    created = create(twin, schemas)
    for _ in range(3):
        assert show(twin, schemas, created["id"])["status"] == "CREATING"
    forced = {"vendor": "huawei", "id": created["id"], "state": "FROZEN"}
    assert twin.post("/_mock/transitions", json=forced).status_code == 200
    assert show(twin, schemas, created["id"])["status"] == "FROZEN"


# --- the version an endpoint serves is in use ----------------------------------------------


def test_a_served_version_and_its_model_cannot_be_deleted(
    twin: TestClient, schemas: Schemas
) -> None:
    twin.put(f"{MODELS}/{LLAMA}", json={"version": {"name": "v2"}})  # LLama's old one stays
    old = twin.delete(f"{MODELS}/{LLAMA}/versions/{LLAMA}")
    body = assert_error(schemas, old, 400, "common.01000001", "in use")
    assert SERVING in body["error_msg"]
    assert "DeleteEndpoint" in body["solution_msg"]
    assert_error(schemas, twin.delete(f"{MODELS}/{LLAMA}"), 400, "common.01000001", SERVING)
    twin.delete(f"{ENDPOINTS}/{SERVING}")
    # DELETING still serves: the version is free once the endpoint is gone
    assert_error(schemas, twin.delete(f"{MODELS}/{LLAMA}"), 400, "common.01000001", "in use")
    twin.get(f"{ENDPOINTS}/{SERVING}")
    twin.get(f"{ENDPOINTS}/{SERVING}")
    assert twin.delete(f"{MODELS}/{LLAMA}/versions/{LLAMA}").status_code == 202
    assert twin.delete(f"{MODELS}/{LLAMA}").status_code == 200


def test_a_new_cap_moves_the_use(twin: TestClient, schemas: Schemas) -> None:
    found = running(twin, schemas)
    url = f"{ENDPOINTS}/{found['id']}"
    cap = {"cap_id": QWEN, "version_id": QWEN_EARLIER}
    assert ok(twin.put(url, json={"cap": cap}), schemas, ENDPOINT)["cap"] == cap
    in_use = twin.delete(f"{MODELS}/{QWEN}/versions/{QWEN_EARLIER}")
    assert_error(schemas, in_use, 400, "common.01000001", "in use")
    twin.put(f"{MODELS}/{QWEN}", json={"version": {"name": "v2.0"}})  # QWEN_CURRENT retires
    assert twin.delete(f"{MODELS}/{QWEN}/versions/{QWEN_CURRENT}").status_code == 202


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"cap": {"cap_id": QWEN, "version_id": QWEN_CURRENT}}, "name"),
        ({"name": "e"}, "cap"),
        ({"name": "e", "cap": {"cap_id": QWEN}}, "version_id"),
        ({"name": "e/1", "cap": {"cap_id": QWEN, "version_id": QWEN_CURRENT}}, "$.name"),
        ({"name": "e", "type": "GPU", "cap": {"cap_id": QWEN, "version_id": QWEN_CURRENT}}, "type"),
        (
            {"name": "e", "ray_resource": {}, "cap": {"cap_id": QWEN, "version_id": QWEN_CURRENT}},
            "ray_resource",
        ),
        (
            {
                "name": "e",
                "reserved_resource": {"mu": {"min": -1}},
                "cap": {"cap_id": QWEN, "version_id": QWEN_CURRENT},
            },
            "min",
        ),
        ({"name": "e", "cap": {"cap_id": "f" * 32, "version_id": QWEN_CURRENT}}, "f" * 32),
        ({"name": "e", "cap": {"cap_id": QWEN, "version_id": LLAMA}}, LLAMA),
        ({"name": "LLAMA3-8B-CHAT", "cap": {"cap_id": QWEN, "version_id": QWEN_CURRENT}}, "exists"),
    ],
)
def test_bad_creates_are_400(
    twin: TestClient, schemas: Schemas, body: dict[str, Any], named: str
) -> None:
    assert_error(schemas, twin.post(ENDPOINTS, json=body), 400, "common.01000001", named)
    assert listed(twin, schemas)["total"] == 2


def test_bad_paths_and_queries(twin: TestClient, schemas: Schemas) -> None:
    body = {"name": "e", "cap": {"cap_id": QWEN, "version_id": QWEN_CURRENT}}
    assert_error(
        schemas, twin.post("/v1/workspaces/nope/endpoints", json=body), 404, "common.01000001"
    )
    assert_error(schemas, twin.get("/v1/workspaces/nope/endpoints"), 404, "common.01000001")
    unknown = f"{ENDPOINTS}/{'e' * 32}"
    for response in (
        twin.get(unknown),
        twin.put(unknown, json={"name": "x"}),
        twin.delete(unknown),
    ):
        assert "e" * 32 in assert_error(schemas, response, 404, "common.01000001")["solution_msg"]
    assert_error(schemas, twin.get(f"{ENDPOINTS}/short"), 400, "common.01000001", "endpoint_id")
    for query in ({"type": "GPU"}, {"limit": "0"}, {"model_id": "x"}, {"visibility": "all"}):
        assert_error(schemas, twin.get(ENDPOINTS, params=query), 400, "common.01000001")
    assert_error(schemas, twin.put(f"{ENDPOINTS}/{SERVING}", json={}), 400, "common.01000001")
    taken = twin.put(f"{ENDPOINTS}/{SERVING}", json={"name": "Mistral-Summariser"})
    assert_error(schemas, taken, 400, "common.01000001", "exists")
    huge = {"name": "e", "description": "d" * 2**20}
    assert_error(schemas, twin.put(f"{ENDPOINTS}/{SERVING}", json=huge), 413, "APIG.0201")
