"""What the console watches live: each request as it is journaled, each collection changed.

Nothing here costs a request anything while no one watches: the journal and the store
call their watchers only when there are some, and a subscriber is registered with them
only while a page is connected. Each subscriber holds a bounded backlog (entries and
bytes); a page that falls behind loses the oldest and is told how many ("skipped"), so
a slow or gone browser never makes the server hold more than that.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import Callable
from typing import Any

from starlette.types import Scope

from mockserver.core.journal import CLIP, Journal, Tap
from mockserver.core.masking import MASK, secret_body_key

BACKLOG_ENTRIES = 256  # requests one subscriber may hold before the oldest are skipped
BACKLOG_BYTES = 2**20  # and bytes (an entry counts its journal cost and its bodies)
MAX_SUBSCRIBERS = 16  # pages watching at once; more are refused
MAX_DEPTH = 32  # nesting masked in a shown body (core.bodies refuses deeper ones)


def shown_body(raw: bytes | bytearray, limit: int = CLIP) -> str | None:
    """A body as a page may show it: JSON indented with secret fields masked, other text
    as sent; clipped at `limit` bytes (then not parsed: half a JSON document is text)."""
    if not raw:
        return None
    clipped = len(raw) > limit
    data = bytes(raw[:limit])
    if not clipped:
        try:
            parsed = json.loads(data)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser
            pass
        else:
            return json.dumps(_masked(parsed, MAX_DEPTH), indent=2, ensure_ascii=False)
    text = FIELD.sub(_masked_field, data.decode("utf-8", errors="replace"))
    return text + f"\n... (clipped at {limit} bytes)" if clipped else text


# a JSON string field as text shows it, its value perhaps cut short by the clip
FIELD = re.compile(r'"((?:[^"\\]|\\.){1,200})"(\s*:\s*)"(?:[^"\\]|\\.)*"?')


def _masked_field(match: re.Match[str]) -> str:
    """A secret-named field's value masked in text that is not (whole) JSON."""
    if not secret_body_key(match.group(1)):
        return match.group(0)
    return f'"{match.group(1)}"{match.group(2)}"{MASK}"'


def _masked(value: Any, depth: int) -> Any:
    """`value` with the values of secret-named fields (api_key, token, ...) masked."""
    if depth <= 0:
        return MASK
    if isinstance(value, dict):
        return {
            k: MASK if secret_body_key(str(k)) else _masked(v, depth - 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_masked(v, depth - 1) for v in value]
    return value


class Subscriber:
    """One page's backlog: requests (bounded), the collections changed since it last read
    (at most every collection there is) and a count of requests it missed."""

    def __init__(self, entries: int = BACKLOG_ENTRIES, budget: int = BACKLOG_BYTES) -> None:
        self.entries, self.budget = entries, budget
        self.requests: deque[tuple[dict[str, Any], int]] = deque()
        self.held = 0
        self.skipped = 0
        self.changed: dict[tuple[str, str], None] = {}  # an ordered set
        self.wake = asyncio.Event()
        self.loop = asyncio.get_running_loop()

    def push(self, entry: dict[str, Any], cost: int) -> None:
        self.requests.append((entry, cost))
        self.held += cost
        while len(self.requests) > self.entries or (
            self.held > self.budget and len(self.requests) > 1
        ):
            self.held -= self.requests.popleft()[1]
            self.skipped += 1
        self._wake()

    def change(self, vendor: str, collection: str) -> None:
        self.changed[(vendor, collection)] = None
        self._wake()

    def _wake(self) -> None:
        try:
            here = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            here = False
        if here:
            self.wake.set()
        else:  # a change made off the loop (a test's thread): wake it from there
            self.loop.call_soon_threadsafe(self.wake.set)

    def take(self) -> tuple[int, list[dict[str, Any]], list[tuple[str, str]]]:
        """(requests skipped, requests, collections changed) since the last take."""
        skipped, self.skipped = self.skipped, 0
        requests = [entry for entry, _ in self.requests]
        self.requests.clear()
        self.held = 0
        changed = list(self.changed)
        self.changed.clear()
        self.wake.clear()
        return skipped, requests, changed


class TooManySubscribers(RuntimeError):
    pass


class Feed:
    """Hands each subscriber the journal's requests and the store's changes.

    `journal.watchers` and `store_watchers` (the store's list of change watchers) get this
    feed's hooks only while it has subscribers.
    """

    def __init__(
        self,
        journal: Journal,
        store_watchers: list[Callable[[str, str], None]],
        limit: int = MAX_SUBSCRIBERS,
    ) -> None:
        self.journal, self.store_watchers, self.limit = journal, store_watchers, limit
        self.subscribers: list[Subscriber] = []
        self.count = 0  # requests seen while watched: each entry's id

    def subscribe(self) -> Subscriber:
        if len(self.subscribers) >= self.limit:
            raise TooManySubscribers(
                f"{self.limit} consoles are watching already; close one and reload"
            )
        if not self.subscribers:
            self.journal.watchers.append(self.on_request)
            self.store_watchers.append(self.on_change)
        subscriber = Subscriber()
        self.subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self.subscribers:
            self.subscribers.remove(subscriber)
        if not self.subscribers:
            if self.on_request in self.journal.watchers:
                self.journal.watchers.remove(self.on_request)
            if self.on_change in self.store_watchers:
                self.store_watchers.remove(self.on_change)

    def on_request(self, raw: tuple[Any, ...], scope: Scope, tap: Tap | None) -> None:
        """One journaled request, written out once for every subscriber."""
        self.count += 1
        entry = Journal.format(raw)
        entry["id"] = self.count
        body = shown_body(tap.body) if tap is not None else None
        answer = shown_body(tap.answer) if tap is not None else None
        entry["sent"], entry["answer"] = body, answer  # as tapped (the journal's `body`: parsed)
        cost = raw[-1] + len(body or "") + len(answer or "")
        for subscriber in self.subscribers:
            subscriber.push(entry, cost)

    def on_change(self, vendor: str, collection: str) -> None:
        for subscriber in self.subscribers:
            subscriber.change(vendor, collection)
