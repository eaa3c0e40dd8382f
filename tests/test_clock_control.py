"""GET/POST /_mock/clock: the mock's time, frozen, set and moved by tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from starlette.testclient import TestClient

from mockserver import MockServer, Settings, create_app


@pytest.fixture
def own() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(seed=5))) as test_client:
        yield test_client


def test_real_time_by_default(own: TestClient) -> None:
    body = own.get("/_mock/clock").json()
    assert body["frozen"] is False
    assert abs(body["offset_s"]) < 1
    assert abs(datetime.fromisoformat(body["now"]).timestamp() - body["time"]) < 0.001
    assert body["now"].endswith("Z")


def test_freeze_set_advance_unfreeze(own: TestClient) -> None:
    frozen = own.post("/_mock/clock", json={"set": "2026-01-01T00:00:00Z", "freeze": True})
    assert frozen.status_code == 200
    assert frozen.json()["now"] == "2026-01-01T00:00:00.000Z"
    assert frozen.json()["frozen"] is True
    assert own.get("/_mock/clock").json()["now"] == "2026-01-01T00:00:00.000Z"
    moved = own.post("/_mock/clock", json={"advance_s": 600}).json()
    assert moved["now"] == "2026-01-01T00:10:00.000Z"
    running = own.post("/_mock/clock", json={"freeze": False}).json()
    assert running["frozen"] is False
    assert running["time"] >= moved["time"]
    back = own.post("/_mock/clock", json={"reset": True}).json()
    assert (back["frozen"], abs(back["offset_s"]) < 1) == (False, True)


def test_set_takes_epoch_seconds_and_zones(own: TestClient) -> None:
    body = own.post("/_mock/clock", json={"set": 0, "freeze": True}).json()
    assert body["now"] == "1970-01-01T00:00:00.000Z"
    body = own.post("/_mock/clock", json={"set": "2026-06-01T10:00:00+02:00"}).json()
    assert body["now"] == "2026-06-01T08:00:00.000Z"


def test_reset_of_the_state_gives_back_real_time(own: TestClient) -> None:
    own.post("/_mock/clock", json={"set": 0, "freeze": True})
    own.post("/_mock/reset")
    assert own.get("/_mock/clock").json()["frozen"] is False


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "a clock change is a JSON object"),
        ([], "a clock change is a JSON object"),
        ({"advance": 5}, "unknown field(s) advance; a clock change takes reset, set"),
        ({"advance_s": -1}, "advance_s must be a number of seconds from 0"),
        ({"advance_s": "600"}, "not a string"),
        ({"advance_s": 10**40}, "advance_s must be a number of seconds from 0"),
        ({"freeze": "yes"}, "freeze must be true or false, not a string"),
        ({"reset": False}, "reset takes true only"),
        ({"set": "2026-01-01T00:00:00"}, "with a zone"),
        ({"set": "tomorrow"}, "with a zone"),
        ({"set": -1}, "set must be from 1970"),
        ({"set": True}, "not a boolean"),
        ({"set": "9999-12-31T23:59:59Z", "advance_s": 1}, "cannot go past 9999"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(
    own: TestClient, spec: object, message: str
) -> None:
    own.post("/_mock/clock", json={"set": 1_000_000, "freeze": True})
    response = own.post("/_mock/clock", json=spec)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidClock"
    assert message in response.json()["message"]
    assert own.get("/_mock/clock").json()["time"] == 1_000_000


def test_the_control_plane_guard_applies(own: TestClient) -> None:
    text = own.post("/_mock/clock", content=b"{}", headers={"content-type": "text/plain"})
    assert text.status_code == 415
    foreign = own.post(
        "/_mock/clock", json={"freeze": True}, headers={"origin": "http://evil.test"}
    )
    assert foreign.status_code == 403
    assert own.get("/_mock/clock").json()["frozen"] is False


def test_refused_on_several_workers() -> None:
    with TestClient(create_app(Settings(workers=2))) as client:
        response = client.post("/_mock/clock", json={"freeze": True})
    assert (response.status_code, response.json()["code"]) == (409, "Conflict")


def test_from_python() -> None:
    with MockServer() as server:
        server.clock.freeze()
        server.clock.set(1_000_000)
        server.clock.advance(600)
        assert server.clock.time() == 1_000_600
        server.reset()
        assert not server.clock.frozen
