"""Memory under distinct requests: does anything a client can vary grow the server?

    python bench/memory.py [--requests 300000] [--paths 10000] [--connections 4]

Runs `mockserver serve` with its default options in a subprocess and drives it over
loopback with a few keep-alive raw-socket clients (bounded: exactly --requests
requests). Every query string is distinct (filters with new values, an ignored padding
parameter), and --paths distinct paths are spread over them (unknown model ids under
PAI and Dreadnode, unknown Huawei workspaces, paths no vendor owns). The loaded state
is the server after start and a warm-up of the same mix (--warmup requests, the
journal full); the target is growth below 20 MB over it. Prints RSS at start, loaded
and after, and the target as met or MISS; exit status 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 20.0
PAD = "p" * 200  # an ignored parameter: queries of a realistic few hundred bytes
MODEL = "model-rbvg5wzljz%2A%2A%2A%2Aks92"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def target(n: int, paths: int, total: int) -> str:
    """The n-th request's target: a distinct query, and every (total // paths)-th a new path."""
    every = max(1, total // paths) if paths else 0
    if every and n % every == 0 and n // every < paths:
        j = n // every
        return (
            f"/api/v1/models/model-unknown-{j}",  # PAI GetModel: 404, a matched route
            f"/api/v1/org/example/models/unknown-{j}/versions",  # Dreadnode: 404
            f"/v1/workspaces/ws-{j}/models",  # Huawei: unknown workspace, 404
            f"/nothing/here/{j}",  # no vendor's prefix: neutral 404
        )[j % 4] + f"?n={n}"
    return (
        f"/api/v1/models/{MODEL}/versions?PageSize=10&VersionName=9.{n}.0&pad={PAD}",
        f"/api/v1/models/{MODEL}/versions?PageNumber=1&SourceId=id-{n}&pad={PAD}",
        f"/api/v1/models/{MODEL}/versions?Order=DESC&n={n}&pad={PAD}",
        f"/v1/workspaces/default/models?name=n{n}&visibility=ALL&pad={PAD}",
        f"/v1/workspaces/default/models?limit=10&n={n}&pad={PAD}",
        f"/api/v1/deployments?page_no=1&page_size=10&n={n}&pad={PAD}",
        f"/api/v1/org/example/models/example/versions?n={n}&pad={PAD}",
    )[n % 7]


async def client(
    port: int, numbers: range, paths: int, total: int, statuses: dict[int, int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for n in numbers:
            path = target(n, paths, total)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            found = re.search(rb"content-length: (\d+)", head, re.I)
            await reader.readexactly(int(found.group(1)) if found else 0)
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def drive(port: int, first: int, count: int, paths: int, connections: int) -> dict[int, int]:
    """`count` requests numbered from `first`, split over `connections` clients."""
    statuses: dict[int, int] = {}
    total = first + count
    step = -(-count // connections)
    slices = [
        range(first + i * step, min(total, first + (i + 1) * step)) for i in range(connections)
    ]

    async def run() -> None:
        await asyncio.gather(*(client(port, s, paths, count, statuses) for s in slices))

    asyncio.run(run())
    return statuses


def wait_ok(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300_000)
    parser.add_argument("--paths", type=int, default=10_000, help="distinct paths among them")
    parser.add_argument("--warmup", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()

    port = free_port()
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        wait_ok(f"http://127.0.0.1:{port}/_mock/health", process)
        start = rss_mb(process.pid)
        # the warm-up uses numbers after the measured run's: no request repeats
        drive(port, args.requests, args.warmup, 0, args.connections)
        loaded = rss_mb(process.pid)
        started = time.monotonic()
        statuses = drive(port, 0, args.requests, args.paths, args.connections)
        seconds = time.monotonic() - started
        after = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)

    growth = after - loaded
    met = growth < TARGET_MB
    shown = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    print(
        f"memory: {args.requests} requests, all query strings distinct, {args.paths} distinct "
        f"paths, {args.connections} connections, {args.requests / seconds:.0f} req/s "
        f"(statuses {shown})"
    )
    print(
        f"memory: RSS {start:.1f} MB at start, {loaded:.1f} MB loaded (after {args.warmup} "
        f"warm-up requests), {after:.1f} MB after: {growth:+.1f} MB, "
        f"ratio after/loaded {after / loaded:.2f}"
    )
    print(
        f"  {'met ' if met else 'MISS'}  RSS growth over the loaded state "
        f"{growth:+.1f} MB  < {TARGET_MB:g} MB"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
