"""The /_mock/ control plane, end to end over HTTP (in process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app

DEPLOYMENT = {
    "deployed_model": "qwen-long-0a0b0c0d-test",
    "gmt_create": "2026-01-01T00:00:00",
    "gmt_modified": "2026-01-01T00:00:00",
    "status": "RUNNING",
    "model_name": "qwen-long",
    "base_model": "qwen-long",
    "base_capacity": 1,
    "capacity": 1,
    "ready_capacity": 1,
    "workspace_id": "llm-v71tlv3d***",
    "charge_type": "post_paid",
    "creator": "1",
    "modifier": "1",
}


@pytest.fixture
def own() -> Iterator[TestClient]:
    """A client on an app of its own: these tests change state."""
    with TestClient(create_app(Settings(journal_size=3, seed=5))) as test_client:
        yield test_client


def total_deployments(client: TestClient) -> int:
    return int(client.get("/api/v1/deployments").json()["output"]["total"])


def test_health(own: TestClient) -> None:
    body = own.get("/_mock/health").json()
    assert body["status"] == "ok"
    assert body["records"]["dashscope"] == {"workspaces": 2, "models": 8, "deployments": 8}


def test_add_then_reset(own: TestClient) -> None:
    before = total_deployments(own)
    response = own.post("/_mock/data/dashscope/deployments", json=DEPLOYMENT)
    assert response.status_code == 201
    assert response.json()["added"] == 1
    assert total_deployments(own) == before + 1
    listed = own.get("/api/v1/deployments").json()["output"]["deployments"]
    assert listed[0]["deployed_model"] == DEPLOYMENT["deployed_model"]  # newest first
    assert own.post("/_mock/reset").status_code == 200
    assert total_deployments(own) == before
    assert own.get("/_mock/data").json()["dashscope"]["deployments"] == create_app().store.listing(
        "dashscope", "deployments"
    )


def test_a_list_is_added_as_one_batch(own: TestClient) -> None:
    second = {**DEPLOYMENT, "deployed_model": "qwen-long-0a0b0c0d-two"}
    response = own.post("/_mock/data/dashscope/deployments", json=[DEPLOYMENT, second])
    assert response.json()["added"] == 2
    assert response.json()["records"]["deployments"] == 10


def test_a_bad_record_adds_nothing(own: TestClient) -> None:
    before = own.get("/_mock/data").json()
    bad = {**DEPLOYMENT, "deployed_model": "qwen-long-0a0b0c0d-bad", "status": "DEPLOYING"}
    response = own.post("/_mock/data/dashscope/deployments", json=[DEPLOYMENT, bad])
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidRecord"
    assert body["problems"] == [
        "body: deployments[1] 'qwen-long-0a0b0c0d-bad': $.status: 'DEPLOYING' is not one of "
        "['PENDING', 'UPDATING', 'RUNNING', 'STOPPED', 'DELETING', 'FAILED']"
    ]
    assert own.get("/_mock/data").json() == before


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (
            {**DEPLOYMENT, "deployed_model": "emo-35b3f106-sample01", "model_name": "emo"},
            "$.deployed_model: duplicate deployed_model 'emo-35b3f106-sample01', also in "
            "(already loaded)",
        ),
        (
            {**DEPLOYMENT, "workspace_id": "llm-elsewhere"},
            "$.workspace_id: no workspaces record has id 'llm-elsewhere'",
        ),
        ({**DEPLOYMENT, "capacity": "1"}, "$.capacity: '1' is not of type 'integer'"),
        (
            [DEPLOYMENT, DEPLOYMENT],
            "deployments[1] 'qwen-long-0a0b0c0d-test': $.deployed_model: duplicate",
        ),
        ("text", "deployments[0]: $: a record must be a mapping, not str"),
    ],
)
def test_rules_are_the_fixture_rules(own: TestClient, records: Any, expected: str) -> None:
    response = own.post("/_mock/data/dashscope/deployments", json=records)
    assert response.status_code == 400
    assert any(expected in p for p in response.json()["problems"]), response.json()


def test_parents_and_children_in_one_vendor(own: TestClient) -> None:
    assert own.post("/_mock/data/dreadnode/orgs", json={"slug": "newco"}).status_code == 201
    assert own.post("/_mock/data/dreadnode/models", json={"name": "newco/m"}).status_code == 201
    version = {
        "id": "0b8f1c9e-2f4a-4c6b-9d1e-3a5b7c9d1e2f",
        "name": "newco/m",
        "version": "0.1.0",
        "created_at": "2026-01-01T00:00:00Z",
    }
    assert own.post("/_mock/data/dreadnode/versions", json=version).status_code == 201
    body = own.get("/api/v1/org/newco/models/m/versions").json()
    assert body["versions"] == ["0.1.0"]
    assert body["latest"]["framework"] == "safetensors"


@pytest.mark.parametrize("path", ["/_mock/data/nobody/models", "/_mock/data/pai/things"])
def test_unknown_vendor_or_collection(own: TestClient, path: str) -> None:
    response = own.post(path, json={})
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_body_must_be_json(own: TestClient) -> None:
    response = own.post(
        "/_mock/data/pai/models", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidJSON"


def test_journal_records_vendor_calls_oldest_first(own: TestClient) -> None:
    own.get(
        "/api/v1/deployments",
        params={"page_size": "2"},
        headers={
            "Authorization": "Bearer sk-0123456789abcdef",
            "X-DashScope-WorkSpace": "llm-v71tlv3d***",
        },
    )
    own.get("/v1/workspaces/nope/models")
    own.get("/_mock/health")  # not recorded
    entries = own.get("/_mock/requests").json()["requests"]
    assert [e["path"] for e in entries] == ["/api/v1/deployments", "/v1/workspaces/nope/models"]
    first, second = entries
    assert first["method"] == "GET"
    assert first["query"] == {"page_size": "2"}
    assert first["status"] == 200
    assert (first["vendor"], first["operation"]) == ("dashscope", "ListDeployments")
    assert first["headers"] == {
        "authorization": "Bearer sk-0****",
        "x-dashscope-workspace": "llm-v71tlv3d***",
    }
    assert first["duration_ms"] >= 0
    assert first["time"].endswith("Z")
    assert (second["status"], second["vendor"], second["operation"]) == (
        404,
        "huawei",
        "ListModels",
    )
    assert second["request_id"] is not None


def test_journal_is_bounded_and_can_be_emptied(own: TestClient) -> None:
    for page in range(1, 6):
        own.get("/api/v1/deployments", params={"page_no": str(page)})
    entries = own.get("/_mock/requests").json()["requests"]
    assert [e["query"]["page_no"] for e in entries] == ["3", "4", "5"]
    assert own.delete("/_mock/requests").status_code == 204
    assert own.get("/_mock/requests").json()["requests"] == []


def test_signatures_are_masked(own: TestClient) -> None:
    own.get(
        "/api/v1/models/model-nope",
        headers={
            "Authorization": "ACS3-HMAC-SHA256 Credential=LTAI5tAK,SignedHeaders=host;x-acs-date,"
            "Signature=9f86d081884c7d659a2feaa0c55ad015"
        },
    )
    own.get("/api/v1/org/example/models/example/versions", headers={"X-API-Key": "dn_secret_key_1"})
    first, second = own.get("/_mock/requests").json()["requests"]
    assert first["headers"]["authorization"] == (
        "ACS3-HMAC-SHA256 Credential=LTAI5tAK,SignedHeaders=host;x-acs-date,Signature=****"
    )
    assert second["headers"]["x-api-key"] == "dn_s****"


def test_unknown_control_paths_are_json(own: TestClient) -> None:
    for method, path in (("GET", "/_mock/nope"), ("GET", "/_mock/reset")):
        response = own.request(method, path)
        assert response.status_code in (404, 405)
        assert response.headers["content-type"] == "application/json"


def test_reset_restores_the_random_source(own: TestClient) -> None:
    first = [own.get("/api/v1/deployments").json()["request_id"] for _ in range(2)]
    own.post("/_mock/reset")
    assert [own.get("/api/v1/deployments").json()["request_id"] for _ in range(2)] == first


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92/versions",
        "/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92/versions?Order=DESC&PageSize=2",
        "/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92",
    ],
)
def test_repeated_answers_follow_data_changes(own: TestClient, path: str) -> None:
    """Answers are kept per request for speed; adding data or a reset must show at once."""
    version = {
        "ModelId": "model-rbvg5wzljz****ks92",
        "VersionName": "9.9.9",
        "GmtCreateTime": "2030-01-01T00:00:00Z",
        "GmtModifiedTime": "2030-01-01T00:00:00Z",
        "Uri": "oss://bucket/new/",
    }

    def seen() -> str:
        body = own.get(path).json()
        return str(body["Versions"] if "Versions" in body else body["LatestVersion"])

    before = seen()
    assert seen() == before  # asked twice: the kept answer, a fresh RequestId around it
    first, second = own.get(path), own.get(path)
    assert first.json()["RequestId"] != second.json()["RequestId"]
    assert second.json()["RequestId"] == second.headers["x-acs-request-id"]
    assert own.post("/_mock/data/pai/versions", json=version).status_code == 201
    assert "9.9.9" in seen()
    assert own.post("/_mock/reset").status_code == 200
    assert seen() == before


def test_journal_duration_is_in_milliseconds(own: TestClient) -> None:
    own.get("/api/v1/deployments", headers={"X-Mock-Delay-Ms": "120"})
    [entry] = own.get("/_mock/requests").json()["requests"]
    assert 120 <= entry["duration_ms"] < 60_000  # 0.12 would be seconds, 120000 microseconds


def test_journal_keeps_every_value_of_a_repeated_parameter(own: TestClient) -> None:
    own.get("/api/v1/deployments?page_no=1&page_no=2&page_no=3&page_size=5")
    own.get("/v1/workspaces/default/models?name=a&name=&limit=2")
    first, second = own.get("/_mock/requests").json()["requests"]
    assert first["query"] == {"page_no": ["1", "2", "3"], "page_size": "5"}
    assert second["query"] == {"name": ["a", ""], "limit": "2"}


SECRETS = {
    "x-auth-token": "MIIsecret-iam-token-value",
    "x-api-key": "dn_secret_api_key_value",
    "x-security-token": "sts-secret-security-token",
    "x-acs-security-token": "acs-secret-security-token",
    "x-acs-bearer-token": "acs-secret-bearer-token",
}
AUTHORIZATIONS = {
    "Bearer sk-secret-dashscope-key": "sk-secret-dashscope-key",
    "acs LTAIsecret:c2VjcmV0LXNpZ25hdHVyZQ==": "c2VjcmV0LXNpZ25hdHVyZQ==",
    "ACS3-HMAC-SHA256 Credential=LTAI,SignedHeaders=host,Signature=" + "5e" * 32: "5e" * 32,
    "SDK-HMAC-SHA256 Access=HW-AK, SignedHeaders=host;x-sdk-date, Signature=" + "7f" * 32: "7f"
    * 32,
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_journal_masks_every_secret_header(own: TestClient, name: str) -> None:
    own.get("/v1/workspaces/default/models", headers={name: SECRETS[name]})
    [entry] = own.get("/_mock/requests").json()["requests"]
    assert entry["path"] == "/v1/workspaces/default/models"
    assert SECRETS[name] not in own.get("/_mock/requests").text


@pytest.mark.parametrize("value", sorted(AUTHORIZATIONS))
def test_journal_masks_every_authorization_scheme(own: TestClient, value: str) -> None:
    own.get("/api/v1/deployments", headers={"Authorization": value})
    text = own.get("/_mock/requests").text
    assert "/api/v1/deployments" in text
    assert AUTHORIZATIONS[value] not in text
