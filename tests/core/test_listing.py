from __future__ import annotations

from mockserver.core import listing

ITEMS = [{"n": i, "k": i % 3} for i in range(10)]


def test_by_page() -> None:
    page = listing.by_page(ITEMS, 2, 4)
    assert [x["n"] for x in page.items] == [4, 5, 6, 7]
    assert page.total == 10
    assert listing.by_page(ITEMS, 3, 4).items == ITEMS[8:]
    assert listing.by_page(ITEMS, 4, 4) == listing.Page([], 10)


def test_by_offset() -> None:
    assert [x["n"] for x in listing.by_offset(ITEMS, 8, 5).items] == [8, 9]
    assert listing.by_offset(ITEMS, 10, 5) == listing.Page([], 10)


def test_where_skips_filters_not_asked_for() -> None:
    assert listing.where(ITEMS, None, None) == ITEMS
    assert [x["n"] for x in listing.where(ITEMS, lambda x: x["k"] == 0, None)] == [0, 3, 6, 9]


def test_ordered_is_stable_both_ways() -> None:
    asc = listing.ordered(ITEMS, key=lambda x: x["k"], descending=False)
    desc = listing.ordered(ITEMS, key=lambda x: x["k"], descending=True)
    assert [x["n"] for x in asc] == [0, 3, 6, 9, 1, 4, 7, 2, 5, 8]
    assert [x["n"] for x in desc] == [2, 5, 8, 1, 4, 7, 0, 3, 6, 9]
