"""The in-memory state: what was loaded, what is held now, and each vendor's backend."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mockserver.core.fixtures import (
    Collection,
    Dataset,
    Entry,
    FixtureError,
    Problem,
    Record,
    Validator,
    key_of,
)
from mockserver.core.schemas import Schemas

WARM_ABOVE = 10_000  # records held from which validators are made at start, not at first add


class Backend(Protocol):
    """What the store asks of a vendor's backend: one record more or less at a time.

    Each call keeps the backend exactly what `build` would make from the records after
    the change (orderings, indexes, cached answers), at a cost that grows with what the
    change touches, not with the data held. `remove` takes the record as it was added.
    """

    def add(self, collection: str, record: Record) -> None: ...

    def remove(self, collection: str, record: Record) -> None: ...


@dataclass(frozen=True)
class Checked:
    """Records found valid for one collection, to be committed if nothing changed since."""

    vendor: str
    collection: str
    records: list[Record]
    writes: int  # the store's write count when they were checked


class Store:
    """Records by vendor and collection, and the backends that answer from them.

    Backends are built once from what was loaded, then changed one record at a time
    (`Backend`), so a write or a reset costs what it changes, not the data size. Every
    change since loading is logged, and a reset undoes them newest first: O(changes).
    Records are never changed in place once loaded (adds go at the end of the lists).
    """

    def __init__(self, vendors: Sequence[Any], dataset: Dataset, schemas: Schemas) -> None:
        self.vendors = {v.name: v for v in vendors}
        self.schemas = schemas
        self.records: Dataset = _copy(dataset)
        self.backends: dict[str, Any] = {
            name: vendor.build(self.records.get(name, {})) for name, vendor in self.vendors.items()
        }
        # the keys of the records held, so checking an add does not scan the data
        self.keys: dict[str, dict[str, set[tuple[Any, ...]]]] = {
            name: {
                c.name: {key_of(c, r) for r in self.records.get(name, {}).get(c.name, ())}
                for c in vendor.collections
            }
            for name, vendor in self.vendors.items()
        }
        self._added: list[tuple[str, str, Record]] = []  # since loading, oldest first
        self.writes = 0  # changes so far: a check made before another change is stale
        if sum(len(rs) for cols in self.records.values() for rs in cols.values()) > WARM_ABOVE:
            self.warm()

    def warm(self) -> None:
        """Make every collection's validator now, and run it once over a held record
        (importing jsonschema, compiling its patterns: a fraction of a second of a start
        that takes many), so that the first add costs what later ones do."""
        for name, vendor in self.vendors.items():
            for collection in vendor.collections:
                held = self.records.get(name, {}).get(collection.name)
                self.schemas.errors(collection.schema, held[0] if held else {})

    def reset(self) -> None:
        """Back to exactly what was loaded at start, undoing each add, newest first."""
        while self._added:
            vendor, collection, record = self._added.pop()
            backend: Backend = self.backends[vendor]
            backend.remove(collection, record)
            held = self.records[vendor][collection]
            if held[-1] is not record:  # adds go last, and undo runs newest first
                raise RuntimeError("the store's records are out of step with its log")
            held.pop()
            self.keys[vendor][collection].discard(
                key_of(self._collection(vendor, collection), record)
            )
        self.writes += 1

    def check(self, vendor: str, collection: str, records: Sequence[Any], source: str) -> Checked:
        """Records checked exactly as fixture files are (FixtureError), not yet added.

        Reads the state without changing it, so it may run off the event loop; `commit`
        then applies the result on it. `source` names where they came from in messages.
        """
        if vendor not in self.vendors:
            known = ", ".join(self.vendors)
            raise FixtureError(
                [Problem(source, "-", "$", f"unknown vendor {vendor!r}; known: {known}")]
            )
        collections = self.vendors[vendor].collections
        if collection not in [c.name for c in collections]:
            known = ", ".join(c.name for c in collections)
            raise FixtureError(
                [
                    Problem(
                        source,
                        "-",
                        "$",
                        f"unknown collection {collection!r} of {vendor}; known: {known}",
                    )
                ]
            )
        writes = self.writes
        entries = [Entry(source, i, record) for i, record in enumerate(records)]
        validator = Validator(vendor, collections, self.schemas, held=self.keys[vendor])
        problems = validator.check({collection: entries})
        if problems:
            raise FixtureError(problems)
        return Checked(vendor, collection, [copy.deepcopy(r) for r in records], writes)

    def commit(self, checked: Checked) -> int:
        """Add records that `check` accepted; checked again if the state changed since."""
        if checked.writes != self.writes:
            checked = self.check(checked.vendor, checked.collection, checked.records, "body")
        vendor, name = checked.vendor, checked.collection
        backend: Backend = self.backends[vendor]
        held = self.records.setdefault(vendor, {}).setdefault(name, [])
        keys = self.keys[vendor][name]
        collection = self._collection(vendor, name)
        for record in checked.records:
            backend.add(name, record)
            held.append(record)
            keys.add(key_of(collection, record))
            self._added.append((vendor, name, record))
        self.writes += 1
        return len(checked.records)

    def add(self, vendor: str, collection: str, records: Sequence[Any], source: str) -> int:
        """Add records checked exactly as fixture files are; all or none (FixtureError)."""
        return self.commit(self.check(vendor, collection, records, source))

    def counts(self) -> dict[str, dict[str, int]]:
        return {v: {c: len(rs) for c, rs in cols.items()} for v, cols in self.records.items()}

    def _collection(self, vendor: str, name: str) -> Collection:
        found: Collection = next(c for c in self.vendors[vendor].collections if c.name == name)
        return found


def _copy(dataset: Dataset) -> Dataset:
    return {
        vendor: {name: list(rs) for name, rs in cols.items()} for vendor, cols in dataset.items()
    }
