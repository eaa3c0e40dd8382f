"""Routing by the raw path: an encoded slash belongs to its segment (issue 17).

The Alibaba SDK percent-encodes `/` inside ids, so `%2F` must never split a path
parameter or join two segments into a route; each parameter is decoded after the match.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid, error_code

ENCODED_ID = "model-rbvg5wzljz%2A%2A%2A%2Aks92"


@pytest.fixture
def own() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(seed=3))) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "vendor", "code"),
    [
        (f"/api/v1/models/{ENCODED_ID}%2Fversions", "pai", "ModelNotFound"),
        (f"/api/v1/models/{ENCODED_ID}%2fversions", "pai", "ModelNotFound"),
        ("/v1/workspaces/default%2Fmodels", "huawei", "APIG.0101"),
        ("/api/v1/org/example%2Fmodels%2Fexample%2Fversions", "dreadnode", "not_found_error"),
    ],
)
def test_an_encoded_slash_does_not_reach_another_operation(
    client: TestClient, schemas: Schemas, path: str, vendor: str, code: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert error_code(vendor, body) == code
    assert_valid(schemas, f"{vendor}/error", body)


def test_a_dreadnode_name_with_an_encoded_slash_is_one_name(
    client: TestClient, schemas: Schemas
) -> None:
    """`example%2Fversions` is get_model_latest of the name `example/versions` (not a
    slug: 422), never List Model Versions of `example`."""
    response = client.get("/api/v1/org/example/models/example%2Fversions")
    assert response.status_code == 422, response.text
    body = response.json()
    assert_valid(schemas, "dreadnode/error", body)
    assert body["errors"][0]["loc"] == ["path", "name"]


def test_get_model_of_an_id_with_a_slash_names_the_decoded_id(client: TestClient) -> None:
    body = client.get(f"/api/v1/models/{ENCODED_ID}%2Fversions").json()
    assert body["Code"] == "ModelNotFound"
    assert "model-rbvg5wzljz****ks92/versions" in body["Message"]


def test_a_path_with_encoded_slashes_is_under_no_vendor(client: TestClient) -> None:
    response = client.get("/api%2Fv1%2Fdeployments")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == "NotFound"
    assert "request_id" not in response.json()  # the neutral body, not DashScope's


def test_other_escapes_are_decoded_once(client: TestClient) -> None:
    assert client.get(f"/api/v1/models/{ENCODED_ID}/versions").status_code == 200
    body = client.get("/api/v1/models/model-x%252Aks92").json()  # the id holds "%2A"
    assert body["Code"] == "ModelNotFound"
    assert "model-x%2Aks92 " in body["Message"]


def test_a_remembered_match_does_not_cover_the_encoded_form(own: TestClient) -> None:
    plain = f"/api/v1/models/{ENCODED_ID}/versions"
    for _ in range(2):  # the second of each is answered from the remembered match
        assert own.get(plain).status_code == 200
        assert own.get(f"/api/v1/models/{ENCODED_ID}%2Fversions").status_code == 404


def test_the_journal_shows_the_path_as_routed(own: TestClient) -> None:
    own.get(f"/api/v1/models/{ENCODED_ID}%2Fversions")
    own.get("/api%2Fv1%2Fdeployments")
    first, second = own.get("/_mock/requests").json()["requests"]
    assert first["path"] == "/api/v1/models/model-rbvg5wzljz****ks92%2Fversions"
    assert (first["vendor"], first["operation"], first["status"]) == ("pai", "GetModel", 404)
    assert second["path"] == "/api%2Fv1%2Fdeployments"
    assert (second["vendor"], second["operation"], second["status"]) == (None, None, 404)


def test_the_router_routes_the_same_path_as_the_short_way(own: TestClient) -> None:
    """A wrong method takes starlette's router: it sees the path as routed too."""
    response = own.delete(f"/api/v1/models/{ENCODED_ID}%2Fversions")
    assert (response.status_code, response.json()["Code"]) == (404, "InvalidAction.NotFound")
    dashscope = own.post("/api%2Fv1%2Fdeployments")
    assert (dashscope.status_code, dashscope.json()["code"]) == (404, "NotFound")
    first, second = own.get("/_mock/requests").json()["requests"]
    assert first["path"] == "/api/v1/models/model-rbvg5wzljz****ks92%2Fversions"
    assert (first["vendor"], first["operation"]) == ("pai", None)
    assert (second["path"], second["vendor"]) == ("/api%2Fv1%2Fdeployments", None)
