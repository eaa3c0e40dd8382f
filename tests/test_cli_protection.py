"""`serve` options that keep secrets out of `ps` and the control plane closed."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from mockserver.cli import _warn_if_exposed, main
from mockserver.settings import Settings
from tests.test_cli import start, stop

DEPLOYMENTS = "/api/v1/deployments"
VERSIONS = "/api/v1/org/example/models/example/versions"


def test_credentials_and_admin_token_from_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# test keys\n\ndreadnode:ci:dn-from-file  \n", encoding="utf-8")
    monkeypatch.setenv("MOCKSERVER_CREDENTIALS", "dashscope::sk-from-env huawei:token:MIIenv")
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", "admin-from-env")
    args = ["--auth", "verify", "--credentials-file", str(keys), "--allowed-host", "mock.test"]
    process, url, _ = start(args)
    try:
        assert process.args is not None and "sk-from-env" not in " ".join(process.args)
        ok = {"Authorization": "Bearer sk-from-env"}
        assert httpx.get(url + DEPLOYMENTS, headers=ok).status_code == 200
        assert httpx.get(url + VERSIONS, headers={"X-API-Key": "dn-from-file"}).status_code == 200
        assert httpx.get(url + VERSIONS, headers={"X-API-Key": "dn-other"}).status_code == 401
        assert httpx.post(url + "/_mock/reset").status_code == 403
        token = {"Authorization": "Bearer admin-from-env"}
        assert httpx.post(url + "/_mock/reset", headers=token).status_code == 200
        assert httpx.get(url + "/_mock/health", headers={"Host": "mock.test"}).status_code == 200
        assert httpx.get(url + "/_mock/health", headers={"Host": "other.test"}).status_code == 403
    finally:
        stop(process)


def test_bad_credentials_file_or_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    keys.write_text("pai:AK:secret\nnot-a-credential\n", encoding="utf-8")
    assert main(["serve", "--credentials-file", str(keys)]) == 2
    assert "keys: credential 2 is not VENDOR:KEY_ID:SECRET" in capsys.readouterr().err
    monkeypatch.setenv("MOCKSERVER_CREDENTIALS", "aws:a:b")
    assert main(["serve", "--auth", "check"]) == 2
    assert "credential for unknown vendor 'aws'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "token", "warned"),
    [
        ("127.0.0.1", None, None),
        ("localhost", None, None),
        ("0.0.0.0", None, "set --admin-token"),
        ("::", "t", "writes need the admin token"),
    ],
)
def test_loud_warning_off_loopback(host: str, token: str | None, warned: str | None) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("mockserver")
    logger.addHandler(handler)
    try:
        _warn_if_exposed(Settings(host=host, admin_token=token))
    finally:
        logger.removeHandler(handler)
    if warned is None:
        assert not records
    else:
        (record,) = records
        assert record.levelno == logging.WARNING
        assert "not loopback" in record.getMessage()
        assert warned in record.getMessage()
