"""Benchmark: `--auth verify` throughput as the signature-nonce store fills.

    python bench/auth.py [--requests 100000] [--window 10000]

Starts `mockserver serve --auth verify` (pinned to core 0 when `taskset` exists) and sends
PAI GetModel requests one after another over one keep-alive connection, each signed by
the SDK's own signer (tea-openapi `Utils.get_authorization`, as tests/sdk does) with a
fresh nonce, so every request adds one nonce to the store. Prints requests/s over the
first and the last `--window` requests and their ratio (last/first; 1.0 is flat), and
the server's RSS at the end, and the nonce store's own cost per nonce, empty and
holding as many nonces as the run sent. Every request must answer 200: a refusal stops
the run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
from alibabacloud_tea_openapi.utils import Utils

import bench as harness  # bench/bench.py: the server start-up both benchmarks share

KEY, SECRET = "LTAI-bench", "bench-secret"
PATH = "/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def signed(port: int) -> dict[str, str]:
    """GetModel headers signed like the PAI SDK signs them, with a fresh nonce."""
    headers = {
        "host": f"127.0.0.1:{port}",
        "x-acs-version": "2021-02-04",
        "x-acs-action": "GetModel",
        "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": EMPTY_SHA256,
        "accept": "application/json",
    }
    request = SimpleNamespace(method="GET", pathname=PATH, query={}, headers=headers)
    headers["Authorization"] = Utils.get_authorization(
        request, "ACS3-HMAC-SHA256", EMPTY_SHA256, KEY, SECRET
    )
    return headers


def run(port: int, total: int, window: int) -> list[float]:
    """Seconds taken by each consecutive block of `window` requests."""
    blocks: list[float] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        started = time.perf_counter()
        for done in range(1, total + 1):
            response = client.get(PATH, headers=signed(port))
            if response.status_code != 200:
                raise SystemExit(f"request {done}: {response.status_code} {response.text}")
            if done % window == 0:
                now = time.perf_counter()
                blocks.append(now - started)
                started = now
                print(f"  {done:>7} requests: {window / blocks[-1]:7.0f} req/s", flush=True)
    return blocks


def store_cost(held: int, uses: int = 10_000) -> tuple[float, float]:
    """Microseconds per NonceStore.use with an empty store and with `held` nonces in it:
    the store's own cost, apart from HTTP and the machine's load."""
    from mockserver.core.auth import NonceStore

    def per_use(store: NonceStore) -> float:
        moment = datetime.now(UTC)
        fresh = [uuid.uuid4().hex for _ in range(uses)]
        started = time.perf_counter()
        for nonce in fresh:
            store.use(nonce, moment)
        return (time.perf_counter() - started) / uses * 1e6

    per_use(NonceStore())  # warm up
    empty = per_use(NonceStore())
    full = NonceStore()
    moment = datetime.now(UTC)
    for _ in range(held):
        full.use(uuid.uuid4().hex, moment)
    return empty, per_use(full)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=10_000)
    args = parser.parse_args()
    if args.requests < 2 * args.window or args.window < 1:
        parser.error("--requests must be at least twice --window")
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {int(harness.LOAD_CORE)})
    port = harness.free_port()
    command = harness.mock_command(port, "--auth", "verify", "--credential", f"pai:{KEY}:{SECRET}")
    with harness.server(command, port, "/_mock/health") as (process, _):
        blocks = run(port, args.requests, args.window)
        rss = harness.rss_mb(process.pid)
    first, last = args.window / blocks[0], args.window / blocks[-1]
    print(f"verify mode, {args.requests} signed requests, one connection, {sys.platform}")
    print(f"first {args.window}: {first:.0f} req/s")
    print(f"last {args.window}:  {last:.0f} req/s")
    print(f"ratio last/first: {last / first:.2f} (1.0 is flat)")
    print(f"server RSS at the end: {rss:.0f} MB")
    empty, held = store_cost(args.requests)
    print(
        f"nonce store alone: {empty:.2f} us per nonce when empty, {held:.2f} us with "
        f"{args.requests} held (ratio {held / empty:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
