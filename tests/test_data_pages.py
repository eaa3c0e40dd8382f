"""GET /_mock/data: the whole data set when it is small, pages of one collection always,
streamed a chunk of records at a time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, admin, create_app


@pytest.fixture(scope="module")
def data_client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(generate=30, seed=2))) as test_client:
        yield test_client


def held(client: TestClient) -> Any:
    return json.loads(json.dumps(client.app.store.dataset()))  # type: ignore[attr-defined]


def test_without_parameters_every_record_as_before(data_client: TestClient) -> None:
    response = data_client.get("/_mock/data")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == held(data_client)


@pytest.mark.parametrize("limit", [1, 7, 1000])
def test_pages_walked_by_next_give_every_record_once(data_client: TestClient, limit: int) -> None:
    records = held(data_client)
    for vendor, collections in records.items():
        for collection, expected in collections.items():
            url: str | None = f"/_mock/data?vendor={vendor}&collection={collection}&limit={limit}"
            seen: list[Any] = []
            while url is not None:
                response = data_client.get(url)
                assert response.status_code == 200
                page = response.json()
                assert page["vendor"] == vendor and page["collection"] == collection
                assert page["total"] == len(expected) and page["limit"] == limit
                assert page["offset"] == len(seen)
                assert len(page["records"]) <= limit
                seen += page["records"]
                url = page["next"]
            assert seen == expected


def test_a_page_past_the_end_is_empty_with_the_total(data_client: TestClient) -> None:
    page = data_client.get("/_mock/data?vendor=pai&collection=models&offset=5000").json()
    total = len(held(data_client)["pai"]["models"])
    assert page == {
        "vendor": "pai",
        "collection": "models",
        "offset": 5000,
        "limit": admin.PAGE_LIMIT,
        "total": total,
        "next": None,
        "records": [],
    }


def test_a_large_data_set_is_paged_not_dumped(
    data_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "DUMP_MAX", 50)
    response = data_client.get("/_mock/data")
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "TooManyRecords"
    assert "vendor=VENDOR&collection=COLLECTION" in body["message"]
    assert body["records"]["pai"]["models"] == len(held(data_client)["pai"]["models"])
    assert data_client.get("/_mock/data?vendor=pai&collection=versions&limit=5").status_code == 200


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("vendor=pai&collection=models&limit=0", 400, "InvalidParameter"),
        ("vendor=pai&collection=models&limit=abc", 400, "InvalidParameter"),
        ("vendor=pai&collection=models&limit=10001", 400, "InvalidParameter"),
        ("vendor=pai&collection=models&offset=-1", 400, "InvalidParameter"),
        ("vendor=pai&collection=models&offset=1&offset=2", 400, "InvalidParameter"),
        ("vendor=pai", 400, "InvalidParameter"),
        ("collection=models", 400, "InvalidParameter"),
        ("vendor=nobody&collection=models", 404, "NotFound"),
        ("vendor=pai&collection=things", 404, "NotFound"),
    ],
)
def test_bad_page_requests_answer_neutral_json(
    data_client: TestClient, query: str, status: int, code: str
) -> None:
    response = data_client.get(f"/_mock/data?{query}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == code and body["message"]


def test_records_are_written_a_chunk_at_a_time() -> None:
    """A long list is cut into pieces (the loop is served between them), joined exactly."""
    records = [{"n": i, "text": "é"} for i in range(admin.CHUNK * 2 + 5)]

    async def pieces() -> list[bytes]:
        return [piece async for piece in admin._array(records)]

    found = asyncio.run(pieces())
    assert len(found) == 5  # "[", three chunks of records, "]"
    assert json.loads(b"".join(found)) == records


def test_an_add_shows_in_the_pages_and_a_reset_takes_it_away() -> None:
    with TestClient(create_app(Settings(seed=1))) as client:
        url = "/_mock/data?vendor=dreadnode&collection=orgs"
        before = client.get(url).json()["total"]
        assert client.post("/_mock/data/dreadnode/orgs", json={"slug": "newco"}).status_code == 201
        page = client.get(url).json()
        assert page["total"] == before + 1 and page["records"][-1] == {"slug": "newco"}
        client.post("/_mock/reset")
        assert client.get(url).json()["total"] == before
