"""The in-memory state: what was loaded, what is held now, and each vendor's backend."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from mockserver.core.fixtures import Dataset


class Store:
    """Records by vendor and collection, and the backends built from them.

    Backends are rebuilt from records whenever records change, so indexes and
    precomputed orderings can never drift from the data.
    """

    def __init__(self, vendors: Sequence[Any], dataset: Dataset) -> None:
        self.vendors = {v.name: v for v in vendors}
        self._initial = copy.deepcopy(dataset)
        self.records: Dataset = {}
        self.backends: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        """Back to exactly what was loaded at start."""
        self.records = copy.deepcopy(self._initial)
        for name in self.vendors:
            self._rebuild(name)

    def _rebuild(self, name: str) -> None:
        self.backends[name] = self.vendors[name].build(self.records.get(name, {}))

    def counts(self) -> dict[str, dict[str, int]]:
        return {v: {c: len(rs) for c, rs in cols.items()} for v, cols in self.records.items()}
