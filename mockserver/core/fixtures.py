"""Fixture files: YAML in, validated records out, or every problem at once.

Layout: `<dir>/<vendor>/*.yaml`, each file a mapping of collection name to a list of
records, written exactly as the vendor's API shows them (nothing is filled in).

A record is checked, in order: it is a mapping; its link to a parent record (a version's
`ModelId`) names a record that exists; it is valid against its JSON Schema; its key is
unique; the vendor's own rules hold. Any problem fails the whole load: nothing is
half-loaded, nothing is dropped. Problems read `file: record: json-path: message`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mockserver.core.errors import clip, shown
from mockserver.core.schemas import Schemas

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


@dataclass(frozen=True)
class Problem:
    file: str
    record: str
    path: str
    message: str

    def __str__(self) -> str:
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
    """The document and, per top-level key holding a list, each item's line number."""
    loader = _Loader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[str, list[int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(value_node, yaml.SequenceNode):
                lines[str(key_node.value)] = [n.start_mark.line + 1 for n in value_node.value]
    return data, lines


# --- validation ------------------------------------------------------------------------


@dataclass
class Validator:
    """Checks records of one vendor against its collections and the data already held."""

    vendor: str
    collections: Sequence[Collection]
    schemas: Schemas
    existing: Mapping[str, Sequence[Record]] = field(default_factory=dict)

    def check(self, entries: Mapping[str, Sequence[Entry]]) -> list[Problem]:
        """Every problem of new `entries` (by collection); parents are checked first."""
        problems: list[Problem] = []
        keys = {
            c.name: {_key(c, r): "(already loaded)" for r in self.existing.get(c.name, ())}
            for c in self.collections
        }
        accepted: dict[str, list[Record]] = {
            c.name: list(self.existing.get(c.name, ())) for c in self.collections
        }
        for collection in self.collections:
            link = collection.link
            # every parent written counts, valid or not: a bad model is reported once,
            # not again through each of its versions
            parents = (
                {_hashable(r.get(link.target)) for r in self.existing.get(link.collection, ())}
                | {
                    _hashable(e.record.get(link.target))
                    for e in entries.get(link.collection, ())
                    if isinstance(e.record, dict)
                }
                if link is not None
                else set()
            )
            for entry in entries.get(collection.name, ()):
                problems += self._check_entry(collection, entry, keys, parents, accepted)
        return problems

    def _check_entry(
        self,
        collection: Collection,
        entry: Entry,
        keys: dict[str, dict[tuple[Any, ...], str]],
        parents: set[Any],
        accepted: dict[str, list[Record]],
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
            elif _hashable(value) not in parents:
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
        key = _key(collection, record)
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
            accepted[collection.name].append(record)
        return found


def _key(collection: Collection, record: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(_hashable(record.get(k)) for k in collection.key)


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else repr(value)


# --- loading a folder ------------------------------------------------------------------


def load_dir(root: Path, vendors: Mapping[str, Sequence[Collection]], schemas: Schemas) -> Dataset:
    """Every record under `root`, validated; raises FixtureError listing all problems."""
    problems: list[Problem] = []
    entries: dict[str, dict[str, list[Entry]]] = {v: {} for v in vendors}
    if not root.is_dir():
        raise FixtureError([Problem(str(root), "-", "$", "fixtures folder not found")])
    for path in sorted(root.rglob("*")):
        problems += _read_file(root, path, vendors, entries)
    dataset: Dataset = {}
    for vendor, collections in vendors.items():
        problems += Validator(vendor, collections, schemas).check(entries[vendor])
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
) -> list[Problem]:
    if path.is_dir() or path.suffix not in (".yaml", ".yml"):
        return []
    shown = str(path)
    relative = path.relative_to(root).parts
    if len(relative) != 2 or relative[0] not in vendors:
        known = ", ".join(sorted(vendors))
        return [Problem(shown, "-", "$", f"fixture files go in a vendor folder ({known})")]
    vendor = relative[0]
    try:
        data, lines = read_yaml(path)
    except yaml.YAMLError as exc:
        return [Problem(shown, "-", "$", "invalid YAML: " + " ".join(str(exc).split()))]
    except UnicodeDecodeError as exc:
        return [Problem(shown, "-", "$", f"not UTF-8 text: {exc}")]
    if data is None:
        return []
    names = [c.name for c in vendors[vendor]]
    if not isinstance(data, dict):
        return [
            Problem(
                shown,
                "-",
                "$",
                f"top level must map collection names ({', '.join(names)}) to lists",
            )
        ]
    problems = []
    for name, records in data.items():
        if name not in names:
            problems.append(
                Problem(
                    shown,
                    "-",
                    f"$.{name}",
                    f"unknown collection for {vendor}; known: {', '.join(names)}",
                )
            )
        elif not isinstance(records, list):
            problems.append(Problem(shown, "-", f"$.{name}", "must be a list of records"))
        else:
            bucket = entries[vendor].setdefault(name, [])
            numbers = lines.get(str(name), [])
            for index, record in enumerate(records):
                line = numbers[index] if index < len(numbers) else None
                bucket.append(Entry(shown, index, record, line))
    return problems
