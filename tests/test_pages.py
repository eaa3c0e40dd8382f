"""The addresses a newcomer tries first lead to the pages; the browser's icon is served."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.pages import welcome

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # Chrome's


@pytest.fixture
def own() -> Iterator[TestClient]:
    """A client on an app of its own: these tests read its journal."""
    with TestClient(create_app(Settings(seed=5))) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "accept", "target"),
    [
        ("/", HTML, "/_mock/"),
        ("/_mock", HTML, "/_mock/"),
        ("/_mock", "*/*", "/_mock/"),
        ("/_mock/docs/", HTML, "/_mock/docs"),
        ("/docs", HTML, "/_mock/docs"),
        ("/docs", "application/json", "/_mock/docs"),
    ],
)
def test_first_guesses_redirect_to_the_pages(
    client: TestClient, path: str, accept: str, target: str
) -> None:
    for method in ("GET", "HEAD"):
        response = client.request(method, path, headers={"Accept": accept}, follow_redirects=False)
        assert response.status_code == 307, (method, path)
        assert response.headers["location"] == target
    page = client.get(path, headers={"Accept": accept})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert str(page.url).endswith(target)


@pytest.mark.parametrize(
    ("method", "accept"),
    [("GET", "application/json"), ("GET", "*/*"), ("GET", None), ("POST", HTML)],
)
def test_an_api_client_at_the_root_gets_json_pointing_at_the_pages(
    client: TestClient, method: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = client.request(method, "/", headers=headers, follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept"
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == "NotFound"
    assert "/_mock/ (landing page)" in body["message"]
    assert "/_mock/docs (interactive docs)" in body["message"]


def test_the_browser_redirect_varies_by_accept(client: TestClient) -> None:
    response = client.get("/", headers={"Accept": HTML}, follow_redirects=False)
    assert response.headers["vary"] == "Accept"


def test_favicon_is_a_small_icon_kept_out_of_the_journal(own: TestClient) -> None:
    own.get("/api/v1/deployments")
    response = own.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    icon = response.content
    assert len(icon) < 1024
    reserved, kind, count = struct.unpack("<HHH", icon[:6])
    assert (reserved, kind, count) == (0, 1, 1)
    width, height, _, _, _, _, size, offset = struct.unpack("<BBBBHHII", icon[6:22])
    assert (width, height) == (32, 32)
    assert icon[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
    assert offset + size == len(icon)
    paths = [entry["path"] for entry in own.get("/_mock/requests").json()["requests"]]
    assert paths == ["/api/v1/deployments"]


def test_the_root_is_journaled_like_any_unknown_path(own: TestClient) -> None:
    own.get("/", headers={"Accept": "application/json"})
    [entry] = own.get("/_mock/requests").json()["requests"]
    assert (entry["path"], entry["status"]) == ("/", 404)


def test_welcome_names_the_landing_page_and_docs() -> None:
    assert welcome("http://127.0.0.1:8000") == (
        "open http://127.0.0.1:8000/_mock/ for the endpoints and data, "
        "http://127.0.0.1:8000/_mock/docs to try them"
    )
