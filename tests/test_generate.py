"""--generate N --seed S: synthetic data, schema-valid and repeatable; --workers N."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import MockServer, Settings, create_app
from mockserver.app import load_data
from mockserver.core.fixtures import Entry, Validator
from mockserver.core.generate import END, pools
from mockserver.core.schemas import bundled
from mockserver.vendors import VENDORS
from tests.test_cli import start, stop

N = 40


@pytest.fixture(scope="module")
def generated() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(generate=N, seed=11))) as client:
        yield client


def test_every_generated_record_passes_the_fixture_rules() -> None:
    base = load_data(Settings())
    data = load_data(Settings(generate=N, seed=11))
    for vendor in VENDORS:
        entries = {
            c.name: [Entry("generated", i, r) for i, r in enumerate(data[vendor.name][c.name])]
            for c in vendor.collections
        }
        assert Validator(vendor.name, vendor.collections, bundled()).check(entries) == []
    added = {(v, c): len(data[v][c]) - len(base[v][c]) for v in data for c in data[v]}
    assert added == {
        ("pai", "models"): N,
        ("pai", "versions"): N,
        ("huawei", "workspaces"): 0,
        ("huawei", "models"): N,
        ("dreadnode", "orgs"): 0,
        ("dreadnode", "blobs"): 0,
        ("dreadnode", "models"): N,
        ("dreadnode", "versions"): N,
        ("dashscope", "workspaces"): 0,
        ("dashscope", "models"): 0,
        ("dashscope", "deployments"): N,
    }


def test_vendor_id_formats() -> None:
    data = load_data(Settings(generate=N, seed=11))
    pai = data["pai"]["models"][-N:]
    assert all(re.fullmatch(r"model-[a-z0-9]+", m["ModelId"]) for m in pai)
    huawei = data["huawei"]["models"][-N:]
    assert all(re.fullmatch(r"[0-9a-f]{32}", m["id"]) for m in huawei)
    dreadnode = data["dreadnode"]["versions"][-N:]
    uuid4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert all(re.fullmatch(uuid4, v["id"]) for v in dreadnode)
    dashscope = data["dashscope"]["deployments"][-N:]
    assert all(
        re.fullmatch(r"[a-z0-9.-]+-[0-9a-f]{8}-[a-z0-9]+", d["deployed_model"]) for d in dashscope
    )
    for m in pai:
        assert m["GmtModifiedTime"] >= m["GmtCreateTime"]


def data_digest(seed: int) -> str:
    with TestClient(create_app(Settings(generate=N, seed=seed))) as client:
        return hashlib.sha256(client.get("/_mock/data").content).hexdigest()


def test_same_seed_byte_identical_data() -> None:
    assert data_digest(5) == data_digest(5)
    assert data_digest(5) != data_digest(6)


def test_generated_data_is_served(generated: TestClient) -> None:
    versions = generated.get(
        "/api/v1/models/model-generated/versions", params={"PageSize": 100, "Order": "DESC"}
    ).json()
    assert versions["TotalCount"] == N
    model = generated.get("/api/v1/models/model-generated").json()
    assert model["LatestVersion"] == versions["Versions"][0]
    dn = generated.get("/api/v1/org/example/models/generated/versions").json()
    assert len(dn["versions"]) == N
    assert dn["latest"]["version"] == dn["versions"][0]
    huawei = generated.get("/v1/workspaces/default/models", params={"visibility": "ALL"}).json()
    assert huawei["total"] >= N
    deployments = generated.get("/api/v1/deployments").json()["output"]
    assert deployments["total"] == 5 + N


def test_workers_serve_identical_data_and_refuse_writes() -> None:
    process, url, _ = start(["--workers", "2", "--generate", "20", "--seed", "3"])
    try:
        # the parent says where it listens before its workers have loaded: on a busy
        # machine a worker's first answer can take longer than httpx's default 5 s
        digests = {
            hashlib.sha256(httpx.get(f"{url}/_mock/data", timeout=60).content).hexdigest()
            for _ in range(8)
        }
        assert len(digests) == 1
        for method, path in (
            ("POST", "/_mock/reset"),
            ("POST", "/_mock/faults"),
            ("DELETE", "/_mock/faults"),
            ("DELETE", "/_mock/requests"),
            ("POST", "/_mock/data/dreadnode/orgs"),
        ):
            response = httpx.request(method, url + path, json={"slug": "x"}, timeout=60)
            assert response.status_code == 409, (method, path)
            assert "worker processes" in response.json()["message"]
        assert httpx.get(f"{url}/api/v1/deployments").status_code == 200
    finally:
        log = stop(process)
    assert f"open {url}/_mock/ for the endpoints and data" in log


def test_mockserver_generates_too() -> None:
    with MockServer(generate=3, seed=1) as server:
        body = httpx.get(server.url_for("/api/v1/org/example/models/generated/versions")).json()
        assert len(body["versions"]) == 3


@pytest.mark.parametrize("n", [1, 10, 100_000])
def test_a_version_history_stays_in_the_past_however_long(n: int) -> None:
    """Histories are spread over a fixed window, so 100,000 versions are not in 2028."""
    first = datetime(2022, 1, 1, tzinfo=UTC)
    moments = list(pools(1).series(first, n))
    assert len(moments) == n
    assert all(a < b for a, b in itertools.pairwise([first, *moments]))
    assert moments[-1] < END + timedelta(days=30) < datetime.now(UTC)
