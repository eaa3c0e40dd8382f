"""Memory bounded in bytes: request heads, the journal, every cache and index keyed by
what clients send, fault rules and rate-limit buckets (bench/memory.py measures it)."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from mockserver import MockServer, create_app
from mockserver.app import MATCHES_BUDGET
from mockserver.core.faults import MAX_BUCKETS, MAX_PATH, MAX_RULES, Faults, FaultSpecError
from mockserver.core.journal import Journal
from mockserver.core.jsonbytes import Bodies
from mockserver.core.schemas import Schemas, ValidMemo
from mockserver.server import MAX_HEAD, HttpTools
from mockserver.vendors import VENDORS
from mockserver.vendors.huawei.backend import RESULTS_BUDGET
from tests.conftest import assert_refused_with_400


@pytest.fixture(scope="module")
def served() -> Any:
    with MockServer() as server:
        yield server


def exchange(port: int, request: bytes) -> tuple[bytes, Any]:
    """Send raw bytes, read the one answer until the server closes (bounded by a timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head, json.loads(body)


def padded(path: str, header_bytes: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\nX-Pad: {'a' * header_bytes}\r\n\r\n".encode()


# --- request heads -----------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda vendor: vendor.name)
def test_a_head_over_the_limit_gets_the_vendors_400(
    served: MockServer, schemas: Schemas, vendor: Any
) -> None:
    path = f"{vendor.prefixes[0]}/anything"
    head, body = exchange(served.port, padded(path, MAX_HEAD))
    assert_refused_with_400(schemas, vendor, head, body)
    assert str(MAX_HEAD) in json.dumps(body)

    journal = httpx.get(served.url_for("/_mock/requests")).json()["requests"]
    assert (journal[-1]["path"], journal[-1]["status"]) == (path, 400)
    assert journal[-1]["vendor"] == vendor.name


def test_a_head_just_under_the_limit_is_answered(served: MockServer) -> None:
    request = padded("/api/v1/deployments", MAX_HEAD - 200)
    assert len(request) < MAX_HEAD
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as conn:
        conn.sendall(request)
        assert conn.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_long_url_outside_the_vendors_gets_the_neutral_431(served: MockServer) -> None:
    head, body = exchange(served.port, f"GET /{'x' * MAX_HEAD} HTTP/1.1\r\n\r\n".encode())
    assert head.startswith(b"HTTP/1.1 431 ")
    assert body["code"] == "RequestHeaderFieldsTooLarge"
    assert set(body) == {"code", "message"}


class Transport:
    """What the protocol writes, and how much of the request it was fed before closing."""

    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 1) if name in ("peername", "sockname") else None


@pytest.mark.anyio
async def test_an_endless_header_is_refused_before_it_is_all_read() -> None:
    config = Config(app=create_app(), http=HttpTools, ws="none")
    protocol = HttpTools(config, ServerState(), {}, _loop=asyncio.get_running_loop())
    transport = Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    chunk = b"b" * 16384
    protocol.data_received(b"GET /api/v1/deployments HTTP/1.1\r\nX-Pad: ")
    fed = 0
    while not transport.closed and fed < 64 * MAX_HEAD:  # bounded: 4 MB at most
        protocol.data_received(chunk)
        fed += len(chunk)
    assert transport.closed
    assert fed <= MAX_HEAD + len(chunk)
    assert transport.written.startswith(b"HTTP/1.1 400 ")
    body = json.loads(transport.written.partition(b"\r\n\r\n")[2])
    assert body["code"] == "InvalidParameter"


# --- caches keyed by what clients send -----------------------------------------------------


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app()


@pytest.fixture(scope="module")
def client(app: Any) -> Any:
    from starlette.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


def test_the_route_cache_keeps_no_path_that_matched_nothing(app: Any, client: Any) -> None:
    for n in range(20):  # 60 KB paths that match no operation
        path = f"/api/v1/nothing/{n}{'x' * 60_000}"
        assert client.get(path).status_code == 404
        assert ("GET", path, "") not in app._matched


def test_the_route_cache_stays_within_its_byte_budget(app: Any, client: Any) -> None:
    for n in range(60):  # 30 KB model ids: every path matches GetModel (and is a 404)
        response = client.get(f"/api/v1/models/m{n}{'x' * 30_000}")
        assert response.status_code == 404
        assert app._matched.size <= MATCHES_BUDGET
    response = client.get("/api/v1/models/model-rbvg5wzljz****ks92")
    assert response.status_code == 200
    assert ("GET", b"/api/v1/models/model-rbvg5wzljz****ks92", "") in app._matched


def test_answers_to_padded_queries_stay_within_the_budget(app: Any, client: Any) -> None:
    path = "/api/v1/models/model-rbvg5wzljz****ks92/versions"
    bodies = app.store.backends["pai"].bodies
    for n in range(600):  # an ignored parameter of 8 KB: 5 MB of keys
        response = client.get(path, params={"Pad": "x" * 8192 + str(n)})
        assert response.status_code == 200
    assert bodies.size <= Bodies.BUDGET


def test_pais_filter_index_holds_the_datas_values_not_the_queries(app: Any, client: Any) -> None:
    model = "model-rbvg5wzljz****ks92"
    for n in range(200):
        for name, value in (("VersionName", f"9.9.{n}"), ("SourceId", f"nowhere-{n}")):
            response = client.get(f"/api/v1/models/{model}/versions", params={name: value})
            assert response.status_code == 200
            assert response.json()["TotalCount"] == 0
    index = app.store.backends["pai"].index
    versions = app.store.backends["pai"].versions[model]
    assert set(index) <= {model}
    assert set(index.get(model, {})) <= {"VersionName", "SourceId"}
    assert sum(len(by_value) for by_value in index.get(model, {}).values()) <= 2 * len(versions)
    first = versions[0]["VersionName"]
    found = client.get(f"/api/v1/models/{model}/versions", params={"VersionName": first})
    assert [v["VersionName"] for v in found.json()["Versions"]] == [first]


def test_huaweis_filtered_lists_stay_within_their_budget(app: Any, client: Any) -> None:
    for n in range(300):  # distinct 128-character name filters
        response = client.get(
            "/v1/workspaces/default/models", params={"name": f"{n:0>128}", "visibility": "ALL"}
        )
        assert response.status_code == 200
    results = app.store.backends["huawei"].workspaces["default"].results
    assert results.size <= RESULTS_BUDGET


# --- the journal ---------------------------------------------------------------------------


def scope_with(path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"method": "GET", "path": path, "query_string": query, "headers": headers}


def test_the_journal_keeps_only_the_headers_it_shows() -> None:
    journal = Journal(10)
    headers = [(b"authorization", b"Bearer sk-0123456789"), (b"x-pad", b"p" * 50_000)]
    journal.record(0.0, scope_with("/api/v1/deployments", b"", headers), 200, 0.001)
    assert journal.held < 1000
    assert journal.list()[0]["headers"] == {"authorization": "Bearer sk-0****"}


def test_the_journal_is_bounded_in_bytes_oldest_first() -> None:
    budget = 1_000_000
    journal = Journal(1000, budget=budget)
    for n in range(100):  # 100 requests with a 60 KB query: 6 MB if all kept
        journal.record(float(n), scope_with(f"/p/{n}", b"q=" + b"x" * 60_000, []), 200, 0.0)
        assert journal.held <= budget
    kept = journal.list()
    assert 10 <= len(kept) < 100
    assert kept[-1]["path"] == "/p/99"  # the newest are the ones kept
    assert [e["path"] for e in kept] == [f"/p/{n}" for n in range(100 - len(kept), 100)]


def test_the_journal_still_keeps_its_count_of_small_requests() -> None:
    journal = Journal(5)
    for n in range(8):
        journal.record(float(n), scope_with(f"/p/{n}", b"a=1", []), 200, 0.0)
    assert [e["path"] for e in journal.list()] == [f"/p/{n}" for n in range(3, 8)]
    journal.clear()
    assert journal.list() == [] and journal.held == 0


# --- fault rules and rate-limit buckets ----------------------------------------------------


def test_rules_past_the_cap_get_a_409_in_neutral_json() -> None:
    from starlette.testclient import TestClient

    with TestClient(create_app()) as own:
        for _ in range(MAX_RULES):
            assert (
                own.post("/_mock/faults", json={"vendor": "pai", "status": 503}).status_code == 201
            )
        refused = own.post("/_mock/faults", json={"vendor": "pai", "status": 503})
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/json"
        assert refused.json()["code"] == "TooManyFaults"
        assert str(MAX_RULES) in refused.json()["message"]
        assert len(own.get("/_mock/faults").json()["faults"]) == MAX_RULES
        assert own.delete("/_mock/faults").status_code == 204
        assert own.post("/_mock/faults", json={"vendor": "pai", "status": 503}).status_code == 201


def test_a_rule_path_glob_is_bounded() -> None:
    faults = Faults(statuses={"pai": (503,)}, operations={"pai": ("GetModel",)})
    with pytest.raises(FaultSpecError, match="at most"):
        faults.add({"status": 503, "path": "/" + "x" * MAX_PATH})


def test_rate_limit_buckets_are_bounded_least_recent_first() -> None:
    faults = Faults(
        statuses={"pai": (429,)}, operations={"pai": ("GetModel",)}, rate_limits={"pai": 1.0}
    )
    assert faults.from_rate_limit("pai", "first") is None
    assert faults.from_rate_limit("pai", "first") is not None  # its one token is spent
    for n in range(MAX_BUCKETS + 100):
        faults.from_rate_limit("pai", f"client-{n}")
        assert len(faults._buckets) <= MAX_BUCKETS
    # "first" was the least recently seen: it starts over with a full bucket
    assert faults.from_rate_limit("pai", "first") is None


def test_a_long_client_key_is_kept_as_a_digest() -> None:
    faults = Faults(
        statuses={"pai": (429,)}, operations={"pai": ("GetModel",)}, rate_limits={"pai": 1.0}
    )
    key = "Bearer " + "k" * 60_000
    assert faults.from_rate_limit("pai", key) is None
    assert faults.from_rate_limit("pai", key) is not None  # still the same client
    assert all(len(client) <= 128 for _, client in faults._buckets)


# --- the memo of valid records -------------------------------------------------------------


def test_the_memo_learns_a_bounded_number_of_digests(tmp_path: Any) -> None:
    memo = ValidMemo(tmp_path / "valid-records.txt")
    for n in range(ValidMemo.LEARNED + 500):  # e.g. records added at run time, one by one
        memo.add(f"{n:064x}")
    assert f"{0:064x}" in memo
    assert f"{ValidMemo.LEARNED + 499:064x}" not in memo
    memo.save()
    lines = (tmp_path / "valid-records.txt").read_text().split()
    assert len(lines) == ValidMemo.LEARNED


def test_the_memo_reads_no_more_than_it_keeps(tmp_path: Any) -> None:
    path = tmp_path / "valid-records.txt"
    path.write_text("\n".join(f"{n:064x}" for n in range(ValidMemo.KEPT + 1000)))
    memo = ValidMemo(path)
    assert f"{ValidMemo.KEPT + 999:064x}" in memo  # the newest are last in the file
    assert f"{0:064x}" not in memo
