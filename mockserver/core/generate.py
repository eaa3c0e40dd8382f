"""Synthetic records, on top of the fixtures: realistic, schema-valid and deterministic.

`--generate N --seed S` asks each vendor for N records per collection it generates; the
same seed gives the same records, byte for byte. Faker fills pools of names, words and
sentences once; the records then draw from those pools with a seeded random source, so
generating a hundred thousand records takes seconds, not minutes.
"""

from __future__ import annotations

import gc
import random
import string
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from mockserver.core.fixtures import Dataset

T = TypeVar("T")
POOL = 512
ALNUM = string.ascii_lowercase + string.digits
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 5 * 365 * 24 * 3600
END = START + timedelta(seconds=SPAN_SECONDS)  # generated times stay in the past


@dataclass
class Pools:
    """A seeded random source and Faker-made pools to draw realistic values from."""

    rng: random.Random
    words: list[str]
    names: list[str]  # people
    sentences: list[str]
    companies: list[str]

    # random() is several times cheaper than randrange(); these run millions of times
    def number(self, low: int, high: int) -> int:
        """An integer in [low, high)."""
        return low + int(self.rng.random() * (high - low))

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.rng.random() * len(items))]

    def hex(self, digits: int = 32) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def alnum(self, length: int) -> str:
        return "".join(self.rng.choices(ALNUM, k=length))

    def digits(self, length: int) -> str:
        return f"{self.rng.getrandbits(4 * length) % 10**length:0{length}d}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def moment(self) -> datetime:
        return START + timedelta(seconds=self.number(0, SPAN_SECONDS))

    def series(self, first: datetime, n: int) -> Iterator[datetime]:
        """n increasing moments from `first`, spaced so that the last lands about at END
        however large n is (a version history, oldest first)."""
        mean = max(1, int((END - first).total_seconds()) // max(n, 1))
        moment = first
        for _ in range(n):
            moment += timedelta(seconds=self.number(1, 2 * mean))
            yield moment

    def later(self, moment: datetime, days: int = 120) -> datetime:
        return moment + timedelta(seconds=self.number(0, days * 24 * 3600))

    def slug(self, parts: int = 2) -> str:
        return "-".join(self.pick(self.words) for _ in range(parts))


def utc_text(moment: datetime) -> str:
    """A UTC time as PAI and Huawei write it: 2023-05-30T12:24:30.401Z."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def pools(seed: int | None) -> Pools:
    from faker import Faker  # imported here: only generation needs it

    fake = Faker()
    fake.seed_instance(seed if seed is not None else 0)
    words = sorted({w.lower() for w in fake.words(POOL * 2) if w.isalpha()})
    return Pools(
        rng=random.Random(seed),
        words=words,
        names=[fake.name() for _ in range(POOL)],
        sentences=[fake.sentence(nb_words=8) for _ in range(POOL)],
        companies=[fake.company() for _ in range(POOL // 4)],
    )


Generator = Callable[[dict[str, list[Any]], int, Pools], Iterator[tuple[str, dict[str, Any]]]]


def generate(
    generators: dict[str, Generator],
    dataset: Dataset,
    n: int,
    seed: int | None,
    progress: Callable[[str], None] | None = None,
) -> Dataset:
    """The dataset with n generated records per generated collection, in vendor order."""
    if n <= 0:
        return dataset
    shared = pools(seed)
    out: Dataset = {v: {c: list(rs) for c, rs in cols.items()} for v, cols in dataset.items()}
    started = last = time.monotonic()
    made = 0
    with paused_gc():
        for vendor, make in generators.items():
            for collection, record in make(out[vendor], n, shared):
                out[vendor][collection].append(record)
                made += 1
                if progress is not None and made % 1024 == 0 and time.monotonic() - last >= 1:
                    last = time.monotonic()
                    progress(
                        f"generating: {made} records ({vendor} {collection}), "
                        f"{last - started:.0f} s"
                    )
    return out


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while building large, long-lived, acyclic data.

    Loading a hundred thousand records per collection otherwise spends a quarter of its
    time in collections that find nothing to free.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
