"""Filter, sort and paginate plain lists: the mechanics every list endpoint shares.

Vendors map their own parameter names (`PageNumber`, `offset`, `page_no`) onto these
functions; nothing here knows a vendor.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


def by_page(items: Sequence[T], page: int, size: int) -> Page[T]:
    """1-based page numbers; a page past the end is empty with the true total."""
    start = (page - 1) * size
    return Page(list(items[start : start + size]), len(items))


def by_offset(items: Sequence[T], offset: int, limit: int) -> Page[T]:
    """Offset/limit paging; an offset past the end is empty with the true total."""
    return Page(list(items[offset : offset + limit]), len(items))


def where(items: Sequence[T], *tests: Callable[[T], bool] | None) -> list[T]:
    """Items passing every test; `None` tests (filters not asked for) are skipped."""
    active = [t for t in tests if t is not None]
    if not active:
        return list(items)
    return [item for item in items if all(t(item) for t in active)]


def ordered(items: Sequence[T], key: Callable[[T], Any], descending: bool) -> list[T]:
    """A stable sort; equal keys keep their stored order in both directions."""
    if not descending:
        return sorted(items, key=key)
    # reverse=True keeps ties in their original order, which a reversed() ASC list would not
    return sorted(items, key=key, reverse=True)


def insert_ordered(items: list[T], item: T, key: Callable[[T], Any], descending: bool) -> int:
    """Put `item` where `ordered` would have put it had it been stored last; its index.

    After items with an equal key, in both directions, as `ordered` keeps ties in their
    stored order; a binary search, so an add costs O(log n) comparisons, not a sort.
    """
    wanted = key(item)
    low, high = 0, len(items)
    while low < high:
        middle = (low + high) // 2
        here = key(items[middle])
        if (here < wanted) if descending else (wanted < here):
            high = middle
        else:
            low = middle + 1
    items.insert(low, item)
    return low


def locate(
    items: Sequence[T],
    item: T,
    key: Callable[[T], Any],
    descending: bool,
    same: Callable[[T, T], bool] = operator.is_,
) -> int:
    """The index of the stored item that is `same` as `item` in a list kept by `ordered`.

    Binary search to the run of keys equal to `item`'s, then a scan of that run only (a
    backend may hold its own copy of a record, hence `same`). ValueError if absent.
    """
    wanted = key(item)
    low, high = 0, len(items)
    while low < high:  # the first index whose key is not before `wanted`
        middle = (low + high) // 2
        here = key(items[middle])
        if (wanted < here) if descending else (here < wanted):
            low = middle + 1
        else:
            high = middle
    for index in range(low, len(items)):
        if same(items[index], item):
            return index
        if key(items[index]) != wanted:
            break
    raise ValueError("item is not in the list")
