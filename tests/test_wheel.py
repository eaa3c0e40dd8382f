"""The built wheel carries the bundled fixtures and schemas and serves them from anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.test_cli import start, stop

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(dist),
            str(ROOT),
        ],
        check=True,
    )
    [built] = dist.glob("mockserver-*.whl")
    return built


def test_wheel_holds_the_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("fixtures", "schemas"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                assert f"mockserver/_data/{path.relative_to(ROOT)}" in names
    for asset in ("console.html", "console.js", "console.css"):  # the console, offline
        assert f"mockserver/static/{asset}" in names


def test_installed_wheel_serves_the_same_data(
    wheel: Path, tmp_path: Path, client: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a PYTHONPATH naming a checkout would put its mockserver before the installed one
    monkeypatch.delenv("PYTHONPATH", raising=False)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The fresh venv borrows this environment's dependencies (no network needed), but
    # not its editable install of mockserver: .pth lines add paths, they run no hooks.
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.check_output(
        [str(python), "-c", "import mockserver; print(mockserver.__file__)"],
        cwd=elsewhere,
        text=True,
    )
    assert where.startswith(str(site))

    process, url, log = start([], cwd=elsewhere, exe=[str(venv / "bin" / "mockserver")])
    try:
        served = httpx.get(f"{url}/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92").json()
        health = httpx.get(f"{url}/_mock/health").json()
    finally:
        stop(process)
    assert any(str(site / "mockserver" / "_data" / "fixtures") in line for line in log)
    expected = client.get("/api/v1/models/model-rbvg5wzljz****ks92").json()  # type: ignore[attr-defined]
    in_process = client.get("/_mock/health").json()  # type: ignore[attr-defined]
    for body in (served, expected):
        body.pop("RequestId")
    assert json.dumps(served, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert health["records"] == in_process["records"]


def test_wheel_carries_the_license(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    [license_file] = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    assert archive.read(license_file) == (ROOT / "LICENSE").read_bytes()
    assert b"Copyright (c) 2026 mockserver authors" in archive.read(license_file)
