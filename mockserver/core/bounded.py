"""A cache bounded in bytes, keys included: the one kind of memo kept of what clients send.

Whatever a client can vary (a query string, a path, a header) would otherwise grow a
cache without end; counting entries alone is not enough when one key can be 64 KB.
Past its budget the cache starts over: cheaper per request than LRU bookkeeping, and a
workload that fits (a test suite repeating its requests) keeps all of its entries.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# What an entry costs besides the bytes of its parts: the dict slot, the key tuple and
# the objects' headers (measured with tracemalloc at about 200-300 bytes).
ENTRY_OVERHEAD = 256


def size_of(value: object) -> int:
    """Roughly the bytes `value` holds: str and bytes by length, tuples by their parts."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, tuple):
        return sum(size_of(part) for part in value) + 8 * len(value)
    return 16


class Bounded(Generic[K, V]):
    """A dict of at most `budget` bytes (by `size_of` of key and value plus a fixed
    overhead per entry); adding past the budget empties it first."""

    __slots__ = ("_entries", "_size", "budget", "measure")

    def __init__(self, budget: int, measure: Callable[[K, V], int] | None = None) -> None:
        self._entries: dict[K, V] = {}
        self._size = 0
        self.budget = budget
        self.measure = measure or (lambda key, value: size_of(key) + size_of(value))

    def get(self, key: K, default: V | None = None) -> V | None:
        return self._entries.get(key, default)

    def put(self, key: K, value: V) -> V:
        """Keep `value` under `key` unless it alone exceeds the budget; returns it."""
        cost = self.measure(key, value) + ENTRY_OVERHEAD
        if cost > self.budget:
            return value
        if key in self._entries:
            return value
        if self._size + cost > self.budget:
            self._entries.clear()
            self._size = 0
        self._entries[key] = value
        self._size += cost
        return value

    def clear(self) -> None:
        self._entries.clear()
        self._size = 0

    @property
    def size(self) -> int:
        """The bytes counted for what is kept now."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries
