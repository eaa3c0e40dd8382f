"""The CPU cost of one request, in process: the mock as `serve` runs it against the bare app.

    python bench/inproc.py [--requests 20000] [--connections 32] [--rounds 5]
    python bench/inproc.py --only mock --case list --profile   # where the time goes
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call \
        python bench/inproc.py --only mock --case list --rounds 1 --requests 2000

No sockets and no load generator: each server's own protocol (the mock's `HttpTools`
with its default options, access log on; uvicorn's httptools protocol for the bare app)
is fed the bytes of `--connections` requests at a time, one per connection, on a uvloop
loop, and the loop runs until all are answered, as a server at c=32 does. What is timed
is the process's CPU time per request, so other processes on a busy machine hardly move
it, and under callgrind the instruction counts of two versions can be compared exactly.
The ratio bare/mock is what the throughput ratio would be if the socket's system calls
cost nothing; the load test (bench/bench.py) measures the real thing.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import logging
import logging.config
import operator
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))  # the mock: from PYTHONPATH (or installed)

from bench import GET_MODEL, LIST_DEPLOYMENTS, LIST_VERSIONS  # noqa: E402

CASES = {"get": GET_MODEL, "list": LIST_VERSIONS, "deployments": LIST_DEPLOYMENTS}


class Transport(asyncio.Transport):
    """A connection's transport that keeps nothing: writes are counted, not sent."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50412), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def write(self, data: Any) -> None:
        self.written += len(data)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Counted(ServerState):
    """uvicorn's server state, waking the driver once `target` requests are answered."""

    target = 0
    waiter: asyncio.Future[None] | None = None
    _total = 0

    @property  # type: ignore[override]
    def total_requests(self) -> int:
        return self._total

    @total_requests.setter
    def total_requests(self, value: int) -> None:
        self._total = value
        if value >= self.target and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class Driven:
    """One server's protocol on `connections` fake connections."""

    def __init__(self, config: uvicorn.Config, protocol: Any, connections: int) -> None:
        self.loop = uvloop.new_event_loop()
        asyncio.set_event_loop(self.loop)
        config.load()
        self.state = Counted()
        self.protocols = []
        for _ in range(connections):
            conn = protocol(config=config, server_state=self.state, app_state={}, _loop=self.loop)
            conn.connection_made(Transport())
            self.protocols.append(conn)

    def run(self, request: bytes, count: int) -> None:
        """`count` requests, one per connection at a time, each batch answered in full."""
        self.loop.run_until_complete(self._drive(request, count))

    async def _drive(self, request: bytes, count: int) -> None:
        state, protocols, loop = self.state, self.protocols, self.loop
        for _ in range(-(-count // len(protocols))):
            state.target = state.total_requests + len(protocols)
            state.waiter = loop.create_future()
            for conn in protocols:
                conn.data_received(request)
            await state.waiter


def mock_server(connections: int) -> Driven:
    from mockserver.app import create_app
    from mockserver.server import HttpTools, log_config, options
    from mockserver.settings import Settings

    settings = Settings()
    logging.config.dictConfig(log_config(settings.log_level))
    app = create_app(settings)
    gc.freeze()  # as `serve` does: the loaded data is out of later collections
    opts = options(settings.log_level)
    opts.pop("http")
    config = uvicorn.Config(app, log_config=log_config(settings.log_level), **opts)
    return Driven(config, HttpTools, connections)


def bare_server(connections: int, bodies: dict[str, str]) -> Driven:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(bodies, handle)
    os.environ["BENCH_RESPONSES"] = handle.name
    try:
        import bare
    finally:
        os.unlink(handle.name)
    # as bench.py starts it: uvicorn's defaults, --log-level warning --no-access-log
    config = uvicorn.Config(bare.app, log_level="warning", access_log=False)
    return Driven(config, HttpToolsProtocol, connections)


def request_bytes(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n".encode()


def cpu_us(server: Driven, request: bytes, count: int, warm_up: int = 1000) -> float:
    server.run(request, warm_up)  # first use: caches, bytecode, memo
    started = time.process_time()
    operator.call(server.run, request, count)  # what callgrind's --toggle-collect counts
    return (time.process_time() - started) / max(count, 1) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (best shown)")
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--only", choices=["mock", "bare", "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile the mock's rounds")
    args = parser.parse_args()
    servers: dict[str, Driven] = {}
    stderr = sys.stderr
    with open(os.devnull, "w") as devnull:
        sys.stderr = devnull  # the access log goes there, as in bench.py
        try:
            best, profiler = measure(args, servers)
        finally:
            if "mock" in servers:
                from mockserver.server import _flush_all

                _flush_all()  # the lines still held go to /dev/null, not to the terminal
            sys.stderr = stderr
    cases = CASES if args.case == "all" else {args.case: CASES[args.case]}
    print(f"CPU us per request, best of {args.rounds} rounds, c={args.connections}")
    for case in cases:
        figures = "  ".join(f"{n} {best[(case, n)]:6.1f}" for n in servers)
        ratio = (
            f"  ratio bare/mock {best[(case, 'bare')] / best[(case, 'mock')]:.3f}"
            if len(servers) == 2
            else ""
        )
        print(f"  {case:<12} {figures}{ratio}")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
        print(out.getvalue())
    return 0


def measure(
    args: argparse.Namespace, servers: dict[str, Driven]
) -> tuple[dict[tuple[str, str], float], cProfile.Profile | None]:
    """The best CPU time per request of each case and server over the rounds."""
    cases = CASES if args.case == "all" else {args.case: CASES[args.case]}
    if args.only in ("mock", "both"):
        servers["mock"] = mock_server(args.connections)
    if args.only in ("bare", "both"):
        bodies = {}
        if "mock" in servers:  # the same bytes the mock sends
            bodies = _bodies(servers["mock"], cases)
        servers["bare"] = bare_server(args.connections, bodies)
    best: dict[tuple[str, str], float] = {}
    profiler = cProfile.Profile() if args.profile else None
    for _ in range(args.rounds):
        for case, path in cases.items():
            for name, server in servers.items():
                if profiler is not None and name == "mock":
                    profiler.enable()
                took = cpu_us(server, request_bytes(path), args.requests)
                if profiler is not None:
                    profiler.disable()
                best[(case, name)] = min(best.get((case, name), took), took)
    return best, profiler


def _bodies(mock: Driven, cases: dict[str, str]) -> dict[str, str]:
    """Each case's body as the mock sends it, keyed as bench/bare.py looks it up."""
    from urllib.parse import unquote

    bodies = {}
    for path in cases.values():
        captured: list[bytes] = []
        conn = mock.protocols[0]
        write = conn.transport._transport.write
        conn.transport._transport.write = captured.append
        try:
            mock.run(request_bytes(path), 1)
        finally:
            conn.transport._transport.write = write
        bodies[unquote(path.split("?")[0])] = b"".join(captured).partition(b"\r\n\r\n")[2].decode()
    return bodies


if __name__ == "__main__":
    sys.exit(main())
