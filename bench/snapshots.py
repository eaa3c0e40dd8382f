"""Snapshot restore: cheap enough to run before every test?

    python bench/snapshots.py [--records 10000] [--changes 100] [--rounds 20]

Builds the store in process with about --records records (bundled fixtures plus
generated ones), then times, over --rounds rounds each:

  loaded    the records loaded at start; snapshot; --changes adds; restore
  written   the records written after start (the change log holds them all); snapshot;
            --changes adds; restore
  rebuild   for scale: rebuilding the store from the same records (what a restore
            that copied the state would cost)

Prints the median and worst milliseconds of each and the target (restore under 50 ms)
as met or MISS; exit status 1 on a miss.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockserver.app import load_data  # noqa: E402
from mockserver.core.fixtures import Dataset  # noqa: E402
from mockserver.core.schemas import bundled  # noqa: E402
from mockserver.core.store import Change, Store  # noqa: E402
from mockserver.settings import Settings  # noqa: E402
from mockserver.vendors import VENDORS  # noqa: E402

TARGET_MS = 50.0
GENERATED = ("pai", "versions")  # the collection the changes add to


def dataset_of(records: int) -> Dataset:
    """The bundled fixtures plus generated records, about `records` in all."""
    held = count(load_data(Settings(seed=1)))
    per_100 = count(load_data(Settings(seed=1, generate=100))) - held
    return load_data(Settings(seed=1, generate=max(1, 100 * (records - held) // per_100)))


def count(dataset: Dataset) -> int:
    return sum(len(rs) for cols in dataset.values() for rs in cols.values())


def changes(store: Store, n: int, tag: int) -> list[Change]:
    """n new PAI versions (copies of held ones under new names)."""
    versions = store.listing(*GENERATED)
    return [
        Change("versions", new={**versions[i % len(versions)], "VersionName": f"9{tag}.{i}.0"})
        for i in range(n)
    ]


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def rounds(store: Store, n_changes: int, n_rounds: int) -> list[float]:
    """Snapshot, then per round: n_changes adds, a timed restore."""
    mark = store.mark()
    times = []
    for r in range(n_rounds):
        for change in changes(store, n_changes, r):
            store.apply("pai", [change])
        times.append(timed(lambda: store.restore(mark)))
    return times


def written_store(dataset: Dataset) -> Store:
    """A store that loaded the bundled fixtures and had every generated record written
    after start, one change each (the change log holds them all)."""
    bundled_counts = {
        v: {c: len(rs) for c, rs in cols.items()} for v, cols in load_data(Settings()).items()
    }
    loaded = {
        v: {c: rs[: bundled_counts[v][c]] for c, rs in cols.items()} for v, cols in dataset.items()
    }
    store = Store(VENDORS, loaded, bundled())
    for vendor in VENDORS:  # parents first: collections are listed so
        for collection in vendor.collections:
            for record in dataset[vendor.name][collection.name][
                bundled_counts[vendor.name][collection.name] :
            ]:
                store.apply(vendor.name, [Change(collection.name, new=record)])
    return store


def report(name: str, times: list[float], target: float | None) -> bool:
    median, worst = statistics.median(times), max(times)
    verdict = ""
    if target is not None:
        verdict = "met" if worst < target else "MISS"
        verdict = f"  target < {target:.0f} ms: {verdict} ({worst / target:.2f} of it)"
    print(f"{name:<8} median {median:8.2f} ms  worst {worst:8.2f} ms{verdict}")
    return target is None or worst < target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    dataset = dataset_of(args.records)
    print(f"{count(dataset)} records; {args.changes} changes before each restore")
    store = Store(VENDORS, dataset, bundled())
    ok = report("loaded", rounds(store, args.changes, args.rounds), TARGET_MS)
    written = written_store(dataset)
    print(f"written: {len(written.mark().log)} changes in the log at the snapshot")
    ok &= report("written", rounds(written, args.changes, args.rounds), TARGET_MS)
    rebuilds = [timed(lambda: store.reload(dataset)) for _ in range(min(args.rounds, 5))]
    report("rebuild", rebuilds, None)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
