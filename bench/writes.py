"""Writes bench: what a PAI write costs with a large data set, and whether it stalls reads.

    python bench/writes.py [--generate 100000] [--pairs 300] [--clients 4]

Starts `mockserver serve --generate N` (how users run it) on 127.0.0.1. Then:

1. pairs: on one keep-alive connection, CreateModelVersion on `model-generated` (the model
   with N versions) followed by ListModelVersions of that model, timed as a pair; p50,
   p90 and max against the 5 ms p50 target, beside a ListModelVersions alone (its ratio
   says what the write adds);
2. stalls: with steady vendor traffic on other connections (as bench/stall.py), each PAI
   write one at a time, with how long it took and the longest latency of any vendor
   request in flight meanwhile, against 50 ms.

Prints the figures and met/MISS; the exit status is 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time

from stall import Traffic, free_port, measure, serve_generated, vendor_client

PAIR_TARGET_MS = 5.0
STALL_TARGET_MS = 50.0
MODEL = "/api/v1/models/model-generated"


class Connection:
    """One keep-alive HTTP/1.1 connection: request, then read the whole answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + data)
        answer = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in answer.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return int(answer.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def summary(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    return (
        statistics.median(ordered),
        ordered[int(len(ordered) * 0.9)],
        ordered[-1],
    )


async def pairs(port: int, count: int) -> tuple[list[float], list[float]]:
    """(pair times, list-alone times) in ms."""
    connection = await Connection.open(port)
    listing = f"{MODEL}/versions"
    for _ in range(20):  # warm: the first create finds the highest version name once
        await connection.send("GET", listing)
    alone = []
    for _ in range(count):
        start = time.perf_counter()
        status, _ = await connection.send("GET", listing)
        alone.append((time.perf_counter() - start) * 1000)
        assert status == 200
    together = []
    for i in range(count):
        start = time.perf_counter()
        status, body = await connection.send(
            "POST", f"{MODEL}/versions", {"Uri": f"oss://bench/{i}", "FormatType": "ONNX"}
        )
        listed, _ = await connection.send("GET", listing)
        together.append((time.perf_counter() - start) * 1000)
        assert (status, listed) == (200, 200), body
    connection.close()
    return together, alone


async def stalls(port: int, clients: int) -> list[tuple[str, float, tuple[float, str], str]]:
    traffic = Traffic()
    tasks = [asyncio.create_task(vendor_client(port, traffic, i)) for i in range(clients)]
    connection = await Connection.open(port)

    def write(method: str, path: str, body: object = None) -> object:
        async def action() -> str:
            status, answer = await connection.send(method, path, body)
            return f"{status}, {len(answer)} bytes"

        return action

    created = json.loads((await connection.send("POST", "/api/v1/models", {"ModelName": "b"}))[1])
    new_model = f"/api/v1/models/{created['ModelId']}"
    steps = [
        ("CreateModelVersion (N versions)", "POST", f"{MODEL}/versions", {"Uri": "oss://b/x"}),
        ("UpdateModelVersion", "PUT", f"{MODEL}/versions/0.0.7", {"ApprovalStatus": "Approved"}),
        (
            "CreateModelVersionLabels",
            "POST",
            f"{MODEL}/versions/0.0.7/labels",
            {"Labels": [{"Key": "k", "Value": "v"}]},
        ),
        ("DeleteModelVersionLabels", "DELETE", f"{MODEL}/versions/0.0.7/labels?LabelKeys=k", None),
        ("DeleteModelVersion", "DELETE", f"{MODEL}/versions/0.0.9", None),
        ("CreateModel", "POST", "/api/v1/models", {"ModelName": "bench"}),
        ("UpdateModel", "PUT", MODEL, {"ModelDescription": "benched"}),
        ("CreateModelVersion (new model)", "POST", f"{new_model}/versions", {"Uri": "oss://b/"}),
        ("DeleteModel (one version)", "DELETE", new_model, None),
    ]
    await asyncio.sleep(2.0)  # warm-up: the first request of each kind makes its views
    results = [await measure(traffic, "quiet (yardstick)", _quiet)]
    for name, method, path, body in steps:
        results.append(await measure(traffic, name, write(method, path, body)))  # type: ignore[arg-type]
    traffic.stop = True
    await asyncio.gather(*tasks)
    connection.close()
    print(f"vendor requests: {len(traffic.spans):,}, errors: {traffic.errors}")
    return results


async def _quiet() -> str:
    await asyncio.sleep(1.0)
    return "vendor traffic alone"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    port = free_port()
    process = serve_generated(port, args.generate)
    try:
        together, alone = asyncio.run(pairs(port, args.pairs))
        steps = asyncio.run(stalls(port, args.clients))
    finally:
        process.terminate()
        try:
            process.wait(timeout=120)  # a large data set takes a while to let go of
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    p50, p90, worst = summary(together)
    a50, a90, aworst = summary(alone)
    pair_met = p50 <= PAIR_TARGET_MS
    print(f"\n{'':38} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
    print(f"{'ListModelVersions alone':38} {a50:8.2f} {a90:8.2f} {aworst:8.2f}")
    print(f"{'CreateModelVersion + ListModelVersions':38} {p50:8.2f} {p90:8.2f} {worst:8.2f}")
    print(
        f"pair p50 / target {PAIR_TARGET_MS:.0f} ms: {p50 / PAIR_TARGET_MS:.2f} "
        f"({'met' if pair_met else 'MISS'}); pair / list alone: {p50 / a50:.1f}x"
    )
    missed = not pair_met
    print(f"\n{'write':34} {'took ms':>9} {'worst vendor ms':>16}  target {STALL_TARGET_MS:.0f} ms")
    for name, took, (stalled, path), outcome in steps:
        verdict = (
            "" if name.startswith("quiet") else ("met" if stalled <= STALL_TARGET_MS else "MISS")
        )
        missed = missed or verdict == "MISS"
        print(f"{name:34} {took:9.1f} {stalled:16.1f}  {verdict:5} ({outcome}; worst: {path})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
