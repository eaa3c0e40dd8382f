"""The access log: one line per request (method, path, status, operation, ms), written in
batches yet promptly, never lost at shutdown, hidden below `info`, and free of secrets."""

from __future__ import annotations

import re
import socket
import time
from typing import Any, cast

import httpx
import pytest

from mockserver import MockServer, server
from mockserver.server import AccessLog, access_line, client_of, operation, shown_target
from tests.test_cli import start, stop

EXAMPLE = "/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92"
LINE = re.compile(
    r'^INFO:     127\.0\.0\.1:\d+ - "(?P<method>[A-Z]+) (?P<target>\S+) HTTP/1\.1" '
    r"(?P<status>\d{3}) (?P<operation>\S+) (?P<ms>\d+\.\d\d) ms$"
)


class Route:
    """What the access line reads of a matched route: its name and methods."""

    def __init__(self, name: str, methods: set[str]) -> None:
        self.name = name
        self.methods = methods


def scope(method: str = "GET", query: bytes = b"", **extra: Any) -> dict[str, Any]:
    return {
        "method": method,
        "raw_path": EXAMPLE.encode(),
        "query_string": query,
        "http_version": "1.1",
        **extra,
    }


def test_a_line_names_the_request_its_status_operation_and_time() -> None:
    matched = scope(route=Route("pai.GetModel", {"GET", "HEAD"}))
    assert access_line("127.0.0.1:50412", matched, 200, 0.4567) == (
        f'127.0.0.1:50412 - "GET {EXAMPLE} HTTP/1.1" 200 pai.GetModel 0.46 ms\n'
    )


def test_the_operation_is_shown_only_for_a_route_that_answered_the_method() -> None:
    assert operation(scope(route=Route("mock.health", {"GET"}))) == "mock.health"
    assert operation(scope("POST", route=Route("pai.GetModel", {"GET", "HEAD"}))) == "-"
    assert operation(scope()) == "-"


def test_a_request_the_parser_rejected_has_no_time() -> None:
    assert access_line("-", scope(), 400, None) == f'- - "GET {EXAMPLE} HTTP/1.1" 400 - -\n'


def test_the_client_is_shown_as_uvicorn_shows_it() -> None:
    assert client_of(("127.0.0.1", 50412)) == "127.0.0.1:50412"
    assert client_of(None) == "-"


def test_the_target_keeps_the_query_but_masks_credentials() -> None:
    shown = shown_target(b"/api/v1/deployments", b"page_size=10&AccessKeyId=LTAI&Signature=x%2B")
    # as in the journal: a key id names the key and stays, the secrets do not
    assert shown == "/api/v1/deployments?page_size=10&AccessKeyId=LTAI&Signature=****"
    assert shown_target(b"/p", b"api_key=sk-1&token=t") == "/p?api_key=****&token=****"


def test_the_target_cannot_steer_a_terminal_and_is_bounded() -> None:
    assert shown_target(b"/a\x1b[2J\x9b b", b"") == "/a%1B[2J%9B%20b"
    assert shown_target(b"", b"") == "-"
    long = shown_target(b"/" + b"a" * 5000, b"")
    assert len(long) == server.TARGET_SHOWN + 3 and long.endswith("...")


class Loop:
    """An event loop that only records what is scheduled on it."""

    def __init__(self) -> None:
        self.scheduled: list[tuple[float, Any]] = []
        self.cancelled = 0

    def call_later(self, delay: float, callback: Any) -> Loop:
        self.scheduled.append((delay, callback))
        return self

    def cancel(self) -> None:
        self.cancelled += 1


def test_lines_wait_for_one_write_within_a_tenth_of_a_second(
    capsys: pytest.CaptureFixture[str],
) -> None:
    loop = Loop()
    access = AccessLog(cast(Any, loop))
    access.add("first\n")
    access.add("second\n")
    assert capsys.readouterr().err == ""
    assert len(loop.scheduled) == 1  # one timer per batch, not per line
    delay, flush = loop.scheduled[0]
    assert delay <= 0.1
    flush()
    assert capsys.readouterr().err == "INFO:     first\nINFO:     second\n"


def test_a_full_batch_is_written_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    loop = Loop()
    access = AccessLog(cast(Any, loop))
    for number in range(server.ACCESS_LINES_HELD):
        access.add(f"{number}\n")
    assert len(capsys.readouterr().err.splitlines()) == server.ACCESS_LINES_HELD
    assert loop.cancelled == 1  # the batch's timer has nothing left to do


def test_lines_still_waiting_are_written_at_exit(capsys: pytest.CaptureFixture[str]) -> None:
    access = AccessLog(cast(Any, Loop()))
    access.add("last\n")
    server._flush_all()  # registered with atexit (worker processes run uvicorn's Server)
    assert capsys.readouterr().err == "INFO:     last\n"


def test_a_closed_stderr_drops_lines_instead_of_failing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Closed:
        def write(self, text: str) -> int:
            raise BrokenPipeError

    monkeypatch.setattr("sys.stderr", Closed())
    access = AccessLog(cast(Any, Loop()))
    access.add("lost\n")
    access.flush()  # no exception
    access.flush()


def logged(capsys: pytest.CaptureFixture[str], count: int) -> list[str]:
    """Access lines written so far; waits (bounded) until `count` of them are there."""
    seen: list[str] = []
    deadline = time.monotonic() + 10
    while True:
        seen += [line for line in capsys.readouterr().err.splitlines() if LINE.match(line)]
        if len(seen) >= count or time.monotonic() > deadline:
            return seen
        time.sleep(0.01)


def test_each_request_shows_while_the_server_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with MockServer(log_level="info") as served:
        httpx.get(served.url + EXAMPLE)
        httpx.get(served.url + "/api/v1/deployments?page_size=10")
        httpx.post(served.url + EXAMPLE)
        lines = logged(capsys, 3)  # before shutdown: flushed on the running server's timer
    found = [LINE.match(line) for line in lines]
    assert [(m["method"], m["target"], m["status"], m["operation"]) for m in found if m] == [
        ("GET", EXAMPLE, "200", "pai.GetModel"),
        ("GET", "/api/v1/deployments?page_size=10", "200", "dashscope.ListDeployments"),
        ("POST", EXAMPLE, "404", "-"),
    ]


def test_lines_still_waiting_are_written_at_shutdown(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "ACCESS_FLUSH_S", 3600.0)  # only shutdown can write it
    with MockServer(log_level="info") as served:
        httpx.get(served.url + EXAMPLE)
        capsys.readouterr()
    lines = [line for line in capsys.readouterr().err.splitlines() if LINE.match(line)]
    assert len(lines) == 1 and "pai.GetModel" in lines[0]


def test_pipelined_requests_get_their_own_lines_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with MockServer(log_level="info") as served:
        requests = (
            f"GET {EXAMPLE} HTTP/1.1\r\nHost: x\r\n\r\n"
            "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
            "HEAD /api/v1/deployments HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", served.port), timeout=5) as conn:
            conn.sendall(requests.encode())
            while conn.recv(65536):
                pass
        lines = logged(capsys, 3)
    found = [LINE.match(line) for line in lines]
    assert [(m["method"], m["status"], m["operation"]) for m in found if m] == [
        ("GET", "200", "pai.GetModel"),
        ("GET", "404", "-"),
        ("HEAD", "200", "dashscope.ListDeployments"),
    ]


def test_a_request_the_parser_rejects_is_logged(capsys: pytest.CaptureFixture[str]) -> None:
    with MockServer(log_level="info") as served:
        with socket.create_connection(("127.0.0.1", served.port), timeout=5) as conn:
            conn.sendall(b"GET /api/v1/deployments/two words HTTP/1.1\r\n\r\n")
            while conn.recv(65536):
                pass
        with socket.create_connection(("127.0.0.1", served.port), timeout=5) as conn:
            conn.sendall(b"NONSENSE\r\n\r\n")
            while conn.recv(65536):
                pass
    err = capsys.readouterr().err
    assert '- "GET /api/v1/deployments/two HTTP/1.1" 400 - -\n' in err
    assert '- "- - HTTP/1.1" 400 - -\n' in err


def test_serve_shows_each_request_by_default() -> None:
    process, url, _ = start([])
    try:
        assert httpx.get(url + "/api/v1/deployments?page_size=10").status_code == 200
    finally:
        log = stop(process)
    lines = [line for line in log.splitlines() if LINE.match(line)]
    assert len(lines) == 1, log
    assert '"GET /api/v1/deployments?page_size=10 HTTP/1.1" 200 dashscope.' in lines[0]


def test_log_level_warning_hides_the_access_lines(capsys: pytest.CaptureFixture[str]) -> None:
    with MockServer(log_level="warning") as served:
        assert httpx.get(served.url + EXAMPLE).status_code == 200
        httpx.get(served.url + "/nowhere")
    assert "HTTP/1.1" not in capsys.readouterr().err
