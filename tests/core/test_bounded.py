"""The byte-bounded cache every memo of client input shares."""

from __future__ import annotations

from mockserver.core.bounded import ENTRY_OVERHEAD, Bounded, size_of


def test_size_of_counts_the_bytes_of_keys() -> None:
    assert size_of("abc") == 3
    assert size_of(b"abcd") == 4
    assert size_of(("ab", b"cd")) == 4 + 16


def test_distinct_keys_stay_within_the_budget_keys_included() -> None:
    budget = 64 * 1024
    cache: Bounded[str, int] = Bounded(budget)
    for n in range(2000):  # 2,000 keys of 1 KB: 2 MB if kept
        cache.put("k" * 1024 + str(n), n)
        assert cache.size <= budget
        assert len(cache) * (1024 + ENTRY_OVERHEAD) <= budget


def test_what_fits_is_kept_and_found() -> None:
    cache: Bounded[str, str] = Bounded(10_000)
    for n in range(10):
        cache.put(f"k{n}", f"v{n}")
    assert [cache.get(f"k{n}") for n in range(10)] == [f"v{n}" for n in range(10)]
    assert cache.get("missing", "default") == "default"


def test_an_entry_larger_than_the_budget_is_not_kept() -> None:
    cache: Bounded[str, bytes] = Bounded(1000)
    cache.put("small", b"x")
    assert cache.put("big", b"x" * 1000) == b"x" * 1000
    assert "big" not in cache
    assert "small" in cache  # and the rest is not thrown away for it


def test_a_custom_measure_is_used() -> None:
    cache: Bounded[str, list[int]] = Bounded(ENTRY_OVERHEAD + 100, lambda k, v: 8 * len(v))
    cache.put("a", [1] * 10)
    assert "a" in cache
    cache.put("b", [1] * 10)  # 2 x (80 + overhead) exceed the budget: starts over
    assert "a" not in cache and "b" in cache
    cache.clear()
    assert len(cache) == 0 and cache.size == 0
