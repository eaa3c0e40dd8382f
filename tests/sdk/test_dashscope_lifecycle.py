"""dashscope SDK, unchanged: deployments created, polled until RUNNING, scaled, deleted.

The SDK's v1 `Deployments` returns errors (never raises); the v2 client raises typed
errors. Each timing mode moves the deployment on its own trigger: the next read, N reads,
seconds of the mock's clock, or being told.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import dashscope
import pytest
from dashscope.v2 import Client
from dashscope.v2.errors import APIStatusError, NotFoundError

from mockserver import MockServer
from mockserver.core.schemas import bundled
from tests.conftest import assert_valid

POLL_S = 30.0  # what a deploying client waits between two polls (on the mock's clock)


@pytest.fixture(autouse=True)
def base_url(mockserver: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(dashscope, "base_http_api_url", mockserver.url_for("/api/v1"))
    monkeypatch.setattr(dashscope, "api_key", "sk-test")
    yield


def wait_for(
    deployed_model: str, wanted: str, sleep: Callable[[float], None], timeout_s: float = 900
) -> list[str]:
    """A client's polling loop, as a user writes it: get, wait, until the state is
    `wanted` (or FAILED) or the deadline passes (TimeoutError). Returns the states seen."""
    seen: list[str] = []
    waited = 0.0
    while True:
        got = dashscope.Deployments.get(deployed_model)
        assert got.status_code == 200, (got.code, got.message)
        seen.append(got.output.status)
        if got.output.status in (wanted, "FAILED"):
            return seen
        if waited >= timeout_s:
            raise TimeoutError(f"{deployed_model} still {got.output.status}")
        sleep(POLL_S)
        waited += POLL_S


MODES = ["immediate", "reads:3", "seconds:600", "manual"]


def ticker(mode: str, server: MockServer, deployed_model: str) -> Callable[[float], None]:
    """What passes between two polls in each mode: nothing (reads), the mock's clock
    moving as the client sleeps (seconds), or the test telling the mock (manual)."""
    if mode.startswith("seconds"):
        return server.clock.advance
    if mode == "manual":
        return lambda _: server.transition("dashscope", deployed_model)
    return lambda _: None


@pytest.mark.parametrize(
    "mode", [pytest.param(m, marks=pytest.mark.mockserver(lifecycle=m)) for m in MODES]
)
def test_create_poll_scale_poll_delete(mockserver: MockServer, mode: str) -> None:
    created = dashscope.Deployments.call(model="qwen-plus", capacity=2, suffix="poll")
    assert created.status_code == 200, (created.code, created.message)
    deployed = created.output.deployed_model
    assert deployed.startswith("qwen-plus-") and deployed.endswith("-poll")
    assert (created.output.status, created.output.ready_capacity) == ("PENDING", 0)

    seen = wait_for(deployed, "RUNNING", ticker(mode, mockserver, deployed))
    assert seen[-1] == "RUNNING" and set(seen[:-1]) <= {"PENDING"}
    if mode == "reads:3":
        assert seen == ["PENDING"] * 3 + ["RUNNING"]
    if mode == "immediate":
        assert seen == ["RUNNING"]

    scaled = dashscope.Deployments.scale(deployed, capacity=4)
    assert scaled.status_code == 200
    assert (scaled.output.status, scaled.output.capacity) == ("UPDATING", 4)
    seen = wait_for(deployed, "RUNNING", ticker(mode, mockserver, deployed))
    assert seen[-1] == "RUNNING"
    assert dashscope.Deployments.get(deployed).output.ready_capacity == 4

    deleted = dashscope.Deployments.delete(deployed)
    assert deleted.status_code == 200
    assert deleted.output.status == "DELETING"
    tick = ticker(mode, mockserver, deployed)
    for _ in range(30):
        got = dashscope.Deployments.get(deployed)
        if got.status_code == 404:
            break
        assert got.output.status == "DELETING"
        tick(POLL_S)
    assert (got.status_code, got.code, got.message) == (
        404,
        "NotFound",
        f"Model: {deployed} not found!",
    )
    moves = [(t["from"], t["to"]) for t in mockserver.transitions() if t["resource"] == deployed]
    assert moves == [
        (None, "PENDING"),
        ("PENDING", "RUNNING"),
        ("RUNNING", "UPDATING"),
        ("UPDATING", "RUNNING"),
        ("RUNNING", "DELETING"),
        ("DELETING", None),
    ]


def test_the_answers_match_the_documented_shape(mockserver: MockServer) -> None:
    import httpx

    created = httpx.post(
        mockserver.url_for("/api/v1/deployments"), json={"model_name": "emo", "capacity": 1}
    )
    assert created.status_code == 200
    assert_valid(bundled(), "dashscope/deployment.response", created.json())
    deployed = created.json()["output"]["deployed_model"]
    got = httpx.get(mockserver.url_for(f"/api/v1/deployments/{deployed}"))
    assert_valid(bundled(), "dashscope/deployment.response", got.json())
    gone = httpx.delete(mockserver.url_for(f"/api/v1/deployments/{deployed}"))
    assert gone.status_code == 200
    assert_valid(bundled(), "dashscope/deployment.response", gone.json())


@pytest.mark.mockserver(lifecycle="immediate")
def test_a_fault_rule_makes_the_next_create_end_in_failed(mockserver: MockServer) -> None:
    mockserver.fault(vendor="dashscope", operation="CreateDeployment", outcome="FAILED", times=1)
    failing = dashscope.Deployments.call(model="emo", capacity=1, suffix="doomed")
    assert failing.output.status == "PENDING"
    assert wait_for(failing.output.deployed_model, "RUNNING", lambda _: None) == ["FAILED"]
    fine = dashscope.Deployments.call(model="emo", capacity=1, suffix="fine")
    assert wait_for(fine.output.deployed_model, "RUNNING", lambda _: None) == ["RUNNING"]
    creates = [r for r in mockserver.requests() if r["operation"] == "CreateDeployment"]
    assert [(r["fault"] or {}).get("outcome") for r in creates] == ["FAILED", None]


@pytest.mark.mockserver(lifecycle="immediate")
def test_a_fault_rule_makes_a_scale_end_in_failed(mockserver: MockServer) -> None:
    created = dashscope.Deployments.call(model="emo", capacity=1, suffix="grow")
    deployed = created.output.deployed_model
    wait_for(deployed, "RUNNING", lambda _: None)
    mockserver.fault(vendor="dashscope", operation="ScaleDeployment", outcome="FAILED", times=1)
    assert dashscope.Deployments.scale(deployed, capacity=3).output.status == "UPDATING"
    assert wait_for(deployed, "RUNNING", lambda _: None) == ["FAILED"]
    assert dashscope.Deployments.scale(deployed, capacity=2).code == "InvalidParameter"


@pytest.mark.mockserver(lifecycle="seconds:600")
def test_a_polling_client_times_out_on_a_frozen_clock(mockserver: MockServer) -> None:
    mockserver.clock.freeze()
    created = dashscope.Deployments.call(model="qwen-max", capacity=4, suffix="slow")
    deployed = created.output.deployed_model
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="still PENDING"):
        wait_for(deployed, "RUNNING", lambda s: time.sleep(0.01), timeout_s=10 * POLL_S)
    assert time.monotonic() - started < 10  # the client's deadline, not the deployment's
    mockserver.clock.advance(600)
    assert dashscope.Deployments.get(deployed).output.status == "RUNNING"


@pytest.mark.mockserver(lifecycle="manual")
def test_forced_states_show_in_get_and_list(mockserver: MockServer) -> None:
    created = dashscope.Deployments.call(model="emo", capacity=1, suffix="forced")
    deployed = created.output.deployed_model
    mockserver.transition("dashscope", deployed, "FAILED")
    assert dashscope.Deployments.get(deployed).output.status == "FAILED"
    mockserver.transition("dashscope", deployed, "STOPPED")
    listed = dashscope.Deployments.list(page_no=1, page_size=50).output.deployments
    mine = next(d for d in listed if d.deployed_model == deployed)
    assert (mine.status, mine.ready_capacity) == ("STOPPED", 0)
    assert mockserver.transitions()[-1]["why"] == "forced"


@pytest.mark.mockserver(lifecycle="reads:1")
def test_the_seed_list_shows_every_state_as_it_moves(mockserver: MockServer) -> None:
    def states() -> dict[str, str]:
        listed = dashscope.Deployments.list(page_no=1, page_size=50).output.deployments
        return {d.deployed_model: d.status for d in listed}

    first = states()
    assert {"RUNNING", "PENDING", "UPDATING", "STOPPED"} <= set(first.values())
    second = states()
    assert second["qwen-max-0c1d2e3f-batch"] == "RUNNING"  # PENDING, read once, moved
    assert second["qwen2-7b-instruct-lora-5a6b7c8d-faq"] == "RUNNING"  # from UPDATING
    assert second["qwen-turbo-1a2b3c4d-legacy"] == "STOPPED"  # stays: nothing moves it
    assert {k: v for k, v in first.items() if v not in ("PENDING", "UPDATING", "DELETING")} == {
        k: v for k, v in second.items() if k in first and first[k] == v
    }


def test_conflicts_and_capacity_errors_in_the_envelope(mockserver: MockServer) -> None:
    first = dashscope.Deployments.call(model="qwen-plus", capacity=2, suffix="dup")
    assert first.status_code == 200
    again = dashscope.Deployments.call(model="qwen-plus", capacity=2, suffix="dup")
    assert (again.status_code, again.code) == (409, "Conflict")
    assert again.message.startswith(f"Deployed model {first.output.deployed_model} already exists")
    assert again.request_id == mockserver.requests()[-1]["request_id"]
    odd = dashscope.Deployments.call(model="qwen-plus", capacity=3)
    assert (odd.status_code, odd.code) == (400, "InvalidParameter")
    assert odd.message.startswith("Invalid capacity (3), capacity must be a positive multiple of 2")
    unknown = dashscope.Deployments.call(model="no-such-model", capacity=1)
    assert (unknown.status_code, unknown.code, unknown.message) == (
        404,
        "NotFound",
        "Model: no-such-model not found!",
    )


def test_the_v2_client_reads_the_same_answers(mockserver: MockServer) -> None:
    with Client(api_key="sk-test", base_url=mockserver.url_for("/api/v1")) as client:
        created = client.deployments.create(model="emo", capacity=1, suffix="vtwo")
        assert (created.status, created.model) == ("PENDING", "emo")
        got = client.deployments.get(created.deployed_model)
        assert got.deployed_model == created.deployed_model
        listed = client.deployments.list(page_no=1, page_size=50)
        assert created.deployed_model in [d.deployed_model for d in listed.deployments]
        assert client.deployments.delete(created.deployed_model).status == "DELETING"
        with pytest.raises(NotFoundError):
            for _ in range(5):
                client.deployments.get(created.deployed_model)
        client.deployments.create(model="emo", capacity=1, suffix="again")
        with pytest.raises(APIStatusError) as caught:
            client.deployments.create(model="emo", capacity=1, suffix="again")
        assert (caught.value.status_code, caught.value.code) == (409, "Conflict")


@pytest.mark.mockserver(lifecycle="reads:1")
def test_stream_events_one_per_change(mockserver: MockServer) -> None:
    created = dashscope.Deployments.call(model="emo", capacity=1, suffix="stream")
    events = list(dashscope.Deployments.stream_events(created.output.deployed_model))
    assert [e.status_code for e in events] == [200, 200]
    import json

    assert [json.loads(e.output)["status"] for e in events] == ["PENDING", "RUNNING"]
