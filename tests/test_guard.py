"""The control plane is not a way in: Host, Origin, content type and the admin token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import MockServer, Settings, create_app
from mockserver.guard import hostname, is_loopback
from tests.conftest import LIST_URLS

RESET = "/_mock/reset"
FAULT = {"status": 500}


def guarded(**settings: Any) -> TestClient:
    return TestClient(create_app(Settings(**settings)))


@pytest.fixture(scope="module")
def app_client() -> Iterator[TestClient]:
    with guarded(seed=1) as client:
        yield client


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == code
    assert "message" in response.json()


@pytest.mark.parametrize("path", ["/_mock/requests", "/_mock/health", "/_mock/data", RESET])
def test_a_foreign_host_gets_nothing_from_the_control_plane(
    app_client: TestClient, path: str
) -> None:
    """A DNS-rebinding page sends its own domain as Host: no reads, no writes."""
    method = "POST" if path == RESET else "GET"
    response = app_client.request(method, path, headers={"Host": "evil.example:8000"})
    refused(response, 403, "ForbiddenHost")
    assert "--allowed-host" in response.json()["message"]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "app.localhost", "10.1.2.3", "testserver"],
)
def test_loopback_names_and_ip_literals_are_answered(app_client: TestClient, host: str) -> None:
    assert app_client.get("/_mock/health", headers={"Host": host}).status_code == 200


def test_more_hosts_by_setting_and_the_bound_name() -> None:
    with guarded(allowed_hosts=("mock.internal",), host="devbox") as client:
        for host in ("mock.internal:8000", "MOCK.internal", "devbox:8000"):
            assert client.get("/_mock/health", headers={"Host": host}).status_code == 200
        refused(client.get("/_mock/health"), 403, "ForbiddenHost")  # testserver: not listed


@pytest.mark.parametrize("url", LIST_URLS.values())
def test_vendor_paths_answer_any_host(app_client: TestClient, url: str) -> None:
    """SDKs pointed at the mock send their own host names."""
    headers = {"Host": "pai.cn-hangzhou.aliyuncs.com", "Origin": "https://evil.example"}
    assert app_client.get(url, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"status": 500}'),
        ("application/x-www-form-urlencoded", b"status=500"),
        ("multipart/form-data; boundary=x", b"--x--"),
        (None, b'{"status": 500}'),
    ],
)
def test_writes_must_be_json(app_client: TestClient, content_type: str | None, body: bytes) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    refused(
        app_client.post("/_mock/faults", content=body, headers=headers), 415, "UnsupportedMediaType"
    )
    assert app_client.get("/_mock/faults").json()["faults"] == []
    refused(
        app_client.post(RESET, headers={"Content-Type": "text/plain"}), 415, "UnsupportedMediaType"
    )


def test_json_writes_and_bodiless_writes_pass(app_client: TestClient) -> None:
    kinds = ("application/json", "application/json; charset=utf-8", "application/merge-patch+json")
    for kind in kinds:
        response = app_client.post(
            "/_mock/faults", content=b'{"status": 500}', headers={"Content-Type": kind}
        )
        assert response.status_code == 201
    assert app_client.delete("/_mock/faults").status_code == 204
    assert app_client.post(RESET).status_code == 200


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://127.0.0.1.evil.example"]
)
def test_writes_from_foreign_pages_are_refused(app_client: TestClient, origin: str) -> None:
    response = app_client.post("/_mock/faults", json=FAULT, headers={"Origin": origin})
    refused(response, 403, "ForbiddenOrigin")
    refused(app_client.post(RESET, headers={"Origin": origin}), 403, "ForbiddenOrigin")
    assert app_client.get("/_mock/faults").json()["faults"] == []


def test_writes_from_local_pages_pass(app_client: TestClient) -> None:
    for origin in ("http://localhost:3000", "http://127.0.0.1:8000", "http://testserver"):
        assert app_client.post(RESET, headers={"Origin": origin}).status_code == 200


def test_admin_token_guards_every_write_not_reads() -> None:
    with guarded(admin_token="s3cret") as client:
        writes = [
            ("POST", RESET, None),
            ("POST", "/_mock/faults", FAULT),
            ("DELETE", "/_mock/faults", None),
            ("DELETE", "/_mock/requests", None),
            ("POST", "/_mock/data/dashscope/deployments", {}),
        ]
        for auth in (None, "Bearer wrong", "s3cret", "Basic s3cret"):
            headers = {"Authorization": auth} if auth else {}
            for method, path, body in writes:
                response = client.request(method, path, json=body, headers=headers)
                refused(response, 403, "AdminTokenRequired")
        assert client.get("/_mock/requests").status_code == 200
        good = {"Authorization": "Bearer s3cret"}
        assert client.post("/_mock/faults", json=FAULT, headers=good).status_code == 201
        assert client.post(RESET, headers=good).status_code == 200
        assert client.get(LIST_URLS["dashscope"]).status_code == 200  # vendor paths: no token


def test_live_server_and_in_process_client_keep_working() -> None:
    with MockServer() as server:
        for base in (server.url, f"http://localhost:{server.port}"):
            assert httpx.post(base + "/_mock/faults", json=FAULT).status_code == 201
            assert httpx.post(base + RESET).status_code == 200
        response = httpx.get(server.url + "/_mock/requests", headers={"Host": "evil.example"})
        refused(response, 403, "ForbiddenHost")


@pytest.mark.parametrize(
    ("value", "name"),
    [("a.b:80", "a.b"), ("[::1]:8000", "::1"), ("::1", "::1"), ("LocalHost", "localhost")],
)
def test_hostname(value: str, name: str) -> None:
    assert hostname(value) == name


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
