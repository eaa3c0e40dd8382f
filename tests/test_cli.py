"""The command line, through main(argv) and, for `serve`, as a real process."""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mockserver.cli import main
from mockserver.settings import data_dir


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "check", "routes"):
        assert command in out


def test_serve_help_shows_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "127.0.0.1" in out
    assert "8000" in out
    assert "--fixtures DIR" in out
    assert "--log-level" in out


def test_check_bundled_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok: {data_dir('fixtures')}: pai: ")


def test_check_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pai").mkdir()
    (tmp_path / "pai" / "m.yaml").write_text(
        "models:\n  - ModelId: model-a\n    ModelName: 5\n", encoding="utf-8"
    )
    assert main(["check", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    prefix = f"{tmp_path / 'pai' / 'm.yaml'}: models[0] 'model-a' (line 2): "
    assert f"{prefix}$.ModelName: 5 is not of type 'string'" in lines
    assert f"{prefix}$: 'GmtCreateTime' is a required property" in lines
    assert len(lines) == 5


def test_routes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == ["METHOD", "PATH", "VENDOR", "OPERATION"]
    assert ["GET", "/api/v1/models/{ModelId}", "pai", "GetModel"] in rows
    assert ["GET", "/api/v1/models/{ModelId}/versions", "pai", "ListModelVersions"] in rows


LOGGERS = ("", "mockserver", "uvicorn", "uvicorn.error", "uvicorn.access")


@contextmanager
def logging_restored() -> Iterator[None]:
    """`serve` configures logging for its process (a handler on stderr, propagate off);
    in process, that would outlive the test: a handler on a closed captured stream, and a
    `mockserver` logger that caplog no longer sees."""
    saved = [
        (log, log.handlers[:], log.level, log.propagate, log.disabled)
        for log in map(logging.getLogger, LOGGERS)
    ]
    try:
        yield
    finally:
        for log, handlers, level, propagate, disabled in saved:
            log.handlers[:] = handlers
            log.setLevel(level)
            log.propagate, log.disabled = propagate, disabled


def serve_in_process(args: Sequence[str]) -> int:
    """`mockserver serve ARGS` through main(), leaving logging as it found it."""
    with logging_restored():
        return main(["serve", *args])


def test_serve_refuses_bad_fixtures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pai").mkdir()
    (tmp_path / "pai" / "m.yaml").write_text("models:\n  - ModelId: 7\n", encoding="utf-8")
    assert serve_in_process(["--fixtures", str(tmp_path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "m.yaml: models[0] 7 (line 2): $.ModelId: 7 is not of type 'string'" in err
    assert f"not starting: 6 problem(s) in {tmp_path}" in err


def test_in_process_serve_leaves_logging_as_it_was(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("mockserver")
    before = (logger.handlers[:], logger.propagate, logger.level)
    assert serve_in_process(["--fixtures", str(tmp_path / "missing"), "--port", "0"]) == 2
    assert (logger.handlers, logger.propagate, logger.level) == before
    with caplog.at_level(logging.INFO, logger="mockserver"):
        logger.info("seen by caplog")
    assert [r.getMessage() for r in caplog.records] == ["seen by caplog"]


def start(
    args: list[str], cwd: Path | None = None, exe: list[str] | None = None
) -> tuple[subprocess.Popen[str], str, list[str]]:
    """Start `mockserver serve` on a free port; return it, its URL and its log so far.

    A thread keeps reading the server's log, so a chatty server never blocks on a full
    pipe; `stop()` ends the process and returns the whole log.
    """
    command = (exe or [sys.executable, "-m", "mockserver"]) + ["serve", "--port", "0", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []
    process.log = seen  # type: ignore[attr-defined]
    process.reader = (reader, lines)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if "mockserver listening on " in line:
            url = line.split("listening on ")[1].split()[0]
            return process, url, list(seen)
    process.kill()
    stop(process)
    raise AssertionError("server did not start:\n" + "".join(seen))


def stop(process: subprocess.Popen[str]) -> str:
    """End a server from start(); its whole log."""
    process.terminate()
    process.wait(timeout=30)
    reader, lines = process.reader  # type: ignore[attr-defined]
    reader.join(timeout=10)
    assert process.stderr is not None
    process.stderr.close()
    seen: list[str] = process.log  # type: ignore[attr-defined]
    while not lines.empty():
        line = lines.get()
        if line is not None:
            seen.append(line)
    return "".join(seen)


def test_serve_logs_what_it_loaded_and_where_it_listens() -> None:
    process, url, log = start(["--log-level", "info"])
    assert any("loaded pai: 5 models, 22 versions" in line for line in log)
    try:
        assert url.startswith("http://127.0.0.1:")
        health = httpx.get(f"{url}/_mock/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["records"]["pai"]["models"] >= 5
    finally:
        rest = stop(process)
    # uvicorn shuts down cleanly, and serve says it stopped (exit 0: see tests/test_process.py)
    assert "Finished server process" in rest
    # where a person should look first, in the log they see at start
    assert f"open {url}/_mock/ for the endpoints and data, {url}/_mock/docs to try them" in rest


def fetch_example(url: str) -> dict[str, object]:
    body = httpx.get(f"{url}/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92").json()
    body.pop("RequestId")
    return body


def test_served_data_matches_in_process_data(client: object) -> None:
    process, url, _ = start([])
    try:
        served = fetch_example(url)
    finally:
        stop(process)
    expected = client.get("/api/v1/models/model-rbvg5wzljz****ks92").json()  # type: ignore[attr-defined]
    expected.pop("RequestId")
    assert json.dumps(served, sort_keys=True) == json.dumps(expected, sort_keys=True)
