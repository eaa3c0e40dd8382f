"""Every vendor answers every kind of failure in its own envelope, as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.core.schemas import Schemas
from mockserver.vendors import VENDORS
from tests.conftest import LIST_URLS, assert_valid

# vendor -> (a working URL, the backend method it calls)
BACKEND_METHOD = {
    "pai": "list_versions",
    "huawei": "list_models",
    "dreadnode": "list_versions",
    "dashscope": "list_deployments",
}
WORKING = {vendor: (LIST_URLS[vendor], method) for vendor, method in BACKEND_METHOD.items()}
BY_NAME = {v.name: v for v in VENDORS}


def test_every_vendor_has_a_case() -> None:
    assert set(WORKING) == set(BY_NAME)


@pytest.fixture
def fragile_client() -> Iterator[TestClient]:
    """A client on its own app (its backends get broken) that does not re-raise errors."""
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("vendor", sorted(WORKING))
def test_a_bug_in_the_mock_is_still_the_vendors_500(
    fragile_client: TestClient, schemas: Schemas, vendor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, method = WORKING[vendor]
    backend = fragile_client.app.store.backends[vendor]  # type: ignore[attr-defined]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(type(backend), method, broken)
    response = fragile_client.get(url)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert_valid(schemas, BY_NAME[vendor].error_schema, response.json())
    assert "simulated bug" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("vendor", sorted(WORKING))
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_unknown_paths_and_methods(
    client: TestClient, schemas: Schemas, vendor: str, method: str
) -> None:
    prefix = BY_NAME[vendor].prefixes[0]
    for path in (f"{prefix}/no/such/thing", WORKING[vendor][0]):
        response = client.request(method, path)
        if method == "GET" and path == WORKING[vendor][0]:
            assert response.status_code == 200
            continue
        assert 400 <= response.status_code < 500
        assert response.headers["content-type"] == "application/json"
        assert_valid(schemas, BY_NAME[vendor].error_schema, response.json())


def test_paths_under_no_vendor_answer_plain_json(client: TestClient) -> None:
    for path in ("/", "/api", "/api/v1", "/v1", "/favicon.ico/x"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json()["code"] == "NotFound"


def test_head_is_answered_like_get(client: TestClient) -> None:
    for url, _ in WORKING.values():
        assert client.head(url).status_code == 200
