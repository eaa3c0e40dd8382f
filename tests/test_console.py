"""The console at /_mock/: its page and assets, and the live stream GET /_mock/events.

Browser behaviour (the feed, the tables, the controls) is in tests/test_browser.py; here
the stream's events, their masking, the bounds a slow or gone page meets, and the hooks
that cost nothing while no page watches.
"""

from __future__ import annotations

import copy
import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver import MockServer
from mockserver.core.feed import Feed, Subscriber, shown_body
from mockserver.core.journal import CLIP, Journal, Tap
from mockserver.core.masking import MASK
from mockserver.openapi import example_url
from mockserver.vendors import VENDORS

STATIC = Path(__file__).resolve().parent.parent / "mockserver" / "static"
Event = tuple[str, Any]


class Stream:
    """An open GET /_mock/events, read event by event (a read timeout fails the test)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines

    def next(self) -> Event:
        name, data = "message", ""
        for line in self.lines:
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and data:
                return name, json.loads(data)
        raise AssertionError("the stream ended")

    def until(self, done: Callable[[list[Event]], bool], most: int = 500) -> list[Event]:
        seen: list[Event] = []
        while not done(seen):
            assert len(seen) < most, seen[-5:]
            seen.append(self.next())
        return seen


@contextmanager
def stream(server: MockServer) -> Iterator[Stream]:
    with httpx.stream("GET", server.url_for("/_mock/events"), timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        opened = Stream(response.iter_lines())
        name, hello = opened.next()
        assert name == "hello"
        assert hello["records"] == server.app.store.counts()
        assert set(hello["clock"]) == {"now", "time", "frozen", "offset_s"}
        yield opened


def requests_of(events: list[Event]) -> list[dict[str, Any]]:
    return [data for name, data in events if name == "request"]


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "not within 10 s"
        time.sleep(0.02)


def test_page_keeps_every_endpoint_and_loads_only_its_own_small_assets(
    mockserver: MockServer,
) -> None:
    page = httpx.get(mockserver.url_for("/_mock/"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    links = [link.replace("&amp;", "&") for link in _hrefs(html, 'class="try" href="')]
    assert links == [example_url(op) for v in VENDORS for op in v.operations if op.method == "GET"]
    assert html.count("<tr><td>") == sum(len(v.operations) for v in VENDORS)  # every one listed
    declared = json.loads(html.split('id="operations">')[1].split("</script>")[0])
    for v in VENDORS:
        shown = declared[v.name]
        assert shown["title"] == v.title
        assert shown["operations"] == [op.name for op in v.operations]
        assert shown["keys"] == {c.name: list(c.key) for c in v.collections}
        assert shown["statuses"] and set(shown["statuses"]) <= set(v.statuses)
        assert shown["outage"] in v.statuses  # what its outage switch answers
    assert list(declared) == [v.name for v in VENDORS]
    assets = _hrefs(html, 'src="') + _hrefs(html, 'rel="stylesheet" href="')
    assert len(assets) == 2
    total = len(html.encode())
    for asset in assets:
        assert asset.startswith("/_mock/static/console/"), asset  # nothing from a CDN
        answer = httpx.get(mockserver.url_for(asset))
        assert answer.status_code == 200
        total += len(answer.content)
    assert total < 48_000  # a few KB of our own: no framework


def _hrefs(html: str, before: str) -> list[str]:
    return [part.split('"')[0] for part in html.split(before)[1:]]


def test_a_missing_asset_is_the_neutral_json_404(mockserver: MockServer) -> None:
    answer = httpx.get(mockserver.url_for("/_mock/static/console/nothing.js"))
    assert answer.status_code == 404
    assert answer.json()["code"] == "NotFound"


def test_each_request_is_pushed_with_its_answer_and_secrets_masked(
    mockserver: MockServer,
) -> None:
    op = next(op for op in VENDORS[0].operations if op.name == "GetModel")  # a small answer
    url = mockserver.url_for(example_url(op))
    with stream(mockserver) as events:
        answer = httpx.get(
            url,
            params={"api_key": "sk-verysecretvalue", "PageSize": "5"},
            headers={"Authorization": "Bearer sk-verysecretvalue"},
        )
        httpx.get(mockserver.url_for(VENDORS[0].prefixes[0] + "/no/such/thing"))
        seen = requests_of(events.until(lambda s: len(requests_of(s)) == 2))
    first, missing = seen
    assert (first["vendor"], first["operation"], first["status"]) == (VENDORS[0].name, op.name, 200)
    assert first["method"] == "GET" and first["duration_ms"] >= 0
    assert first["query"] == {"api_key": MASK, "PageSize": "5"}
    assert first["headers"] == {"authorization": "Bearer sk-v" + MASK}
    assert "sk-verysecretvalue" not in json.dumps(seen)
    assert json.loads(first["answer"]) == answer.json()
    assert first["sent"] is None  # a GET without one
    assert first["auth"] is None and first["fault"] is None  # auth off, no fault
    assert missing["status"] == 404 and missing["operation"] is None
    assert missing["answer"] is not None and json.loads(missing["answer"])
    assert missing["id"] == first["id"] + 1
    # the journal itself is as before: no bodies kept there
    assert "answer" not in mockserver.requests()[-1]


@pytest.mark.mockserver(auth="check")
def test_the_auth_outcome_and_an_injected_fault_are_shown(mockserver: MockServer) -> None:
    dashscope = next(v for v in VENDORS if v.name == "dashscope")
    url = mockserver.url_for(example_url(dashscope.operations[0]))
    with stream(mockserver) as events:
        refused = httpx.get(url)
        passed = httpx.get(url, headers={"Authorization": "Bearer sk-anything"})
        faulted = httpx.get(
            url, headers={"Authorization": "Bearer sk-anything", "X-Mock-Status": "429"}
        )
        seen = requests_of(events.until(lambda s: len(requests_of(s)) == 3))
    assert [r.status_code for r in (refused, passed, faulted)] == [401, 200, 429]
    assert [e["auth"] for e in seen] == ["refused", "ok", None]
    assert (seen[2]["fault"]["source"], seen[2]["fault"]["status"]) == ("header", 429)


def test_writes_and_a_reset_announce_the_collections_they_changed(
    mockserver: MockServer,
) -> None:
    record = copy.deepcopy(mockserver.app.store.listing("pai", "models")[0])
    record["ModelId"] = "model-consoletest"
    with stream(mockserver) as events:
        added = httpx.post(mockserver.url_for("/_mock/data/pai/models"), json=record)
        assert added.status_code == 201
        seen = events.until(lambda s: any(n == "changed" for n, _ in s))
        assert ("changed", {"vendor": "pai", "collection": "models"}) in seen
        assert httpx.post(mockserver.url_for("/_mock/reset")).status_code == 200
        seen = events.until(lambda s: any(n == "changed" for n, _ in s))
        assert seen == [("changed", {"vendor": "pai", "collection": "models"})]


def test_fault_rules_and_the_clock_are_announced_when_they_change(
    mockserver: MockServer,
) -> None:
    with stream(mockserver) as events:
        rule = httpx.post(
            mockserver.url_for("/_mock/faults"), json={"vendor": "pai", "status": 503}
        ).json()
        [(name, data)] = events.until(lambda s: len(s) == 1)
        assert name == "faults" and data["faults"] == [rule]
        before = mockserver.app.clock.time()
        mockserver.app.clock.advance(600)
        [(name, data)] = events.until(lambda s: len(s) == 1)
        assert name == "clock"
        assert data["time"] == pytest.approx(before + 600, abs=2)
        assert data["offset_s"] == pytest.approx(600, abs=1)


def test_watchers_are_hooked_only_while_a_page_is_open(mockserver: MockServer) -> None:
    app = mockserver.app
    assert app.journal.watchers == [] and app.store.watchers == []
    with stream(mockserver):
        assert app.journal.watchers == [app.feed.on_request]
        assert app.store.watchers == [app.feed.on_change]
    wait_for(lambda: not app.feed.subscribers)  # the page went: its backlog with it
    assert app.journal.watchers == [] and app.store.watchers == []


def test_more_pages_than_the_limit_are_refused_in_json(mockserver: MockServer) -> None:
    feed = mockserver.app.feed
    feed.limit = 1
    try:
        with stream(mockserver):
            refused = httpx.get(mockserver.url_for("/_mock/events"))
            assert refused.status_code == 503
            assert refused.json()["code"] == "TooManyConsoles"
    finally:
        feed.limit = 16


def test_a_page_that_reads_nothing_costs_a_bounded_backlog(mockserver: MockServer) -> None:
    url = mockserver.url_for(example_url(VENDORS[0].operations[1]))  # a list: a larger answer
    with socket.socket() as stuck:
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
        stuck.connect((mockserver.settings.host, mockserver.port))
        stuck.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        wait_for(lambda: len(mockserver.app.feed.subscribers) == 1)
        subscriber = mockserver.app.feed.subscribers[0]
        after = 0  # requests made since the page fell behind
        with httpx.Client() as client:
            for _ in range(2000):
                assert client.get(url).status_code == 200
                assert len(subscriber.requests) <= subscriber.entries
                assert subscriber.held <= subscriber.budget
                after += subscriber.skipped > 0
                if after > 100:
                    break
        # the page fell behind once the socket's buffers were full; what it could not be
        # sent was dropped and counted, to be told as "skipped N"
        assert after > 100
        assert subscriber.skipped >= 100


def test_a_subscriber_drops_the_oldest_and_counts_them() -> None:
    async def run() -> None:
        sub = Subscriber(entries=3, budget=1000)
        for n in range(5):
            sub.push({"n": n}, 100)
        sub.change("pai", "models")
        sub.change("pai", "models")
        assert sub.wake.is_set()
        skipped, requests, changed = sub.take()
        assert (skipped, [r["n"] for r in requests], changed) == (2, [2, 3, 4], [("pai", "models")])
        assert sub.take() == (0, [], []) and not sub.wake.is_set()
        for n in range(4):
            sub.push({"n": n}, 400)  # the byte budget binds first
        skipped, requests, _ = sub.take()
        assert (skipped, [r["n"] for r in requests]) == (2, [2, 3])

    import asyncio

    asyncio.run(run())


def test_a_feed_registers_its_hooks_with_its_first_page_and_drops_them_with_its_last() -> None:
    async def run() -> None:
        journal, store_watchers = Journal(10), []  # type: list[Callable[[str, str], None]]
        feed = Feed(journal, store_watchers, limit=2)
        one, two = feed.subscribe(), feed.subscribe()
        assert journal.watchers == [feed.on_request] and store_watchers == [feed.on_change]
        feed.unsubscribe(one)
        assert journal.watchers == [feed.on_request]
        feed.unsubscribe(two)
        assert journal.watchers == [] and store_watchers == []

    import asyncio

    asyncio.run(run())


def test_a_tap_keeps_the_first_bytes_of_the_body_and_the_answer() -> None:
    async def run() -> None:
        incoming = [
            {"type": "http.request", "body": b"x" * CLIP, "more_body": True},
            {"type": "http.request", "body": b"y" * 10, "more_body": False},
        ]
        sent: list[Any] = []

        async def receive() -> Any:
            return incoming.pop(0)

        async def send(message: Any) -> None:
            sent.append(message)

        tap = Tap(receive, send)
        assert (await tap.receive())["body"] == b"x" * CLIP
        assert (await tap.receive())["body"] == b"y" * 10  # passed on whole
        await tap.send({"type": "http.response.start", "status": 200, "headers": []})
        await tap.send({"type": "http.response.body", "body": b'{"a": 1}'})
        assert bytes(tap.body) == b"x" * CLIP + b"y"  # one byte past the clip: clipped
        assert bytes(tap.answer) == b'{"a": 1}'
        assert len(sent) == 2

    import asyncio

    asyncio.run(run())


def test_a_shown_body_masks_secret_fields_and_clips() -> None:
    shown = shown_body(b'{"api_key": "sk-1", "spec": {"Token": "t", "name": "n"}, "l": [1]}')
    assert shown is not None
    assert json.loads(shown) == {"api_key": MASK, "spec": {"Token": MASK, "name": "n"}, "l": [1]}
    assert shown_body(b"") is None
    assert shown_body(b"plain text") == "plain text"
    clipped = shown_body(b'{"api_key": "' + b"s" * 5000 + b'"}', limit=100)
    assert clipped is not None and clipped.endswith("(clipped at 100 bytes)")
    assert clipped.startswith(f'{{"api_key": "{MASK}"') and "sss" not in clipped
    assert shown_body(b'oops {"token": "abc\\"def", "name": "n"') == (
        f'oops {{"token": "{MASK}", "name": "n"'
    )
    assert shown_body(b"\xff\xfe") == "\ufffd\ufffd"
    deep = b"[" * 2000 + b"]" * 2000  # past the JSON parser's nesting: shown as text
    assert shown_body(deep) == deep.decode()
    expected: Any = MASK  # nesting past 32 levels is not walked, but masked whole
    for _ in range(32):
        expected = [expected]
    assert json.loads(shown_body(b"[" * 40 + b"]" * 40) or "") == expected


def test_the_assets_are_in_the_package() -> None:
    for name in ("console.html", "console.js", "console.css"):
        assert (STATIC / name).is_file()
