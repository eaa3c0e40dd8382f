"""Stall bench: do control-plane writes and reads hold up vendor traffic?

    python bench/stall.py [--generate 100000] [--clients 4] [--repeat 3]

Starts `mockserver serve --generate N` (default options otherwise) on 127.0.0.1, keeps
a steady stream of vendor requests going over keep-alive connections, then performs, one
at a time: adding one record (a PAI version of the 100,000-version model, a DashScope
deployment), a reset, GET /_mock/data without parameters, and pages of 10,000 records.
For each it prints how long it took and the longest latency of any vendor request in
flight while it ran, with met/MISS against 50 ms; the exit status is 1 on a miss. A
quiet stretch first shows the latency of vendor traffic alone, as a yardstick.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 50.0
VENDOR_PATHS = (
    "/api/v1/models/model-generated",
    "/api/v1/models/model-generated/versions?PageSize=10&Order=DESC",
    "/api/v1/models/model-generated/versions?FormatType=ONNX&PageNumber=3",
    "/v1/workspaces/default/models?visibility=ALL&limit=10",
    "/api/v1/org/example/models/example/versions",
    "/api/v1/deployments?page_size=10",
)


@dataclass
class Traffic:
    """Every vendor request done: (sent, answered) in monotonic seconds."""

    spans: list[tuple[float, float, str]] = field(default_factory=list)
    errors: int = 0
    stop: bool = False

    def worst_during(self, start: float, end: float) -> tuple[float, str]:
        """The longest latency, in ms, of requests in flight at some point in [start, end],
        and that request's path."""
        overlapping = [(b - a, path) for a, b, path in self.spans if b >= start and a <= end]
        took, path = max(overlapping, default=(0.0, "-"))
        return took * 1000, path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def vendor_client(port: int, traffic: Traffic, offset: int) -> None:
    """One keep-alive connection sending vendor requests back to back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    while not traffic.stop:
        path = VENDOR_PATHS[i % len(VENDOR_PATHS)]
        i += 1
        sent = time.monotonic()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        traffic.spans.append((sent, time.monotonic(), path))
        if not head.startswith(b"HTTP/1.1 200"):
            traffic.errors += 1
        await asyncio.sleep(0.002)  # steady, not saturating: gaps show the server's stalls
    writer.close()


async def call(port: int, method: str, path: str, body: object = None) -> tuple[int, int]:
    """A control-plane request on its own connection: status and response size.

    Asynchronous like the vendor traffic, not in a thread: a thread reading megabytes
    would hold this process's GIL and show its own waits as the server's.
    """
    data = b"" if body is None else json.dumps(body).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    writer.write(head.encode() + data)
    size = 0
    first = await reader.readline()
    while chunk := await reader.read(1 << 16):
        size += len(chunk)
    writer.close()
    return int(first.split()[1]), size


def version(i: int) -> dict[str, object]:
    return {
        "ModelId": "model-generated",
        "VersionName": f"900.0.{i}",
        "GmtCreateTime": "2030-01-01T00:00:00Z",
        "GmtModifiedTime": "2030-01-01T00:00:00Z",
        "Uri": "oss://bench/",
        "FormatType": "ONNX",
        "SourceType": "Custom",
    }


def deployment(i: int) -> dict[str, object]:
    return {
        "deployed_model": f"qwen-plus-bench{i}",
        "gmt_create": "2030-01-01T00:00:00",
        "gmt_modified": "2030-01-01T00:00:00",
        "status": "RUNNING",
        "model_name": "qwen-plus",
        "base_model": "qwen-plus",
        "base_capacity": 1,
        "capacity": 1,
        "ready_capacity": 1,
        "workspace_id": "llm-v71tlv3d***",
        "charge_type": "post_paid",
        "creator": "1",
        "modifier": "1",
    }


async def measure(
    traffic: Traffic, name: str, action: Callable[[], Awaitable[str]]
) -> tuple[str, float, tuple[float, str], str]:
    await asyncio.sleep(0.3)  # settle: requests of the previous step are long done
    start = time.monotonic()
    outcome = await action()
    end = time.monotonic()
    await asyncio.sleep(0.1)  # requests in flight at the end finish
    return name, (end - start) * 1000, traffic.worst_during(start, end), outcome


async def run(
    port: int, clients: int, repeat: int
) -> list[tuple[str, float, tuple[float, str], str]]:
    traffic = Traffic()
    tasks = [asyncio.create_task(vendor_client(port, traffic, i)) for i in range(clients)]

    def control(method: str, path: str, body: object = None) -> Callable[[], Awaitable[str]]:
        async def action() -> str:
            status, size = await call(port, method, path, body)
            return f"{status}, {size:,} bytes"

        return action

    async def quiet() -> str:
        await asyncio.sleep(1.0)
        return "vendor traffic alone"

    await asyncio.sleep(2.0)  # warm-up: the first request of each kind makes its views
    results = [await measure(traffic, "quiet 1 s (yardstick)", quiet)]
    for r in range(repeat):
        results += [
            await measure(
                traffic,
                "add 1 PAI version",
                control("POST", "/_mock/data/pai/versions", version(r)),
            ),
            await measure(
                traffic,
                "add 1 DashScope deployment",
                control("POST", "/_mock/data/dashscope/deployments", deployment(r)),
            ),
            await measure(traffic, "reset", control("POST", "/_mock/reset")),
            await measure(traffic, "GET /_mock/data", control("GET", "/_mock/data")),
            await measure(
                traffic,
                "GET /_mock/data page of 10,000",
                control("GET", "/_mock/data?vendor=pai&collection=versions&limit=10000"),
            ),
        ]
    traffic.stop = True
    await asyncio.gather(*tasks)
    print(f"vendor requests: {len(traffic.spans):,}, errors: {traffic.errors}")
    return results


def serve_generated(port: int, generate: int) -> subprocess.Popen[bytes]:
    """`start_server`, saying how long the start took (what every bench here prints)."""
    began = time.monotonic()
    process = start_server(port, generate)
    print(f"serve --generate {generate}: ready in {time.monotonic() - began:.1f} s")
    return process


def start_server(port: int, generate: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
    # default options (access log on), its lines to /dev/null as in bench.py: the figures
    # are what this prints, not thousands of request lines
    process = subprocess.Popen(
        [*command, "--generate", str(generate)], env=env, cwd=ROOT, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_mock/health", timeout=2).read()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the server exited during start-up") from None
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the server did not start within 10 minutes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    process = serve_generated(port, args.generate)
    try:
        results = asyncio.run(run(port, args.clients, args.repeat))
    finally:
        process.terminate()
        process.wait(timeout=30)
    missed = False
    print(f"{'step':34} {'took ms':>9} {'worst vendor ms':>16}  target {TARGET_MS:.0f} ms")
    for name, took, (worst, path), outcome in results:
        verdict = "" if name.startswith("quiet") else ("met" if worst <= TARGET_MS else "MISS")
        missed = missed or verdict == "MISS"
        print(f"{name:34} {took:9.1f} {worst:16.1f}  {verdict:5} ({outcome}; worst: {path})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
