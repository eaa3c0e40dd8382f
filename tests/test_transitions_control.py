"""GET/POST /_mock/transitions and fault outcomes: the lifecycle from the control plane."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockserver import MockServer, Settings, create_app
from mockserver.core.faults import FaultSpecError
from mockserver.core.lifecycle import LifecycleError

SEEDED = "qwen-max-0c1d2e3f-batch"  # PENDING in the bundled fixtures
RUNNING = "emo-35b3f106-sample01"


@pytest.fixture
def own() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(seed=5, lifecycle="manual"))) as test_client:
        yield test_client


def status(client: TestClient, deployed: str) -> str:
    return str(client.get(f"/api/v1/deployments/{deployed}").json()["output"]["status"])


def test_the_state_of_the_lifecycle(own: TestClient) -> None:
    body = own.get("/_mock/transitions").json()
    assert body["timing"] == "manual"
    assert body["states"]["dashscope"]["deployment"] == [
        "PENDING",
        "UPDATING",
        "RUNNING",
        "STOPPED",
        "DELETING",
        "FAILED",
    ]
    assert (body["pending"], body["transitions"]) == (0, [])


def test_force_a_state_then_take_the_usual_step(own: TestClient) -> None:
    forced = own.post(
        "/_mock/transitions", json={"vendor": "dashscope", "id": RUNNING, "state": "FAILED"}
    )
    assert forced.status_code == 200
    assert (forced.json()["from"], forced.json()["to"]) == ("RUNNING", "FAILED")
    assert forced.json()["record"]["status"] == "FAILED"
    assert status(own, RUNNING) == "FAILED"
    assert status(own, SEEDED) == "PENDING"  # manual: reads do not move it
    told = own.post("/_mock/transitions", json={"vendor": "dashscope", "id": SEEDED})
    assert (told.json()["from"], told.json()["to"]) == ("PENDING", "RUNNING")
    assert status(own, SEEDED) == "RUNNING"
    log = own.get("/_mock/transitions").json()["transitions"]
    assert [(t["resource"], t["from"], t["to"], t["why"]) for t in log] == [
        (RUNNING, "RUNNING", "FAILED", "forced"),
        (SEEDED, "PENDING", "RUNNING", "deployed: told"),
    ]
    own.post("/_mock/reset")
    assert status(own, RUNNING) == "RUNNING"
    assert own.get("/_mock/transitions").json()["transitions"] == []


def test_the_timing_mode_until_the_next_reset(own: TestClient) -> None:
    changed = own.post("/_mock/transitions", json={"timing": "immediate"})
    assert changed.json()["timing"] == "immediate"
    assert status(own, SEEDED) == "RUNNING"
    own.post("/_mock/reset")
    assert own.get("/_mock/transitions").json()["timing"] == "manual"


@pytest.mark.parametrize(
    ("spec", "status_code", "message"),
    [
        ([], 400, "a transition is a JSON object"),
        ({"vendor": "dashscope"}, 400, "names the vendor and the id"),
        ({"id": RUNNING}, 400, "names the vendor and the id"),
        ({"vendor": "dashscope", "id": RUNNING, "colour": 1}, 400, "unknown field(s) colour"),
        ({"vendor": "dashscope", "id": RUNNING, "state": "GONE"}, 400, "not a state of"),
        ({"vendor": "dashscope", "id": RUNNING}, 400, "leaves only on a request"),
        ({"vendor": "pai", "id": "x"}, 400, "has no lifecycle"),
        ({"vendor": "dashscope", "id": RUNNING, "kind": "job"}, 400, "has no lifecycle"),
        ({"vendor": "dashscope", "id": 5}, 400, "id must be text"),
        ({"timing": "soon"}, 400, "a timing mode is immediate"),
        ({"vendor": "dashscope", "id": "nope-1"}, 404, "no deployment 'nope-1'"),
    ],
)
def test_bad_transitions_are_refused(
    own: TestClient, spec: object, status_code: int, message: str
) -> None:
    response = own.post("/_mock/transitions", json=spec)
    assert response.status_code == status_code
    assert message in response.json()["message"]
    assert own.get("/_mock/transitions").json()["transitions"] == []


def test_the_control_plane_guard_applies(own: TestClient) -> None:
    spec = {"vendor": "dashscope", "id": RUNNING, "state": "FAILED"}
    foreign = own.post("/_mock/transitions", json=spec, headers={"origin": "http://evil.test"})
    assert foreign.status_code == 403
    with TestClient(create_app(Settings(workers=2))) as several:
        assert several.post("/_mock/transitions", json=spec).status_code == 409
    assert status(own, RUNNING) == "RUNNING"


def test_several_workers_keep_the_loaded_states() -> None:
    with TestClient(create_app(Settings(workers=2, lifecycle="immediate"))) as client:
        assert client.get("/_mock/transitions").json()["timing"] == "manual"
        assert status(client, SEEDED) == "PENDING"


def test_fault_outcomes_name_a_state_a_lifecycle_ends_in() -> None:
    server = MockServer()
    rule = server.fault(operation="CreateDeployment", outcome="FAILED")
    assert rule["outcome"] == "FAILED"
    with pytest.raises(
        FaultSpecError, match="outcome must be one of .*FAILED, RUNNING.*, not .STOPPED."
    ):
        server.fault(operation="CreateDeployment", outcome="STOPPED")
    with pytest.raises(FaultSpecError, match="give it no status"):
        server.fault(operation="CreateDeployment", outcome="FAILED", status=500)
    with pytest.raises(LifecycleError, match="no deployment"):
        server.transition("dashscope", "nope")
