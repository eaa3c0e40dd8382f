"""MockServer: a live server in a thread that leaves nothing behind."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import httpx
import pytest

from mockserver import MockServer
from mockserver.core.fixtures import FixtureError


def threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def test_serves_on_a_free_port_and_stops_cleanly() -> None:
    before = threads()
    server = MockServer().start()
    port = server.port
    assert port > 0
    assert server.url == f"http://127.0.0.1:{port}"
    response = httpx.get(server.url_for("/api/v1/models/model-rbvg5wzljz****ks92"))
    assert response.status_code == 200
    held = server._socket
    assert held is not None
    server.stop()
    assert threads() == before
    assert held.fileno() == -1
    assert not server.running
    with pytest.raises(ConnectionRefusedError):  # nothing listens there any more
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with socket.create_server(("127.0.0.1", port)):  # the port is free again
        pass


def test_context_manager_and_handles() -> None:
    with MockServer(seed=3) as server:
        added = server.add(
            "pai",
            "models",
            {
                "ModelId": "model-added1",
                "ModelName": "added",
                "WorkspaceId": "1",
                "GmtCreateTime": "2026-01-01T00:00:00Z",
                "GmtModifiedTime": "2026-01-01T00:00:00Z",
                "Accessibility": "PRIVATE",
            },
        )
        assert added == 1
        assert httpx.get(server.url_for("api/v1/models/model-added1")).status_code == 200
        entry = server.requests()[-1]
        assert (entry["operation"], entry["status"]) == ("GetModel", 200)
        assert any(m["ModelId"] == "model-added1" for m in server.data()["pai"]["models"])
        server.reset()
        assert server.requests() == []
        assert httpx.get(server.url_for("api/v1/models/model-added1")).status_code == 404
        server.clear_requests()
        assert server.requests() == []


def test_bad_records_are_refused_whole() -> None:
    with MockServer() as server, pytest.raises(FixtureError) as info:
        server.add("pai", "versions", [{"ModelId": "model-nope", "VersionName": "1.0.0"}])
    assert any("no models record has ModelId 'model-nope'" in str(p) for p in info.value.problems)


def test_bad_fixtures_fail_before_any_thread(tmp_path: Path) -> None:
    (tmp_path / "pai").mkdir()
    (tmp_path / "pai" / "x.yaml").write_text("models: 3\n", encoding="utf-8")
    before = threads()
    with pytest.raises(FixtureError):
        MockServer(fixtures=tmp_path)
    assert threads() == before


def test_same_seed_same_request_ids() -> None:
    def ids(seed: int) -> list[str]:
        with MockServer(seed=seed) as server:
            url = server.url_for("/api/v1/deployments")
            return [httpx.get(url).json()["request_id"] for _ in range(3)]

    assert ids(11) == ids(11)
    assert ids(11) != ids(12)


def test_port_is_unknown_until_started() -> None:
    server = MockServer()
    with pytest.raises(RuntimeError):
        _ = server.port
    with server:
        assert server.port > 0
    with pytest.raises(RuntimeError):
        _ = server.url
