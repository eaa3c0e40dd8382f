"""Alibaba Model Studio (DashScope): List deployments against the docs."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid, bundled_records, example

URL = "/api/v1/deployments"
DEFAULT = "llm-v71tlv3d***"
OTHER = "llm-prodteam01"


def list_deployments(
    client: TestClient, schemas: Schemas, workspace: str | None = None, **query: Any
) -> dict[str, Any]:
    headers = {"X-DashScope-WorkSpace": workspace} if workspace else {}
    response = client.get(URL, params=query, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, "dashscope/list_deployments.response", body)
    assert "code" not in body
    return body


def stored(workspace: str) -> list[dict[str, Any]]:
    return [
        d for d in bundled_records("dashscope", "deployments") if d["workspace_id"] == workspace
    ]


def ids(body: dict[str, Any]) -> list[str]:
    return [d["deployed_model"] for d in body["output"]["deployments"]]


def newest_first(workspace: str) -> list[str]:
    items = sorted(stored(workspace), key=lambda d: d["gmt_create"], reverse=True)
    return [d["deployed_model"] for d in items]


def test_docs_example_deployment_field_for_field(client: TestClient, schemas: Schemas) -> None:
    documented = example("dashscope/list_deployments.example.json")["output"]["deployments"][0]
    body = list_deployments(client, schemas, page_size=200)
    [found] = [
        d
        for d in body["output"]["deployments"]
        if d["deployed_model"] == documented["deployed_model"]
    ]
    assert found == documented


def test_defaults_page_1_of_50_newest_first(client: TestClient, schemas: Schemas) -> None:
    body = list_deployments(client, schemas)
    assert body["output"]["page_no"] == 1
    assert body["output"]["page_size"] == 50
    assert body["output"]["total"] == len(stored(DEFAULT))
    assert ids(body) == newest_first(DEFAULT)


def test_statuses_and_plans_are_varied(client: TestClient, schemas: Schemas) -> None:
    everything = [
        d
        for w in (DEFAULT, OTHER)
        for d in list_deployments(client, schemas, w, page_size=200)["output"]["deployments"]
    ]
    assert {d["status"] for d in everything} == {
        "PENDING",
        "UPDATING",
        "RUNNING",
        "STOPPED",
        "DELETING",
        "FAILED",
    }
    assert {d.get("plan") for d in everything} == {None, "mu", "ptu", "lora"}
    for d in everything:
        assert ("ptu_capacity" in d) == (d.get("plan") == "ptu")
        assert ("model_unit_spec" in d) == (d.get("plan") == "mu")
        if d.get("plan") == "mu":
            assert isinstance(d["rpm_limit"], str)
            assert isinstance(d["tpm_limit"], int)


def test_workspace_header_selects_its_deployments(client: TestClient, schemas: Schemas) -> None:
    body = list_deployments(client, schemas, OTHER)
    assert ids(body) == newest_first(OTHER)
    assert {d["workspace_id"] for d in body["output"]["deployments"]} == {OTHER}


def test_without_the_header_the_default_workspace(client: TestClient, schemas: Schemas) -> None:
    assert ids(list_deployments(client, schemas)) == ids(list_deployments(client, schemas, DEFAULT))
    assert ids(list_deployments(client, schemas)) != ids(list_deployments(client, schemas, OTHER))


def test_page_size_one_walks_every_deployment(client: TestClient, schemas: Schemas) -> None:
    total = len(stored(DEFAULT))
    walked = []
    for page in range(1, total + 1):
        body = list_deployments(client, schemas, page_no=page, page_size=1)
        assert body["output"]["total"] == total
        assert body["output"]["page_no"] == page
        walked += ids(body)
    assert walked == newest_first(DEFAULT)


def test_last_page_and_past_the_end(client: TestClient, schemas: Schemas) -> None:
    total = len(stored(DEFAULT))
    last = list_deployments(client, schemas, page_no=2, page_size=total - 1)
    assert ids(last) == newest_first(DEFAULT)[-1:]
    past = list_deployments(client, schemas, page_no=3, page_size=total - 1)
    assert past["output"]["deployments"] == []
    assert past["output"]["total"] == total
    assert list_deployments(client, schemas, page_size=200)["output"]["page_size"] == 200


# --- errors ----------------------------------------------------------------------------


def assert_error(schemas: Schemas, response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, "dashscope/error", body)
    assert body["code"] == code
    return body


def test_error_envelope_matches_the_docs_example(schemas: Schemas) -> None:
    assert_valid(schemas, "dashscope/error", example("dashscope/error.example.json"))


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"page_no": "0"}, "page_no"),
        ({"page_no": "-3"}, "page_no"),
        ({"page_no": "first"}, "page_no"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "2.5"}, "page_size"),
        ([("page_no", "1"), ("page_no", "2")], "page_no"),
    ],
)
def test_bad_paging(client: TestClient, schemas: Schemas, query: Any, named: str) -> None:
    body = assert_error(schemas, client.get(URL, params=query), 400, "InvalidParameter")
    assert named in body["message"]


def test_unknown_workspace(client: TestClient, schemas: Schemas) -> None:
    response = client.get(URL, headers={"X-DashScope-WorkSpace": "llm-nosuchws"})
    body = assert_error(schemas, response, 403, "AccessDenied")
    assert "llm-nosuchws" in body["message"]


@pytest.mark.parametrize(
    "path", [f"{URL}/emo-35b3f106-sample01/logs", f"{URL}/x/y/scale", f"{URL}/"]
)
def test_unknown_paths(client: TestClient, schemas: Schemas, path: str) -> None:
    assert_error(schemas, client.get(path), 404, "NotFound")


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", ""), ("DELETE", ""), ("POST", "/emo-35b3f106-sample01"), ("GET", "/x/update")],
)
def test_other_methods(client: TestClient, schemas: Schemas, method: str, path: str) -> None:
    assert_error(schemas, client.request(method, URL + path), 400, "UnsupportedOperation")


def test_the_default_page_holds_fifty(schemas: Schemas) -> None:
    """More deployments than a default page: the default page size (50) shows."""
    added = [
        {
            "deployed_model": f"qwen-turbo-{n:08x}-canary",
            "gmt_create": f"2025-07-{1 + n // 24:02d}T{n % 24:02d}:00:00",
            "gmt_modified": f"2025-07-{1 + n // 24:02d}T{n % 24:02d}:30:00",
            "status": "RUNNING",
            "model_name": "qwen-turbo",
            "base_model": "qwen-turbo",
            "base_capacity": 1,
            "capacity": 1,
            "ready_capacity": 1,
            "workspace_id": DEFAULT,
            "charge_type": "post_paid",
            "creator": "175805416***",
            "modifier": "175805416***",
        }
        for n in range(55)
    ]
    with TestClient(create_app()) as own:
        assert own.post("/_mock/data/dashscope/deployments", json=added).status_code == 201
        total = len(stored(DEFAULT)) + len(added)
        body = list_deployments(own, schemas)
        assert (body["output"]["total"], body["output"]["page_size"]) == (total, 50)
        assert len(ids(body)) == 50
        rest = list_deployments(own, schemas, page_no=2)
        assert len(ids(rest)) == total - 50
        assert not set(ids(body)) & set(ids(rest))
