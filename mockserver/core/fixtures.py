"""Fixture files: YAML in, validated records out, or every problem at once.

Layout: `<dir>/<vendor>/*.yaml`, each file a mapping of collection name to a list of
records, written exactly as the vendor's API shows them (nothing is filled in).

A record is checked, in order: it is a mapping; its link to a parent record (a version's
`ModelId`) names a record that exists; it is valid against its JSON Schema; its key is
unique; the vendor's own rules hold. Any problem fails the whole load: nothing is
half-loaded, nothing is dropped. Problems read `file: record: json-path: message`, or
`file: line N: message` for a file (or folder) as a whole. A file that does not parse is
one problem, and records linking to a collection it may hold are not reported as orphans.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mockserver.core.errors import clip, shown
from mockserver.core.schemas import Schemas

# A saved state (core/state.py) is a fixtures folder with this file at its top, which
# says the format's version; the loader accepts it there and checks the version.
STATE_FILE = "mockserver-state.yaml"
STATE_VERSION = 1

Record = dict[str, Any]
Dataset = dict[str, dict[str, list[Record]]]  # vendor -> collection -> records
Check = Callable[[Record], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Link:
    """A record's reference to its parent, e.g. a version's `ModelId`."""

    field: str
    collection: str
    target: str
    private: bool = True  # only in the fixture record, not in the API's object
    # how the reference is read from the field, when it is part of it (an `org/model` name)
    value: Callable[[Any], Any] | None = None

    def reference(self, record: Record) -> Any:
        raw = record.get(self.field)
        if self.value is None or not isinstance(raw, str):
            return raw
        return self.value(raw)


@dataclass(frozen=True)
class Collection:
    """One kind of record a vendor stores, with what makes it valid."""

    name: str
    schema: str
    key: tuple[str, ...]
    link: Link | None = None
    checks: tuple[Check, ...] = ()
    derived: tuple[str, ...] = ()  # fields the server computes; a record must not hold them

    def public(self, record: Record) -> Record:
        """The record as the API shows it (without a private link field)."""
        if self.link is None or not self.link.private:
            return record
        return {k: v for k, v in record.items() if k != self.link.field}


WHOLE = "-"  # a Problem's `record` when the problem is the file's or folder's own


@dataclass(frozen=True)
class Problem:
    """One reason the fixtures cannot load, located as precisely as it is known."""

    file: str
    record: str  # WHOLE for the file or folder itself
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if self.record == WHOLE:  # no record or field to name: the file and its line
            where = self.file if self.line is None else f"{self.file}: line {self.line}"
            return f"{where}: {self.message}"
        return f"{self.file}: {self.record}: {self.path}: {self.message}"


class FixtureError(Exception):
    """The fixtures cannot be loaded; `problems` says every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Entry:
    """A record with where it came from, for messages."""

    file: str
    index: int
    record: Any
    line: int | None = None
    collection: str = ""

    def label(self, key_field: str | None = None) -> str:
        text = f"{self.collection}[{self.index}]"
        if (
            key_field
            and isinstance(self.record, dict)
            and isinstance(self.record.get(key_field), str | int)
        ):
            key = self.record[key_field]
            text += " " + (shown(key) if isinstance(key, str) else clip(repr(key)))
        if self.line is not None:
            text += f" (line {self.line})"
        return text


# --- YAML ------------------------------------------------------------------------------


# libyaml's parser when PyYAML was built with it (several times faster), else Python's
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """Safe YAML that keeps timestamps as text and refuses duplicate keys."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path: Path) -> tuple[Any, dict[str, list[int]]]:
    """The document and the line numbers of each top-level key: the key's own line first,
    then, where it holds a list, each item's line."""
    loader = _Loader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[str, list[int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            items = value_node.value if isinstance(value_node, yaml.SequenceNode) else []
            lines[str(key_node.value)] = [key_node.start_mark.line + 1] + [
                n.start_mark.line + 1 for n in items
            ]
    return data, lines


def yaml_problem(file: str, exc: yaml.YAMLError) -> Problem:
    """A YAML error as one readable problem: the file, the line, what is wrong there.

    PyYAML's own text names the document `"<unicode string>"` and repeats the position.
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    message = f"invalid YAML: {what}"
    if mark is not None:
        message = f"invalid YAML at column {mark.column + 1}: {what}"
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and getattr(exc, "problem", None) and start is not None:
        message += f" ({context} started at line {start.line + 1})"
    return Problem(file, WHOLE, "$", message, line=mark.line + 1 if mark else None)


def _undecodable(file: str, path: Path, exc: UnicodeDecodeError) -> Problem:
    """A file that is not UTF-8, with the line of its first bad byte."""
    line = path.read_bytes()[: exc.start].count(b"\n") + 1
    return Problem(file, WHOLE, "$", f"not UTF-8 text: byte {exc.object[exc.start]:#04x}", line)


TOP_LEVEL_KEY = re.compile(r"^([^\s#:'\"-][^:#]*?)\s*:", re.MULTILINE)


def _named_in(path: Path, names: Sequence[str]) -> set[str]:
    """The collections an unreadable file seems to hold (its unindented keys), else all:
    what to stop checking links against, since their records are unknown."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set(names)
    found = {m.group(1) for m in TOP_LEVEL_KEY.finditer(text)} & set(names)
    return found or set(names)


# --- validation ------------------------------------------------------------------------


@dataclass
class Validator:
    """Checks records of one vendor against its collections and the data already held."""

    vendor: str
    collections: Sequence[Collection]
    schemas: Schemas
    existing: Mapping[str, Sequence[Record]] = field(default_factory=dict)
    # the keys of the records held, by collection, kept up to date by their holder (the
    # store): when given, `existing` is not scanned, so checking an add costs O(added)
    held: Mapping[str, AbstractSet[tuple[Any, ...]]] | None = None
    # collections that did not load (a file that does not parse): links to them are not
    # checked, or one syntax error would read as an orphan problem per child record
    unknown: Container[str] = ()

    def check(self, entries: Mapping[str, Sequence[Entry]]) -> list[Problem]:
        """Every problem of new `entries` (by collection); parents are checked first."""
        problems: list[Problem] = []
        keys = {c.name: self._held_keys(c) for c in self.collections}
        by_name = {c.name: c for c in self.collections}
        for collection in self.collections:
            link = collection.link
            # every parent written counts, valid or not: a bad model is reported once,
            # not again through each of its versions
            parents = _Parents(
                {
                    _hashable(e.record.get(link.target))
                    for e in entries.get(link.collection, ())
                    if isinstance(e.record, dict)
                }
                if link is not None
                else set(),
                self._held_parents(by_name[link.collection], link.target) if link else set(),
            )
            for entry in entries.get(collection.name, ()):
                problems += self._check_entry(collection, entry, keys, parents)
        return problems

    def _held_keys(self, collection: Collection) -> _Keys:
        if self.held is not None:
            return _Keys({}, self.held.get(collection.name, frozenset()))
        return _Keys(
            {key_of(collection, r): _LOADED for r in self.existing.get(collection.name, ())}
        )

    def _held_parents(self, parent: Collection, target: str) -> Container[Any]:
        if self.held is not None and parent.key == (target,):
            return _FirstOf(self.held.get(parent.name, frozenset()))
        return {_hashable(r.get(target)) for r in self.existing.get(parent.name, ())}

    def _check_entry(
        self,
        collection: Collection,
        entry: Entry,
        keys: dict[str, _Keys],
        parents: _Parents,
    ) -> list[Problem]:
        entry.collection = collection.name

        def problem(path: str, message: str) -> Problem:
            return Problem(entry.file, entry.label(collection.key[-1]), path, message)

        record = entry.record
        if not isinstance(record, dict):
            return [problem("$", f"a record must be a mapping, not {type(record).__name__}")]
        found: list[Problem] = []
        link = collection.link
        if link is not None:
            value = link.reference(record)
            if value is None:
                found.append(problem(f"$.{link.field}", f"'{link.field}' is a required property"))
            elif _hashable(value) not in parents and link.collection not in self.unknown:
                found.append(
                    problem(
                        f"$.{link.field}",
                        f"no {link.collection} record has {link.target} {value!r}",
                    )
                )
        for name in collection.derived:
            if name in record:
                found.append(problem(f"$.{name}", "must not be written: the server derives it"))
        stored = {k: v for k, v in record.items() if k not in collection.derived}
        schema_errors = self.schemas.errors(collection.schema, stored, remember=True)
        found += [problem(path, message) for path, message in schema_errors]
        if not schema_errors:
            for rule in collection.checks:
                found += [problem(path, message) for path, message in rule(record)]
        key = key_of(collection, record)
        if key in keys[collection.name]:
            where = keys[collection.name][key]
            names = "/".join(collection.key)
            found.append(
                problem(
                    f"$.{collection.key[-1]}",
                    f"duplicate {names} {'/'.join(map(str, key))!r}, also in {where}",
                )
            )
        elif not found:
            keys[collection.name][key] = f"{entry.file}: {entry.label(collection.key[-1])}"
        return found


_LOADED = "(already loaded)"


class _Keys(dict[tuple[Any, ...], str]):
    """Keys seen in this check (with where), over keys already held (without a copy)."""

    def __init__(
        self, seen: dict[tuple[Any, ...], str], held: AbstractSet[tuple[Any, ...]] = frozenset()
    ) -> None:
        super().__init__(seen)
        self.held = held

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.held

    def __getitem__(self, key: tuple[Any, ...]) -> str:
        return dict.get(self, key) or _LOADED


@dataclass(frozen=True)
class _Parents:
    """Parent references written in this check, then those held."""

    written: AbstractSet[Any]
    held: Container[Any]

    def __contains__(self, value: object) -> bool:
        return value in self.written or value in self.held


@dataclass(frozen=True)
class _FirstOf:
    """A set of 1-tuples read as the set of their values, without a copy."""

    keys: AbstractSet[tuple[Any, ...]]

    def __contains__(self, value: object) -> bool:
        return (value,) in self.keys


def key_of(collection: Collection, record: Mapping[str, Any]) -> tuple[Any, ...]:
    """A record's key, comparable across records (what must be unique)."""
    return tuple(_hashable(record.get(k)) for k in collection.key)


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else repr(value)


# --- loading a folder ------------------------------------------------------------------


def load_dir(root: Path, vendors: Mapping[str, Sequence[Collection]], schemas: Schemas) -> Dataset:
    """Every record under `root`, validated; raises FixtureError listing all problems."""
    problems: list[Problem] = []
    entries: dict[str, dict[str, list[Entry]]] = {v: {} for v in vendors}
    unknown: dict[str, set[str]] = {v: set() for v in vendors}
    if not root.is_dir():
        raise FixtureError([Problem(str(root), WHOLE, "$", "fixtures folder not found")])
    for path in sorted(root.rglob("*")):
        problems += _read_file(root, path, vendors, entries, unknown)
    dataset: Dataset = {}
    for vendor, collections in vendors.items():
        validator = Validator(vendor, collections, schemas, unknown=unknown[vendor])
        problems += validator.check(entries[vendor])
        dataset[vendor] = {
            c.name: [e.record for e in entries[vendor].get(c.name, [])] for c in collections
        }
    if problems:
        raise FixtureError(problems)
    if schemas.memo is not None:
        schemas.memo.save()
    return dataset


def _read_file(
    root: Path,
    path: Path,
    vendors: Mapping[str, Sequence[Collection]],
    entries: dict[str, dict[str, list[Entry]]],
    unknown: dict[str, set[str]],
) -> list[Problem]:
    """The file's records into `entries`; the collections it leaves unknown into `unknown`."""
    if path.is_dir() or path.suffix not in (".yaml", ".yml"):
        return []
    shown = str(path)
    relative = path.relative_to(root).parts
    if relative == (STATE_FILE,):
        return _state_file(shown, path)
    if len(relative) != 2 or relative[0] not in vendors:
        known = ", ".join(sorted(vendors))
        return [Problem(shown, WHOLE, "$", f"fixture files go in a vendor folder ({known})")]
    vendor = relative[0]
    names = [c.name for c in vendors[vendor]]
    try:
        data, lines = read_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        unknown[vendor] |= _named_in(path, names)
        if isinstance(exc, UnicodeDecodeError):
            return [_undecodable(shown, path, exc)]
        return [yaml_problem(shown, exc)]
    if data is None:
        return []
    if not isinstance(data, dict):
        unknown[vendor] |= set(names)
        return [
            Problem(
                shown,
                WHOLE,
                "$",
                f"the top level must map collection names ({', '.join(names)}) to lists",
                line=1,
            )
        ]
    problems = []
    for name, records in data.items():
        numbers = lines.get(str(name), [None])
        if name not in names:
            message = f"{name!r} is not a collection of {vendor}; known: {', '.join(names)}"
            problems.append(Problem(shown, WHOLE, f"$.{name}", message, numbers[0]))
        elif not isinstance(records, list):
            unknown[vendor].add(name)
            message = f"{name!r} must be a list of records"
            problems.append(Problem(shown, WHOLE, f"$.{name}", message, numbers[0]))
        else:
            bucket = entries[vendor].setdefault(name, [])
            for index, record in enumerate(records):
                line = numbers[index + 1] if index + 1 < len(numbers) else None
                bucket.append(Entry(shown, index, record, line))
    return problems


def _state_file(shown: str, path: Path) -> list[Problem]:
    """The version file of a saved state: a version this loader reads, else one problem."""
    try:
        data, _ = read_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            return [_undecodable(shown, path, exc)]
        return [yaml_problem(shown, exc)]
    version = data.get("version") if isinstance(data, dict) else None
    if type(version) is int and version == STATE_VERSION:
        return []
    message = f"state format version {version!r} is not one this mockserver reads ({STATE_VERSION})"
    return [Problem(shown, WHOLE, "$.version", message, line=1)]
