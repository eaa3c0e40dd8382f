"""Huawei Cloud DataArts Fabric: ListModels against the docs."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid, bundled_records, example

URL = "/v1/workspaces/default/models"
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
CALLER = "0b5633ba2b904511ad514346f4d23d4b"  # the default workspace's current_user


def list_models(
    client: TestClient, schemas: Schemas, url: str = URL, **query: Any
) -> dict[str, Any]:
    response = client.get(url, params=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert REQUEST_ID.match(response.headers["x-request-id"])
    body = response.json()
    assert_valid(schemas, "huawei/list_models.response", body)
    return body


def stored(workspace: str = "default") -> list[dict[str, Any]]:
    return [m for m in bundled_records("huawei", "models") if m["workspace_id"] == workspace]


def names(body: dict[str, Any]) -> list[str]:
    return [m["name"] for m in body["models"]]


def newest_first(models: list[dict[str, Any]]) -> list[str]:
    ordered = sorted(models, key=lambda m: datetime.fromisoformat(m["create_time"]), reverse=True)
    return [m["name"] for m in ordered]


# --- success ---------------------------------------------------------------------------


def test_docs_example_model_field_for_field(client: TestClient, schemas: Schemas) -> None:
    documented = example("huawei/list_models.example.json")
    body = list_models(client, schemas, id=documented["models"][0]["id"])
    assert body == {"total": 1, "models": documented["models"]}


def test_defaults_list_the_callers_models_newest_first(
    client: TestClient, schemas: Schemas
) -> None:
    body = list_models(client, schemas)
    mine = [m for m in stored() if m["create_user"]["user_id"] == CALLER]
    assert body["total"] == len(mine) == example("huawei/list_models.example.json")["total"]
    assert names(body) == newest_first(mine)[:10]


@pytest.mark.parametrize(
    ("visibility", "keep"),
    [
        ("", lambda m: m["create_user"]["user_id"] == CALLER),
        (
            "PRIVATE",
            lambda m: m["create_user"]["user_id"] == CALLER and m["visibility"] == "PRIVATE",
        ),
        ("PUBLIC", lambda m: m["visibility"] == "PUBLIC"),
        ("ALL", lambda m: m["create_user"]["user_id"] == CALLER or m["visibility"] == "PUBLIC"),
    ],
)
def test_visibility(client: TestClient, schemas: Schemas, visibility: str, keep: Any) -> None:
    body = list_models(client, schemas, visibility=visibility, limit=100)
    expected = newest_first([m for m in stored() if keep(m)])
    assert names(body) == expected
    assert body["total"] == len(expected)


def test_others_private_models_are_never_listed(client: TestClient, schemas: Schemas) -> None:
    hidden = [
        m["name"]
        for m in stored()
        if m["create_user"]["user_id"] != CALLER and m["visibility"] == "PRIVATE"
    ]
    assert hidden
    for visibility in ("", "PRIVATE", "PUBLIC", "ALL"):
        body = list_models(client, schemas, visibility=visibility, limit=100)
        assert not set(hidden) & set(names(body))


@pytest.mark.parametrize("term", ["llama", "LLAMA", "Llama3", "qwen2-7", "_chat"])
def test_name_is_a_case_insensitive_substring(
    client: TestClient, schemas: Schemas, term: str
) -> None:
    body = list_models(client, schemas, name=term, visibility="ALL", limit=100)
    everyone = [
        m for m in stored() if m["create_user"]["user_id"] == CALLER or m["visibility"] == "PUBLIC"
    ]
    expected = newest_first([m for m in everyone if term.lower() in m["name"].lower()])
    assert expected
    assert names(body) == expected


def test_id_is_exact(client: TestClient, schemas: Schemas) -> None:
    target = stored()[3]
    body = list_models(client, schemas, id=target["id"], visibility="ALL")
    assert [m["id"] for m in body["models"]] == [target["id"]]
    assert list_models(client, schemas, id="f" * 32)["total"] == 0


def test_type(client: TestClient, schemas: Schemas) -> None:
    assert list_models(client, schemas, type="LLM_MODEL")["total"] == 10
    assert list_models(client, schemas, type="CV_MODEL")["total"] == 0


@pytest.mark.parametrize(
    ("sort_by", "field"),
    [("CREATE_TIME", "create_time"), ("UPDATE_TIME", "update_time"), ("NAME", "name")],
)
@pytest.mark.parametrize("order_by", ["ASC", "DESC"])
def test_sorting(
    client: TestClient, schemas: Schemas, sort_by: str, field: str, order_by: str
) -> None:
    body = list_models(
        client, schemas, sort_by=sort_by, order_by=order_by, visibility="ALL", limit=100
    )
    values = [
        m[field] if field == "name" else datetime.fromisoformat(m[field]) for m in body["models"]
    ]
    assert len(values) > 5
    assert values == sorted(values, reverse=order_by == "DESC")


def test_default_order_is_create_time_desc(client: TestClient, schemas: Schemas) -> None:
    default = list_models(client, schemas, visibility="ALL", limit=100)
    explicit = list_models(
        client, schemas, visibility="ALL", limit=100, sort_by="CREATE_TIME", order_by="DESC"
    )
    ascending = list_models(client, schemas, visibility="ALL", limit=100, order_by="ASC")
    assert names(default) == names(explicit) == names(ascending)[::-1]


def test_paging_edges(client: TestClient, schemas: Schemas) -> None:
    everything = names(list_models(client, schemas, visibility="ALL", limit=100))
    total = len(everything)
    walked = []
    for offset in range(total):
        body = list_models(client, schemas, visibility="ALL", offset=offset, limit=1)
        assert body["total"] == total
        walked += names(body)
    assert walked == everything
    last = list_models(client, schemas, visibility="ALL", offset=total - 3, limit=10)
    assert names(last) == everything[-3:]
    for offset in (total, 1_000_000_000):
        past = list_models(client, schemas, visibility="ALL", offset=offset)
        assert past == {"total": total, "models": []}


def test_second_workspace_has_its_own_models(client: TestClient, schemas: Schemas) -> None:
    body = list_models(
        client, schemas, "/v1/workspaces/ws-research-01/models", visibility="ALL", limit=100
    )
    assert sorted(names(body)) == sorted(m["name"] for m in stored("ws-research-01"))
    assert not set(names(body)) & {m["name"] for m in stored() if m["name"] != "LLama3-8b"}


RESEARCH = "/v1/workspaces/ws-research-01/models"


def test_the_default_limit_is_ten(client: TestClient, schemas: Schemas) -> None:
    carols = stored("ws-research-01")
    assert len(carols) > 10, "the fixtures must hold more than a default page"
    body = list_models(client, schemas, RESEARCH)
    assert body["total"] == len(carols)
    assert names(body) == newest_first(carols)[:10]  # a stable sort: ties in fixture order


@pytest.mark.parametrize("order_by", ["ASC", "DESC"])
def test_equal_keys_keep_fixture_order_both_ways(
    client: TestClient, schemas: Schemas, order_by: str
) -> None:
    listed = names(list_models(client, schemas, RESEARCH, order_by=order_by, limit=100))
    assert listed.index("qwen2-1.5b-ablation") + 1 == listed.index("qwen2-1.5b-ablation-b")


# --- errors ----------------------------------------------------------------------------


def assert_error(
    schemas: Schemas, response: Any, status: int, code: str, message: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert REQUEST_ID.match(response.headers["x-request-id"])
    body = response.json()
    assert_valid(schemas, "huawei/error", body)
    assert body["error_code"] == code
    if message is not None:
        assert message in body["error_msg"]
    return body


def test_blank_numbers_take_their_defaults(client: TestClient, schemas: Schemas) -> None:
    assert list_models(client, schemas, limit="", offset="") == list_models(client, schemas)


@pytest.mark.parametrize(
    ("param", "value"), [("limit", "abc"), ("offset", "1.5"), ("limit", "1e3")]
)
def test_type_mismatch_is_the_documented_message(
    client: TestClient, schemas: Schemas, param: str, value: str
) -> None:
    response = client.get(URL, params={param: value})
    body = assert_error(schemas, response, 400, "common.01000001")
    assert body["error_msg"] == example("huawei/errors.example.json")["400"]["error_msg"]
    assert param in body["solution_msg"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"offset": "-1"}, "offset"),
        ({"offset": "1000000001"}, "offset"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"name": "a.b"}, "name"),
        ({"name": "has space"}, "name"),
        ({"name": "x" * 129}, "name"),
        ({"id": "0b5633ba2b904511ad514346f4d23d4"}, "id"),
        ({"id": "0b5633ba2b904511ad514346f4d23d4b_x"}, "id"),
        ({"id": "x" * 37}, "id"),
        ({"type": "t" * 129}, "type"),
        ({"visibility": "private"}, "visibility"),
        ({"sort_by": "name"}, "sort_by"),
        ({"sort_by": "SIZE"}, "sort_by"),
        ({"order_by": "desc"}, "order_by"),
    ],
)
def test_out_of_range_values(
    client: TestClient, schemas: Schemas, query: dict[str, str], named: str
) -> None:
    body = assert_error(schemas, client.get(URL, params=query), 400, "common.01000001", named)
    assert body["error_msg"].startswith("failed to read http request, please check your input")
    assert named in body["solution_msg"]


@pytest.mark.parametrize("workspace", ["bad_id", "a" * 37, "ws.1"])
def test_invalid_workspace_id(client: TestClient, schemas: Schemas, workspace: str) -> None:
    response = client.get(f"/v1/workspaces/{workspace}/models")
    assert_error(schemas, response, 400, "common.01000001", "workspace_id")


def test_unknown_workspace_is_the_documented_404(client: TestClient, schemas: Schemas) -> None:
    body = assert_error(schemas, client.get("/v1/workspaces/nope/models"), 404, "common.01000001")
    assert body["error_msg"] == example("huawei/errors.example.json")["404"]["error_msg"]
    assert "nope" in body["solution_msg"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/workspaces"),
        ("GET", "/v1/workspaces/default"),
        ("GET", "/v1/workspaces/default/models/0b5633ba2b904511ad514346f4d23d4b"),
        ("GET", "/v1/workspaces/default/models/"),
        ("PUT", URL),
        ("DELETE", URL),
        ("POST", "/v1/base-models"),
    ],
)
def test_unknown_paths_answer_in_the_envelope(
    client: TestClient, schemas: Schemas, method: str, path: str
) -> None:
    response = client.request(method, path)
    body = assert_error(schemas, response, 404, "APIG.0101")
    assert body["request_id"] == response.headers["x-request-id"]
