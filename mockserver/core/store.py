"""The in-memory state: what was loaded, what is held now, and each vendor's backend."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
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

    # Optional: `replace(collection, old, new)` for a record whose key stays (an update).
    # Without it the store removes then adds, which a backend may refuse for a parent
    # that still has children; a backend with parents defines it.


@dataclass(frozen=True)
class Checked:
    """Records found valid for one collection, to be committed if nothing changed since."""

    vendor: str
    collection: str
    records: list[Record]
    writes: int  # the store's write count when they were checked


@dataclass(frozen=True)
class Change:
    """One record in, out, or replaced, in one collection of a vendor.

    `old` is the record held now (as the backend handed it out), `new` what replaces it;
    an insert has no `old`, a delete no `new`. A replacement keeps the record's key.
    """

    collection: str
    old: Record | None = None
    new: Record | None = None


Held = dict[str, dict[str, dict[tuple[Any, ...], Record]]]  # vendor -> collection -> key -> record
Logged = tuple[str, Change]  # (vendor, change): one entry of the store's change log


@dataclass(frozen=True)
class Mark:
    """The state at one moment, as what was loaded plus the changes made since.

    Both are held by reference (records are never changed in place), so a mark costs
    a pointer per change, and going back to it costs the changes between it and now.
    """

    loaded: Dataset
    log: tuple[Logged, ...]


class Store:
    """Records by vendor and collection, and the backends that answer from them.

    Backends are built once from what was loaded, then changed one record at a time
    (`Backend`), so a write or a reset costs what it changes, not the data size. Every
    change since loading is logged, and a reset undoes them newest first: O(changes),
    plus one pass over a collection that lost records, to give it back its
    loaded order. Records are never changed in place: a change replaces the record.
    """

    def __init__(self, vendors: Sequence[Any], dataset: Dataset, schemas: Schemas) -> None:
        self.vendors = {v.name: v for v in vendors}
        self.schemas = schemas
        self.writes = 0  # changes so far: a check made before another change is stale
        # told (vendor, collection) of each record changed, added or removed (the console);
        # a reload (every record at once) tells no one: watchers compare `loaded`
        self.watchers: list[Callable[[str, str], None]] = []
        self._load(dataset)

    def _load(self, dataset: Dataset, *, held: bool = False) -> None:
        """Hold `dataset` as what was loaded: records, backends built from it, no changes.
        `held`: it is a store's own `loaded` already (of a mark), kept as it is."""
        # never changed: what a reset returns to
        self.loaded: Dataset = dataset if held else _copy(dataset)
        self.records: Held = {
            name: {
                c.name: {key_of(c, r): r for r in self.loaded.get(name, {}).get(c.name, ())}
                for c in vendor.collections
            }
            for name, vendor in self.vendors.items()
        }
        self.backends: dict[str, Any] = {
            name: vendor.build(self.loaded.get(name, {})) for name, vendor in self.vendors.items()
        }
        self._log: list[Logged] = []  # since loading, oldest first
        if sum(len(rs) for cols in self.loaded.values() for rs in cols.values()) > WARM_ABOVE:
            self.warm()

    def warm(self) -> None:
        """Make every collection's validator now, and run it once over a held record
        (importing jsonschema, compiling its patterns: a fraction of a second of a start
        that takes many), so that the first add costs what later ones do."""
        for name, vendor in self.vendors.items():
            for collection in vendor.collections:
                held = self.loaded.get(name, {}).get(collection.name)
                self.schemas.errors(collection.schema, held[0] if held else {})

    def reset(self) -> None:
        """Back to exactly what was loaded at start, undoing each change, newest first."""
        reordered: set[tuple[str, str]] = set()
        while self._log:
            vendor, change = self._log.pop()
            self._undo(vendor, change)
            if change.old is not None and change.new is None:  # a delete (a replace keeps place)
                reordered.add((vendor, change.collection))
        for vendor, name in reordered:  # give back the loaded order (a dict keeps its own)
            collection = self._collection(vendor, name)
            self.records[vendor][name] = {
                key_of(collection, r): r for r in self.loaded.get(vendor, {}).get(name, ())
            }
        self.writes += 1

    def reload(self, dataset: Dataset) -> None:
        """Hold `dataset` instead, as if loaded at start (what a reset then returns to):
        records checked by the caller, backends rebuilt, O(records)."""
        self._load(dataset)
        self.writes += 1

    def mark(self) -> Mark:
        """The state now, to `restore` later: O(changes since loading) pointers."""
        return Mark(self.loaded, tuple(self._log))

    def restore(self, mark: Mark) -> None:
        """Back to the state of `mark`: the changes made since it are undone and those
        undone since are made again, at the cost of those changes (the log both share is
        left alone). A mark of other loaded data (before a `reload`) rebuilds from it."""
        if mark.loaded is not self.loaded:
            self._load(mark.loaded, held=True)
        log, target = self._log, mark.log
        common = 0
        for ours, theirs in zip(log, target, strict=False):
            if ours is not theirs:
                break
            common += 1
        reordered: set[tuple[str, str]] = set()
        while len(log) > common:
            vendor, change = log.pop()
            self._undo(vendor, change)
            if change.old is not None and change.new is None:  # a delete undone: order
                reordered.add((vendor, change.collection))
        for entry in target[common:]:  # the same entries: a later restore shares them
            self._do_logged(entry)
        for vendor, name in reordered:
            self._reorder(vendor, name)
        self.writes += 1

    def _reorder(self, vendor: str, name: str) -> None:
        """A collection's records in the order the log gives them (loaded, then each
        change in turn): one pass, for a collection whose deletes were undone."""
        collection = self._collection(vendor, name)
        held = {key_of(collection, r): r for r in self.loaded.get(vendor, {}).get(name, ())}
        for logged_vendor, change in self._log:
            if logged_vendor == vendor and change.collection == name:
                _place(held, collection, change.old, change.new)
        self.records[vendor][name] = held

    def _undo(self, vendor: str, change: Change) -> None:
        backend: Backend = self.backends[vendor]
        held = self.records[vendor][change.collection]
        collection = self._collection(vendor, change.collection)
        _swap(backend, change.collection, change.new, change.old)
        _place(held, collection, change.new, change.old)
        for watcher in self.watchers:
            watcher(vendor, change.collection)

    def check(self, vendor: str, collection: str, records: Sequence[Any], source: str) -> Checked:
        """Records checked exactly as fixture files are (FixtureError), not yet added.

        Reads the state without changing it, so it may run off the event loop; `commit`
        then applies the result on it. `source` names where they came from in messages.
        """
        self._known(vendor, collection, source)
        writes = self.writes
        entries = [Entry(source, i, record) for i, record in enumerate(records)]
        problems = self._validator(vendor).check({collection: entries})
        if problems:
            raise FixtureError(problems)
        return Checked(vendor, collection, [copy.deepcopy(r) for r in records], writes)

    def commit(self, checked: Checked) -> int:
        """Add records that `check` accepted; checked again if the state changed since."""
        if checked.writes != self.writes:
            checked = self.check(checked.vendor, checked.collection, checked.records, "body")
        for record in checked.records:
            self._do(checked.vendor, Change(checked.collection, None, record))
        self.writes += 1
        return len(checked.records)

    def add(self, vendor: str, collection: str, records: Sequence[Any], source: str) -> int:
        """Add records checked exactly as fixture files are; all or none (FixtureError)."""
        return self.commit(self.check(vendor, collection, records, source))

    def apply(self, vendor: str, changes: Sequence[Change], source: str = "request") -> None:
        """Make `changes` together, or none of them (FixtureError).

        Every new record is checked as fixtures are (its schema, its key unique among the
        records held after the change, its parent present); the vendor's handler has
        already found the `old` records in its backend. Costs what the changes touch.
        """
        for change in changes:
            self._known(vendor, change.collection, source)
        gone: dict[str, set[tuple[Any, ...]]] = {}
        for change in changes:
            if change.old is not None:
                key = key_of(self._collection(vendor, change.collection), change.old)
                gone.setdefault(change.collection, set()).add(key)
        entries: dict[str, list[Entry]] = {}
        for i, change in enumerate(changes):
            if change.new is not None:
                entries.setdefault(change.collection, []).append(Entry(source, i, change.new))
        problems = self._validator(vendor, gone).check(entries) if entries else []
        if problems:
            raise FixtureError(problems)
        for change in changes:
            self._do(vendor, change)
        self.writes += 1

    def _do(self, vendor: str, change: Change) -> None:
        self._do_logged((vendor, change))

    def _do_logged(self, entry: Logged) -> None:
        vendor, change = entry
        backend: Backend = self.backends[vendor]
        held = self.records[vendor][change.collection]
        collection = self._collection(vendor, change.collection)
        _swap(backend, change.collection, change.old, change.new)
        _place(held, collection, change.old, change.new)
        self._log.append(entry)
        for watcher in self.watchers:
            watcher(vendor, change.collection)

    def _validator(self, vendor: str, gone: Mapping[str, set[tuple[Any, ...]]] = {}) -> Validator:
        held = {
            name: _Without(records.keys(), gone.get(name, set()))
            for name, records in self.records[vendor].items()
        }
        return Validator(vendor, self.vendors[vendor].collections, self.schemas, held=held)

    def _known(self, vendor: str, collection: str, source: str) -> None:
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

    def counts(self) -> dict[str, dict[str, int]]:
        return {v: {c: len(rs) for c, rs in cols.items()} for v, cols in self.records.items()}

    def listing(self, vendor: str, collection: str) -> list[Record]:
        """The records of one collection now, in order (loaded, then added)."""
        return list(self.records[vendor][collection].values())

    def dataset(self) -> Dataset:
        """Every record now, by vendor and collection (lists: the fixtures' shape)."""
        return {
            v: {c: list(rs.values()) for c, rs in cols.items()} for v, cols in self.records.items()
        }

    def _collection(self, vendor: str, name: str) -> Collection:
        found: Collection = next(c for c in self.vendors[vendor].collections if c.name == name)
        return found


def _swap(backend: Backend, collection: str, old: Record | None, new: Record | None) -> None:
    """`old` out of the backend and `new` in: a replacement through `replace` if it has it."""
    if old is not None and new is not None and hasattr(backend, "replace"):
        backend.replace(collection, old, new)
        return
    if old is not None:
        backend.remove(collection, old)
    if new is not None:
        backend.add(collection, new)


def _place(
    held: dict[tuple[Any, ...], Record],
    collection: Collection,
    old: Record | None,
    new: Record | None,
) -> None:
    """`old` out of `held` and `new` in; a record replaced under its own key keeps its place."""
    gone = key_of(collection, old) if old is not None else None
    if new is not None:
        key = key_of(collection, new)
        if gone is not None and gone != key:
            del held[gone]
        held[key] = new
    elif gone is not None:
        del held[gone]


class _Without(AbstractSet[tuple[Any, ...]]):
    """The keys held, less those a change set removes (without a copy of the keys)."""

    def __init__(
        self, keys: AbstractSet[tuple[Any, ...]], gone: AbstractSet[tuple[Any, ...]]
    ) -> None:
        self.keys, self.gone = keys, gone

    def __contains__(self, key: object) -> bool:
        return key in self.keys and key not in self.gone

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return (k for k in self.keys if k not in self.gone)

    def __len__(self) -> int:
        return len(self.keys) - len(self.gone & self.keys)


def _copy(dataset: Dataset) -> Dataset:
    return {
        vendor: {name: list(rs) for name, rs in cols.items()} for vendor, cols in dataset.items()
    }
