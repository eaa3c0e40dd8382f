"""Named snapshots: a restore answers, request by request and for every vendor, exactly as
the server did when the snapshot was taken (records, their order, every backend view),
whatever was added, replaced or deleted in between; snapshots are bounded."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.app import load_data
from mockserver.core import state
from mockserver.core.fixtures import Dataset, FixtureError
from mockserver.core.store import Change
from tests.test_store import COLLECTIONS, STILL, add_all, answers, held, split, ties


@pytest.fixture(scope="module")
def full() -> Dataset:
    return load_data(Settings(generate=20, seed=9))


def change_every_vendor(client: TestClient) -> None:
    """In each vendor's last collection: a delete at each end, a replacement in the middle."""
    store = client.app.store  # type: ignore[attr-defined]
    for vendor, collections in COLLECTIONS.items():
        leaf = collections[-1].name
        records = store.listing(vendor, leaf)
        middle = records[len(records) // 2]
        store.apply(vendor, [Change(leaf, old=records[0]), Change(leaf, old=records[-1])])
        store.apply(vendor, [Change(leaf, old=middle, new={**copy.deepcopy(middle)})])


def snap(client: TestClient, name: str) -> None:
    assert client.post(f"/_mock/snapshots/{name}").status_code in (200, 201)


def restore(client: TestClient, name: str) -> None:
    response = client.post(f"/_mock/snapshots/{name}/restore")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "restored"


def test_restore_answers_as_when_taken_for_every_vendor(full: Dataset) -> None:
    base, extra = split(full)
    with TestClient(create_app(STILL, dataset=copy.deepcopy(base))) as client:
        at_start, start_records = answers(client, full), held(client)
        snap(client, "start")
        add_all(client, extra)
        change_every_vendor(client)
        at_one, one_records = answers(client, full), held(client)
        assert at_one != at_start
        snap(client, "one")
        add_all(client, ties(held(client)))
        change_every_vendor(client)
        assert answers(client, full) != at_one
        restore(client, "one")
        assert held(client) == one_records  # the records and their order
        assert answers(client, full) == at_one
        restore(client, "start")
        assert held(client) == start_records
        assert answers(client, full) == at_start
        restore(client, "one")  # forward again: the undone changes are made again
        assert held(client) == one_records
        assert answers(client, full) == at_one
        restore(client, "one")  # nothing to do
        assert answers(client, full) == at_one
        assert client.post("/_mock/reset").status_code == 200  # reset still goes to start
        assert held(client) == start_records


def test_a_delete_undone_by_a_restore_goes_back_to_its_place(full: Dataset) -> None:
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        store = client.app.store  # type: ignore[attr-defined]
        for vendor, collections in COLLECTIONS.items():
            leaf = collections[-1].name
            records = store.listing(vendor, leaf)
            store.apply(vendor, [Change(leaf, old=records[1])])  # a change before the snapshot
        add_all(client, ties(held(client)))  # records sorting equal to held ones
        snap(client, "mid")
        before, answered = held(client), answers(client, full)
        for vendor, collections in COLLECTIONS.items():
            leaf = collections[-1].name
            records = store.listing(vendor, leaf)
            for index in (len(records) // 2, -3, 2):  # ties among them
                store.apply(vendor, [Change(leaf, old=store.listing(vendor, leaf)[index])])
        restore(client, "mid")
        assert held(client) == before
        assert answers(client, full) == answered


def test_a_snapshot_survives_a_replaced_state(full: Dataset) -> None:
    with TestClient(create_app(STILL, dataset=copy.deepcopy(full))) as client:
        change_every_vendor(client)
        expected, records = answers(client, full), held(client)
        snap(client, "before-put")
        small = client.get("/_mock/state?format=json").json()
        for vendor in small["records"]:
            for name in small["records"][vendor]:
                small["records"][vendor][name] = small["records"][vendor][name][:3]
        small["records"]["pai"]["versions"] = []
        small["records"]["dreadnode"]["versions"] = []
        small["records"]["huawei"]["models"] = []
        small["records"]["dashscope"]["deployments"] = []
        assert client.put("/_mock/state", json=small).status_code == 200
        assert answers(client, full) != expected
        restore(client, "before-put")
        assert held(client) == records
        assert answers(client, full) == expected


@pytest.fixture
def own() -> Iterator[TestClient]:
    with TestClient(create_app()) as client:
        yield client


def test_listing_replacing_and_deleting(own: TestClient) -> None:
    first = own.post("/_mock/snapshots/golden")
    assert first.status_code == 201
    assert first.json()["name"] == "golden" and first.json()["changes"] == 0
    assert first.json()["records"] == own.get("/_mock/health").json()["records"]
    assert own.post("/_mock/snapshots/golden").status_code == 200  # taken again
    own.post("/_mock/data/dashscope/deployments", json=DEPLOYMENT)
    assert own.post("/_mock/snapshots/after.add_1").status_code == 201
    listing = own.get("/_mock/snapshots").json()
    assert [s["name"] for s in listing["snapshots"]] == ["golden", "after.add_1"]
    assert [s["changes"] for s in listing["snapshots"]] == [0, 1]
    assert listing["bytes"] == listing["snapshots"][1]["bytes"] > 0
    assert own.delete("/_mock/snapshots/golden").status_code == 204
    gone = own.post("/_mock/snapshots/golden/restore")
    assert gone.status_code == 404
    assert gone.json() == {"code": "NotFound", "message": "no snapshot 'golden'; held: after.add_1"}
    assert own.delete("/_mock/snapshots/golden").status_code == 404


@pytest.mark.parametrize("name", ["a b", "-lead", "x" * 65, "caf%C3%A9", "a%2Fb"])
def test_a_bad_name_is_refused(own: TestClient, name: str) -> None:
    response = own.post(f"/_mock/snapshots/{name}")
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"
    assert "1-64 letters" in response.json()["message"]


def test_snapshots_are_bounded_in_count(own: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "MAX_SNAPSHOTS", 2)
    assert own.post("/_mock/snapshots/a").status_code == 201
    assert own.post("/_mock/snapshots/b").status_code == 201
    refused = own.post("/_mock/snapshots/c")
    assert refused.status_code == 409
    assert refused.json()["code"] == "TooManySnapshots"
    assert own.post("/_mock/snapshots/b").status_code == 200  # replacing one is fine
    assert [s["name"] for s in own.get("/_mock/snapshots").json()["snapshots"]] == ["a", "b"]


def test_snapshots_are_bounded_in_bytes(own: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    own.post("/_mock/data/dashscope/deployments", json=DEPLOYMENT)
    assert own.post("/_mock/snapshots/a").status_code == 201
    size = own.get("/_mock/snapshots").json()["bytes"]
    # the record, counted as compact JSON, and a pointer to its change
    assert size == len(json.dumps(DEPLOYMENT, separators=(",", ":"))) + state.ENTRY_BYTES
    monkeypatch.setattr(state, "SNAPSHOT_BYTES", 2 * size - 1)
    refused = own.post("/_mock/snapshots/b")
    assert refused.status_code == 409
    assert refused.json()["code"] == "SnapshotsTooLarge"
    assert own.post("/_mock/snapshots/a").status_code == 200  # replacing frees its own


def test_several_workers_refuse_snapshots() -> None:
    with TestClient(create_app(Settings(workers=2))) as client:
        for method, path in [
            ("POST", "/_mock/snapshots/a"),
            ("POST", "/_mock/snapshots/a/restore"),
            ("DELETE", "/_mock/snapshots/a"),
        ]:
            response = client.request(method, path)
            assert response.status_code == 409, path
            assert response.json()["code"] == "Conflict"


DEPLOYMENT = {
    "deployed_model": "qwen-long-0a0b0c0d-snap",
    "gmt_create": "2026-01-01T00:00:00",
    "gmt_modified": "2026-01-01T00:00:00",
    "status": "RUNNING",
    "model_name": "qwen-long",
    "base_model": "qwen-long",
    "base_capacity": 1,
    "capacity": 1,
    "ready_capacity": 1,
    "workspace_id": "llm-v71tlv3d***",
    "charge_type": "post_paid",
    "creator": "1",
    "modifier": "1",
}


def test_mockserver_snapshot_restore_and_state(tmp_path: Path) -> None:
    from mockserver import MockServer

    folder = tmp_path / "sandbox"
    with MockServer(state_dir=folder) as server:
        loaded = server.state()
        assert loaded["version"] == 1 and loaded["records"] == server.data()
        taken = server.snapshot("golden")
        assert taken["name"] == "golden" and taken["changes"] == 0
        server.add("dashscope", "deployments", DEPLOYMENT)
        changed = server.state()
        assert changed != loaded
        server.restore("golden")
        assert server.state() == loaded
        assert [s["name"] for s in server.snapshots()] == ["golden"]
        server.delete_snapshot("golden")
        with pytest.raises(state.SnapshotError, match="no snapshot 'golden'"):
            server.restore("golden")
        server.load_state(changed)
        assert server.state() == changed
        server.reset()  # the loaded state is now `changed`
        assert server.state() == changed
        with pytest.raises(FixtureError, match="unknown vendor 'aws'"):
            server.load_state({"version": 1, "records": {"aws": {}}})
        assert server.save_state(tmp_path / "copy") == tmp_path / "copy"
    assert state.has_state(folder)  # saved on stop
    with MockServer(state_dir=folder) as again:
        assert again.state() == changed
    with MockServer(fixtures=tmp_path / "copy") as copied:
        assert copied.state() == changed
