"""Filter, sort and paginate plain lists: the mechanics every list endpoint shares.

Vendors map their own parameter names (`PageNumber`, `offset`, `page_no`) onto these
functions; nothing here knows a vendor.
"""

from __future__ import annotations

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
