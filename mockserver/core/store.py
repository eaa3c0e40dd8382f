"""The in-memory state: what was loaded, what is held now, and each vendor's backend."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from mockserver.core.fixtures import Dataset, Entry, FixtureError, Problem, Record, Validator
from mockserver.core.schemas import Schemas


class Store:
    """Records by vendor and collection, and the backends built from them.

    Backends are rebuilt from records whenever records change, so indexes and
    precomputed orderings can never drift from the data. Records are never changed in
    place once loaded (adding makes new lists), so copies of the structure are shallow.
    """

    def __init__(self, vendors: Sequence[Any], dataset: Dataset, schemas: Schemas) -> None:
        self.vendors = {v.name: v for v in vendors}
        self.schemas = schemas
        self._initial = _copy(dataset)
        self.records: Dataset = {}
        self.backends: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        """Back to exactly what was loaded at start."""
        self.records = _copy(self._initial)
        for name in self.vendors:
            self._rebuild(name)

    def _rebuild(self, name: str) -> None:
        self.backends[name] = self.vendors[name].build(self.records.get(name, {}))

    def add(self, vendor: str, collection: str, records: Sequence[Any], source: str) -> int:
        """Add records checked exactly as fixture files are; all or none (FixtureError).

        `source` names where they came from in messages, as a file name would.
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
        entries = [Entry(source, i, record) for i, record in enumerate(records)]
        current = self.records.setdefault(vendor, {})
        validator = Validator(vendor, collections, self.schemas, existing=current)
        problems = validator.check({collection: entries})
        if problems:
            raise FixtureError(problems)
        added: list[Record] = [copy.deepcopy(r) for r in records]
        self.records[vendor] = {**current, collection: [*current.get(collection, []), *added]}
        self._rebuild(vendor)
        return len(added)

    def counts(self) -> dict[str, dict[str, int]]:
        return {v: {c: len(rs) for c, rs in cols.items()} for v, cols in self.records.items()}


def _copy(dataset: Dataset) -> Dataset:
    return {
        vendor: {name: list(rs) for name, rs in cols.items()} for vendor, cols in dataset.items()
    }
