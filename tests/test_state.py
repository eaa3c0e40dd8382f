"""The state as files: an export is a fixtures folder (`--fixtures` serves it back, `check`
accepts it), PUT replaces the records all or nothing, and `--state-dir` keeps them across
a real SIGTERM restart, saved so that a crash never leaves half a state."""

from __future__ import annotations

import io
import json
import os
import signal
import tarfile
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.cli import main
from mockserver.core import state
from mockserver.core.fixtures import STATE_FILE
from mockserver.core.store import Change
from tests.test_process import Served, served  # noqa: F401 (a fixture)
from tests.test_snapshots import DEPLOYMENT

VERSION = {
    "ModelId": "model-rbvg5wzljz****ks92",
    "VersionName": "9.9.9",
    "GmtCreateTime": "2026-01-01T00:00:00Z",
    "GmtModifiedTime": "2026-01-01T00:00:00Z",
    "Uri": "oss://bucket/m/9.9.9/",
}


@pytest.fixture
def changed() -> Iterator[TestClient]:
    """A server whose records differ from the bundled ones: an add and a delete."""
    with TestClient(create_app(Settings(seed=3))) as client:
        assert client.post("/_mock/data/dashscope/deployments", json=DEPLOYMENT).status_code == 201
        store = client.app.store  # type: ignore[attr-defined]
        store.apply("huawei", [Change("models", old=store.listing("huawei", "models")[2])])
        yield client


def unpack(content: bytes, kind: str, into: Path) -> Path:
    if kind == "zip":
        zipfile.ZipFile(io.BytesIO(content)).extractall(into)
    else:
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as tar:
            tar.extractall(into, filter="data")
    return into


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_an_export_is_a_fixtures_folder_served_back_identically(
    changed: TestClient, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response = changed.get(f"/_mock/state?format={kind}")
    assert response.status_code == 200
    assert response.headers["content-type"] == state.MEDIA[kind]
    assert f'filename="mockserver-state.{kind}"' in response.headers["content-disposition"]
    folder = unpack(response.content, kind, tmp_path / "snapshot")
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.yaml"))
    assert names == sorted(
        [STATE_FILE]
        + [
            f"{v}/{c}.yaml"
            for v, cols in changed.app.store.counts().items()  # type: ignore[attr-defined]
            for c in cols
        ]
    )
    assert main(["check", str(folder)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {folder}")
    with TestClient(create_app(Settings(fixtures=folder))) as back:
        assert back.get("/_mock/data").json() == changed.get("/_mock/data").json()


def test_the_json_form_round_trips_through_put(changed: TestClient) -> None:
    document = changed.get("/_mock/state?format=json")
    assert document.headers["content-type"] == "application/json"
    body = document.json()
    assert set(body) == {"version", "records"} and body["version"] == 1
    with TestClient(create_app()) as other:
        answer = other.put("/_mock/state", json=body)
        assert answer.status_code == 200
        assert answer.json() == {
            "status": "replaced",
            "records": other.get("/_mock/health").json()["records"],
        }
        assert other.get("/_mock/data").json() == changed.get("/_mock/data").json()
        # the body is now what was loaded: a reset returns to it, not to the fixtures
        assert other.post("/_mock/data/pai/versions", json=VERSION).status_code == 201
        assert other.post("/_mock/reset").status_code == 200
        assert other.get("/_mock/data").json() == changed.get("/_mock/data").json()


def test_the_version_file_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pai").mkdir()
    (tmp_path / STATE_FILE).write_text("version: 2\n")
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert (
        f"{STATE_FILE}: line 1: state format version 2 is not one this mockserver reads (1)" in out
    )
    (tmp_path / STATE_FILE).write_text("version: 1\n")
    (tmp_path / "other.yaml").write_text("models: []\n")  # any other top-level file is not
    assert main(["check", str(tmp_path)]) == 1
    assert "other.yaml: fixture files go in a vendor folder" in capsys.readouterr().out


BAD_STATES: list[tuple[Any, str]] = [
    ([], "a state is an object {version, records}"),
    ({"version": 1}, "a state is an object {version, records}"),
    ({"version": 2, "records": {}}, "state format version 2 is not one this mockserver reads"),
    ({"version": True, "records": {}}, "state format version True"),
    ({"version": 1, "records": []}, "records must map vendors to their collections"),
    ({"version": 1, "records": {"aws": {}}}, "unknown vendor 'aws'"),
    ({"version": 1, "records": {"pai": {"jobs": []}}}, "'jobs' is not a collection of pai"),
    ({"version": 1, "records": {"pai": {"models": {}}}}, "records.pai.models must be a list"),
    (
        {"version": 1, "records": {"pai": {"models": [], "versions": [VERSION]}}},
        "records.pai: versions[0] '9.9.9': $.ModelId: no models record has ModelId",
    ),
    (
        {
            "version": 1,
            "records": {"dashscope": {"deployments": [{**DEPLOYMENT, "capacity": "x"}]}},
        },
        "$.capacity: 'x' is not of type 'integer'",
    ),
]


@pytest.mark.parametrize(("body", "problem"), BAD_STATES)
def test_a_bad_state_is_refused_whole(changed: TestClient, body: Any, problem: str) -> None:
    before = changed.get("/_mock/data").json()
    response = changed.put("/_mock/state", json=body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "InvalidState" and answer["message"] == "the state was not replaced"
    assert any(problem in p for p in answer["problems"]), answer["problems"]
    assert changed.get("/_mock/data").json() == before


def test_put_state_takes_json_within_the_control_plane_limit(changed: TestClient) -> None:
    assert changed.put("/_mock/state", content=b"{", headers=JSON).json()["code"] == "InvalidJSON"
    too_large = changed.put("/_mock/state", content=b" " * (2**20 + 1), headers=JSON)
    assert too_large.status_code == 413 and too_large.json()["code"] == "PayloadTooLarge"
    archive = changed.get("/_mock/state").content
    refused = changed.put(
        "/_mock/state", content=archive, headers={"content-type": "application/gzip"}
    )
    assert refused.status_code == 415


def test_a_bad_format_is_refused(changed: TestClient) -> None:
    response = changed.get("/_mock/state?format=yaml")
    assert response.status_code == 400
    assert response.json() == {
        "code": "InvalidParameter",
        "message": "format must be one of tar.gz, zip, json, not 'yaml'",
    }


JSON = {"content-type": "application/json"}


# --- saving a folder ------------------------------------------------------------------


def test_save_writes_a_folder_that_loads_back(changed: TestClient, tmp_path: Path) -> None:
    folder = tmp_path / "sandbox"
    state.save_dir(changed.app.store.dataset(), folder)  # type: ignore[attr-defined]
    assert state.has_state(folder)
    with TestClient(create_app(Settings(state_dir=folder))) as back:
        assert back.get("/_mock/data").json() == changed.get("/_mock/data").json()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sandbox"]  # nothing left beside


def test_a_save_that_fails_leaves_the_previous_state(
    changed: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "sandbox"
    with TestClient(create_app()) as bundled:
        state.save_dir(bundled.app.store.dataset(), folder)  # type: ignore[attr-defined]
        saved = bundled.get("/_mock/data").json()
    calls = 0

    def failing(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:  # in the middle of writing the files
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError, match="No space left"):
        state.save_dir(changed.app.store.dataset(), folder)  # type: ignore[attr-defined]
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sandbox"]
    with TestClient(create_app(Settings(state_dir=folder))) as back:
        assert back.get("/_mock/data").json() == saved


def test_a_crash_between_the_renames_is_recovered(changed: TestClient, tmp_path: Path) -> None:
    folder = tmp_path / "sandbox"
    state.save_dir(changed.app.store.dataset(), folder)  # type: ignore[attr-defined]
    folder.rename(tmp_path / "sandbox.previous")  # the first rename done, not the second
    (tmp_path / ".sandbox.saving-x").mkdir()  # the new state written (or not: it is dropped)
    with TestClient(create_app(Settings(state_dir=folder))) as back:
        assert back.get("/_mock/data").json() == changed.get("/_mock/data").json()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sandbox"]


def test_post_save_needs_a_state_dir(changed: TestClient) -> None:
    response = changed.post("/_mock/state/save")
    assert response.status_code == 409
    assert response.json()["code"] == "NoStateDir"


def test_post_save_saves_now(tmp_path: Path) -> None:
    folder = tmp_path / "sandbox"
    with TestClient(create_app(Settings(state_dir=folder))) as client:
        client.post("/_mock/data/dashscope/deployments", json=DEPLOYMENT)
        response = client.post("/_mock/state/save")
        assert response.status_code == 200
        assert response.json()["status"] == "saved" and response.json()["path"] == str(folder)
        expected = client.get("/_mock/data").json()
    with TestClient(create_app(Settings(state_dir=folder, generate=5))) as back:
        assert back.get("/_mock/data").json() == expected  # the saved state, not generated


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_serve_refuses_a_state_dir_it_would_clobber(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "notes"
    if kind == "file":
        target.write_text("x")
    else:
        target.mkdir()
        (target / "todo.txt").write_text("x")
    assert main(["serve", "--port", "0", "--state-dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert ("is a file" if kind == "file" else "holds files but no saved state") in err


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def post(url: str, body: Any) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=JSON, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def test_state_survives_a_sigterm_restart(
    tmp_path: Path,
    served: list[Served],  # noqa: F811 (the fixture)
) -> None:
    folder = tmp_path / "sandbox"
    first = Served("--state-dir", str(folder))
    served.append(first)
    assert post(first.url + "/_mock/data/dashscope/deployments", DEPLOYMENT) == 201
    before = get(first.url + "/_mock/data")
    first.process.send_signal(signal.SIGTERM)
    code, log = first.finish()
    assert code == 0, log
    assert f"state saved to {folder}" in log
    assert state.has_state(folder)
    second = Served("--state-dir", str(folder))
    served.append(second)
    assert get(second.url + "/_mock/data") == before
    listed = get(second.url + "/api/v1/deployments?page_size=100")["output"]["deployments"]
    assert DEPLOYMENT["deployed_model"] in [d["deployed_model"] for d in listed]
    second.process.send_signal(signal.SIGINT)  # Ctrl+C saves too
    code, log = second.finish()
    assert code == 0 and "state saved to" in log and "state from" in log, log


def test_a_failed_save_answers_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mockserver.admin

    def full_disk(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mockserver.admin, "save_dir", full_disk)
    with TestClient(create_app(Settings(state_dir=tmp_path / "s"))) as client:
        response = client.post("/_mock/state/save")
    assert response.status_code == 500
    assert response.json()["code"] == "SaveFailed"
    assert "No space left on device" in response.json()["message"]


def test_recovery_leaves_a_folder_it_did_not_write(tmp_path: Path) -> None:
    folder = tmp_path / "sandbox"
    state.save_dir({"pai": {"models": [], "versions": []}}, folder)
    folder.rename(tmp_path / "sandbox.previous")
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    state.recover(folder)
    assert (folder / "notes.txt").read_text() == "mine"
    assert state.has_state(tmp_path / "sandbox.previous")
    assert main(["serve", "--port", "0", "--state-dir", str(folder)]) == 2


def test_serve_refuses_a_state_dir_with_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["serve", "--port", "0", "--workers", "2", "--state-dir", str(tmp_path / "s")]
    assert main(args) == 2
    assert "--state-dir needs --workers 1" in capsys.readouterr().err
