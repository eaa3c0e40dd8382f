"""Connections and processes, over real sockets and real signals: slow or silent clients,
pipelined requests before a malformed one, shutdown while requests wait, workers whose
parent is killed, Ctrl+C, closed pipes, a busy port and out-of-range options."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mockserver import MockServer
from mockserver.cli import main

PAI_MODEL = "/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92"
WAIT = 30.0  # the longest any step here waits for what it expects
Connect = Callable[[int], socket.socket]


class Served:
    """`python -m mockserver serve` in its own session (as a terminal runs it), its log
    read by a thread so the pipe never fills."""

    def __init__(self, *args: str, command: list[str] | None = None) -> None:
        command = command or [sys.executable, "-m", "mockserver", "serve", "--port", "0", *args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL if command[0] == sys.executable else subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for("mockserver listening on ").split("listening on ")[1].split()[0]
        self.port = int(self.url.rsplit(":", 1)[1])

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._queue.put(line)
        self._queue.put(None)

    def _wait_for(self, text: str) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if text in line:
                return line
        self.kill()
        raise AssertionError(f"no {text!r} in the log:\n" + "".join(self.lines))

    def signal_group(self, sig: int) -> None:
        """What a terminal's Ctrl+C does: the signal to every process of the session."""
        os.killpg(self.process.pid, sig)

    def finish(self, timeout: float = WAIT) -> tuple[int, str]:
        """Exit status and whole log once the process has ended (killed if it has not)."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._reader.join(timeout=WAIT)
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return code, "".join(self.lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)
        self._reader.join(timeout=WAIT)
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def served() -> Iterator[list[Served]]:
    """Servers a test starts; any still running at the end are killed."""
    started: list[Served] = []
    yield started
    for server in started:
        server.kill()


@pytest.fixture
def connect() -> Iterator[Callable[[int], socket.socket]]:
    """Opens client connections to a port; all are closed at the end of the test."""
    opened: list[socket.socket] = []

    def open_(port: int) -> socket.socket:
        opened.append(socket.create_connection(("127.0.0.1", port), timeout=WAIT))
        return opened[-1]

    yield open_
    for sock in opened:
        sock.close()


def read_to_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def responses(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """HTTP/1.1 responses with a Content-Length, one after the other."""
    found = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in header_lines)
        length = int(headers["content-length"])
        found.append((int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return found


# --- a head that never completes (slowloris) ----------------------------------------


def test_a_connection_that_sends_nothing_or_half_a_head_is_closed(
    served: list[Served], connect: Connect
) -> None:
    server = Served("--head-timeout", "0.5")
    served.append(server)
    silent = connect(server.port)
    partial = connect(server.port)
    partial.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n")
    # the server closes both (recv returns b""); before, both waited for ever (WAIT here)
    assert read_to_close(silent) == b""
    assert read_to_close(partial) == b""
    # a complete request on a fresh connection is still answered
    sock = connect(server.port)
    sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    ((status, _, body),) = responses(read_to_close(sock))
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_a_slow_head_after_a_kept_alive_answer_is_closed(
    served: list[Served], connect: Connect
) -> None:
    server = Served("--head-timeout", "0.5")
    served.append(server)
    sock = connect(server.port)
    sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 ")
    # a byte at a time, each within uvicorn's keep-alive timeout but never a whole head
    closed = False
    for byte in b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n":
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        time.sleep(0.1)
    assert closed or read_to_close(sock) == b""


# --- pipelined requests before a malformed one ----------------------------------------


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def test_pipelined_requests_are_answered_before_the_400(mock: MockServer, connect: Connect) -> None:
    sock = connect(mock.port)
    sock.sendall(
        b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
        b"GET "
        + PAI_MODEL.encode()
        + b" HTTP/1.1\r\nHost: localhost\r\nX-Mock-Delay-Ms: 200\r\n\r\n"
        b"GET /api/v1/models/a b HTTP/1.1\r\nHost: localhost\r\n\r\n"
    )
    answers = responses(read_to_close(sock))
    assert [status for status, _, _ in answers] == [200, 200, 400]
    assert json.loads(answers[0][2])["status"] == "ok"
    assert json.loads(answers[1][2])["ModelId"] == "model-rbvg5wzljz****ks92"
    status, headers, body = answers[2]
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert json.loads(body)["Code"] == "InvalidParameter"


def test_a_head_too_large_after_a_pipelined_request_is_refused_once(
    mock: MockServer, connect: Connect
) -> None:
    """The refusal waits for the earlier answer; the parser it stopped must not refuse
    the same request again as unparsable (two journal entries, the wrong message)."""
    sock = connect(mock.port)
    sock.sendall(
        b"GET " + PAI_MODEL.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
        b"X-Mock-Delay-Ms: 300\r\n\r\n"
        b"GET /api/v1/models/x HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"
    )
    answers = responses(read_to_close(sock))
    assert [status for status, _, _ in answers] == [200, 400]
    assert "larger than the 65536 bytes" in json.loads(answers[1][2])["Message"]
    journal = mock.requests()
    assert [r["status"] for r in journal if r["path"] == "/api/v1/models/x"] == [400]


def test_a_malformed_request_alone_is_still_answered_at_once(
    mock: MockServer, connect: Connect
) -> None:
    sock = connect(mock.port)
    sock.sendall(b"GET /api/v1/models/a b HTTP/1.1\r\nHost: localhost\r\n\r\n")
    ((status, _, body),) = responses(read_to_close(sock))
    assert status == 400 and json.loads(body)["Code"] == "InvalidParameter"


def test_a_bad_body_after_a_pipelined_request_gets_the_400_last(
    mock: MockServer, connect: Connect
) -> None:
    sock = connect(mock.port)
    sock.sendall(
        b"GET "
        + PAI_MODEL.encode()
        + b" HTTP/1.1\r\nHost: localhost\r\nX-Mock-Delay-Ms: 100\r\n\r\n"
        b"POST /_mock/reset HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\n"  # not a chunk size
    )
    answers = responses(read_to_close(sock))
    assert [status for status, _, _ in answers] == [200, 400]
    assert json.loads(answers[1][2])["code"] == "BadRequest"


# --- shutdown while a request waits ---------------------------------------------------


def test_sigterm_does_not_wait_for_a_delayed_request(
    served: list[Served], connect: Connect
) -> None:
    server = Served()
    served.append(server)
    sock = connect(server.port)
    sock.sendall(
        b"GET "
        + PAI_MODEL.encode()
        + b" HTTP/1.1\r\nHost: localhost\r\nX-Mock-Delay-Ms: 60000\r\n\r\n"
    )
    time.sleep(0.5)  # the request is read and waiting
    server.process.send_signal(signal.SIGTERM)
    code, log = server.finish(timeout=20)  # before: the full minute of the delay
    assert code == 0
    assert read_to_close(sock) == b""  # the waiting request's connection is closed
    assert "Traceback" not in log
    assert log.count("mockserver stopped") == 1


# --- Ctrl+C ---------------------------------------------------------------------------


def test_ctrl_c_stops_cleanly(served: list[Served]) -> None:
    server = Served()
    served.append(server)
    server.signal_group(signal.SIGINT)
    code, log = server.finish()
    assert code == 0, log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log
    assert [line for line in log.splitlines() if "stopped" in line] == [
        "INFO:     mockserver stopped"
    ]


def test_ctrl_c_on_make_serve_prints_no_interrupt(tmp_path: Path, served: list[Served]) -> None:
    """make reports a recipe that ends by a signal or non-zero ("make: *** [...]
    Interrupt"); the README's `make serve` runs the command as its only recipe line."""
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"serve:\n\t{sys.executable} -m mockserver serve --port 0\n")
    server = Served(command=["make", "--no-print-directory", "-f", str(makefile), "serve"])
    served.append(server)
    server.signal_group(signal.SIGINT)
    code, log = server.finish()
    assert server.process.stdout is not None
    log += server.process.stdout.read()
    server.process.stdout.close()
    assert "make: ***" not in log and "Traceback" not in log
    assert log.count("mockserver stopped") == 1
    assert code == -signal.SIGINT  # make itself, told to stop, stops (silently)


def _workers(pid: int) -> list[int]:
    """Worker processes of `serve` process `pid` (Linux /proc): its children that run
    multiprocessing's spawn_main (not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie left for a parent that does not reap."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for_workers(parent: int, count: int) -> list[int]:
    deadline = time.monotonic() + WAIT
    while len(workers := _workers(parent)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return workers


def test_ctrl_c_with_workers_stops_cleanly(served: list[Served]) -> None:
    server = Served("--workers", "2")
    served.append(server)
    workers = _wait_for_workers(server.process.pid, 2)
    server._wait_for("Application startup complete")
    server.signal_group(signal.SIGINT)
    code, log = server.finish()
    assert code == 0, log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log
    assert log.count("mockserver stopped") == 1
    assert len(workers) == 2
    assert not [pid for pid in workers if _alive(pid)]  # the parent waited for them


# --- workers whose parent is killed ---------------------------------------------------


def test_workers_exit_when_the_parent_is_killed(served: list[Served]) -> None:
    server = Served("--workers", "2")
    served.append(server)
    workers = _wait_for_workers(server.process.pid, 2)
    assert len(workers) >= 2
    try:
        server.process.kill()  # kill -9: the parent cannot tell anyone
        server.process.wait(timeout=WAIT)
        deadline = time.monotonic() + WAIT
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)]
        # and the port is free for the next start
        socket.create_server(("127.0.0.1", server.port)).close()
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


# --- closed pipes ---------------------------------------------------------------------


def _head_of(*args: str) -> tuple[int, str]:
    """`mockserver ARGS | head -1`: the first line read, then the pipe closed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    code = process.wait(timeout=WAIT)
    err = process.stderr.read()
    process.stderr.close()
    return code, err


def test_openapi_into_a_closed_pipe_exits_quietly() -> None:
    code, err = _head_of("openapi")
    assert (code, err) == (0, "")


def test_check_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    (tmp_path / "pai").mkdir()
    records = "".join(f"  - ModelId: {i}\n" for i in range(3000))  # ~500 KB of problems
    (tmp_path / "pai" / "m.yaml").write_text("models:\n" + records, encoding="utf-8")
    code, err = _head_of("check", str(tmp_path))
    assert code == 1  # problems were found, even if not all were read
    assert "Traceback" not in err and "BrokenPipeError" not in err


# --- a busy port and out-of-range options ---------------------------------------------


def test_a_busy_port_is_one_line_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"mockserver serve: error: 127.0.0.1:{port} is already in use (is another "
        "mockserver running?); choose another port with --port (--port 0 takes any free one)"
    ]


def test_an_unknown_host_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "no-such-host.invalid", "--port", "0"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("mockserver serve: error: cannot listen on no-such-host.invalid:0: ")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--port", "99999", "must be from 0 to 65535, not 99999"),
        ("--port", "-5", "must be from 0 to 65535, not -5"),
        ("--port", "80a", "not a whole number: '80a'"),
        ("--port", "8_000", "not a whole number: '8_000'"),
        ("--generate", "-1", "must be from 0 to 1000000, not -1"),
        ("--generate", "10000000000", "must be from 0 to 1000000, not 10000000000"),
        ("--journal-size", "9" * 30, "not a whole number"),
        ("--journal-size", "0", "must be from 1 to 1000000, not 0"),
        ("--workers", "0", "must be from 1 to 64, not 0"),
        ("--workers", "65", "must be from 1 to 64, not 65"),
        ("--seed", "-1", "must be from 0 to 18446744073709551615, not -1"),
        ("--seed", "1e3", "not a whole number: '1e3'"),
        ("--head-timeout", "0", "must be more than 0 and at most 3600 seconds, not 0"),
        ("--head-timeout", "nan", "must be more than 0 and at most 3600 seconds, not nan"),
        ("--head-timeout", "inf", "must be more than 0 and at most 3600 seconds, not inf"),
        ("--head-timeout", "soon", "not a number of seconds: 'soon'"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"mockserver serve: error: argument {option}: {message}" in err
    assert "Traceback" not in err
