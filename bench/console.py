"""Benchmark: what an open console costs the requests it watches.

    python bench/console.py [--requests 3000]

Runs the mock in-process (MockServer) and sends PAI ListModelVersions requests one after
another over one keep-alive connection: with no console open, with one console reading
its event stream, and with one that reads nothing (its socket's buffers fill, then its
backlog stays at its bound and the rest is skipped). Prints requests/s for each, their
ratio to the first, and the stuck console's backlog (entries, bytes, skipped) at the end.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time

import httpx

from mockserver import MockServer

PATH = "/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92/versions"


def rate(client: httpx.Client, url: str, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        if client.get(url).status_code != 200:
            raise SystemExit("a request failed")
    return n / (time.perf_counter() - started)


def reader(server: MockServer, stop: threading.Event) -> None:
    """A console that keeps up: reads every event until told to stop."""
    with httpx.stream("GET", server.url_for("/_mock/events"), timeout=30) as response:
        for _ in response.iter_bytes():
            if stop.is_set():
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    n = parser.parse_args().requests
    with MockServer() as server, httpx.Client() as client:
        url = server.url_for(PATH)
        rate(client, url, 200)  # warm: routes matched, answers cached
        alone = rate(client, url, n)
        print(f"no console        {alone:9.0f} requests/s")

        stop = threading.Event()
        thread = threading.Thread(target=reader, args=(server, stop), daemon=True)
        thread.start()
        while not server.app.feed.subscribers:
            time.sleep(0.01)
        watched = rate(client, url, n)
        stop.set()
        client.get(url)  # one more event, so the reader sees the flag
        thread.join(5)
        print(f"a console reading {watched:9.0f} requests/s  ({watched / alone:.2f} of none)")
        while server.app.feed.subscribers:
            time.sleep(0.01)

        with socket.socket() as stuck:
            stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stuck.connect((server.settings.host, server.port))
            stuck.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            while not server.app.feed.subscribers:
                time.sleep(0.01)
            subscriber = server.app.feed.subscribers[0]
            behind = rate(client, url, n)
            print(f"a console stuck   {behind:9.0f} requests/s  ({behind / alone:.2f} of none)")
            print(
                f"its backlog: {len(subscriber.requests)} entries (at most "
                f"{subscriber.entries}), {subscriber.held} bytes (at most {subscriber.budget}), "
                f"{subscriber.skipped} skipped"
            )


if __name__ == "__main__":
    main()
