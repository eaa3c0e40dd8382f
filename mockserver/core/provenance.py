"""Where each rule of the mock comes from: a doc page, the vendor's SDK or a decision.

Every schema file carries at its root `"x-source": {"url", "operation", "kind",
["decision"]}`; a property whose origin differs carries its own `x-source` with the
fields that differ (`kind`, `field` = the doc's own field name when it differs from the
property name, `url`/`operation` when from another page). A property without one
inherits its schema's root source, with `field` = its own name. Parameter specs carry
a `Source` (core.params.Param.source).

`properties` walks a schema the way JSON Schema nests (properties, items, allOf, anyOf,
if/then, $defs, ...) and yields each property with its effective source; `source_at`
follows a JSON path (`$.Labels[0].Key`) through `$ref`s to the property it names. The
drift report and the diagnosis of a refusal read both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

Kind = Literal["doc", "sdk", "decision"]
KINDS = ("doc", "sdk", "decision")
KEY = "x-source"
FIELDS = ("url", "operation", "kind", "field", "decision")
# keywords whose value is one subschema / a list of them / a map of them
ONE = ("items", "additionalProperties", "unevaluatedProperties", "not", "if", "then", "else")
MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
MAP = ("properties", "$defs", "patternProperties", "dependentSchemas")


@dataclass(frozen=True)
class Source:
    """One rule's origin: the page (url, operation), the doc's own field name, the kind,
    and for a decision the heading of its docs/decisions.md entry."""

    url: str = ""
    operation: str = ""
    kind: str = "doc"
    field: str = ""
    decision: str = ""

    def as_json(self) -> dict[str, str]:
        """The `x-source` object (empty fields left out)."""
        return {name: getattr(self, name) for name in FIELDS if getattr(self, name)}

    def cite(self) -> str:
        """One line for people: `doc ListModels "limit" <url>` or `decision "heading"`."""
        named = f' "{self.field}"' if self.field else ""
        if self.kind == "decision":
            return f'decision "{self.decision}" (docs/decisions.md){named}'
        return f"{self.kind} {self.operation}{named} {self.url}".replace("  ", " ")

    def with_field(self, name: str) -> Source:
        return self if self.field else replace(self, field=name)


def read(node: Mapping[str, Any], base: Source | None = None) -> Source | None:
    """The source `node` states (its own `x-source` over `base`), or `base` if none."""
    own = node.get(KEY)
    if not isinstance(own, Mapping):
        return base
    values = {k: str(v) for k, v in own.items() if k in FIELDS}
    if base is None:
        return Source(**values)
    if "url" in values or "operation" in values:
        base = replace(base, decision="")  # another page: the base's decision is not its
    return replace(base, **{"field": "", **values})


@dataclass(frozen=True)
class Located:
    """A property found in a schema: the document, its JSON pointer, its effective source."""

    schema: str  # `pai/model`
    pointer: str  # `/properties/Labels/items/...`
    name: str
    source: Source | None


def properties(name: str, document: Mapping[str, Any]) -> Iterator[Located]:
    """Every property declared anywhere in `document`, with its effective source."""
    root = read(document)
    yield from _walk(name, document, "", root)


def _walk(name: str, node: Any, pointer: str, root: Source | None) -> Iterator[Located]:
    if not isinstance(node, Mapping):
        return
    for key, value in node.items():
        here = f"{pointer}/{_escape(key)}"
        if key in ONE:
            yield from _walk(name, value, here, root)
        elif key in MANY and isinstance(value, list):
            for i, item in enumerate(value):
                yield from _walk(name, item, f"{here}/{i}", root)
        elif key in MAP and isinstance(value, Mapping):
            for child, schema in value.items():
                spot = f"{here}/{_escape(child)}"
                if key == "properties":
                    own = read(schema, root) if isinstance(schema, Mapping) else root
                    effective = own.with_field(child) if own else None
                    yield Located(name, spot, child, effective)
                yield from _walk(name, schema, spot, root)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def problems(
    documents: Mapping[str, Mapping[str, Any]], headings: set[str]
) -> Iterator[tuple[str, str]]:
    """(place, what is wrong) for each schema root or property without a usable source."""
    for name, document in sorted(documents.items()):
        if not isinstance(document.get(KEY), Mapping):
            yield f"schemas/{name}.json", "no root x-source"
        for found in properties(name, document):
            place = f"schemas/{found.schema}.json#{found.pointer}"
            for problem in check(found.source, headings):
                yield place, problem


def check(source: Source | None, headings: set[str]) -> list[str]:
    """What is missing or wrong in one effective source ([] when it is complete)."""
    if source is None:
        return ["no x-source (and none at its schema's root)"]
    found = []
    if source.kind not in KINDS:
        found.append(f"kind {source.kind!r} is none of {', '.join(KINDS)}")
    if source.kind == "decision":
        if not source.decision:
            found.append("kind decision names no docs/decisions.md heading")
        elif source.decision not in headings:
            found.append(f"decision {source.decision!r} is no heading of docs/decisions.md")
    elif not (source.url and source.operation):
        found.append(f"a {source.kind} source needs url and operation")
    return found


HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def headings(decisions: Path) -> set[str]:
    """The headings of docs/decisions.md, as a `decision` field names them."""
    return set(HEADING.findall(decisions.read_text(encoding="utf-8")))


PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def source_at(
    documents: Mapping[str, Mapping[str, Any]], schema: str, path: str | None
) -> Source | None:
    """The effective source of the property a JSON path (`$.Labels[0].Key`) names in the
    schema `schema`, through `$ref`s and combinators; the schema's own root source for
    `$` or a path it does not declare."""
    document = documents.get(schema)
    if document is None:
        return None
    root = read(document)
    if not path or path == "$":
        return root
    found: Source | None = root
    nodes: list[tuple[str, Mapping[str, Any], Source | None]] = [(schema, document, root)]
    for name, index in PART.findall(path.removeprefix("$")):
        step: list[tuple[str, Mapping[str, Any], Source | None]] = []
        for owner, node, base in nodes:
            for doc, sub, sub_base in _expand(documents, owner, node, base):
                if name:
                    child = (sub.get("properties") or {}).get(name)
                    if isinstance(child, Mapping):
                        own = read(child, sub_base)
                        found = own.with_field(name) if own else None
                        step.append((doc, child, sub_base))
                elif index:
                    items = sub.get("items")
                    if isinstance(items, Mapping):
                        step.append((doc, items, sub_base))
        if not step:
            return found
        nodes = step
    return found


def _expand(
    documents: Mapping[str, Mapping[str, Any]],
    owner: str,
    node: Mapping[str, Any],
    base: Source | None,
    depth: int = 0,
) -> Iterator[tuple[str, Mapping[str, Any], Source | None]]:
    """`node` and every subschema it stands for ($ref, allOf/anyOf/oneOf, then/else)."""
    if depth > 16:  # a cycle of references
        return
    yield owner, node, base
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = resolve(documents, owner, ref)
        if target is not None:
            doc, sub = target
            yield from _expand(documents, doc, sub, read(documents[doc]), depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for item in node.get(key) or ():
            if isinstance(item, Mapping):
                yield from _expand(documents, owner, item, base, depth + 1)
    for key in ("then", "else"):
        if isinstance(node.get(key), Mapping):
            yield from _expand(documents, owner, node[key], base, depth + 1)


def resolve(
    documents: Mapping[str, Mapping[str, Any]], owner: str, ref: str
) -> tuple[str, Mapping[str, Any]] | None:
    """(schema name, subschema) a `$ref` of schema `owner` points at, if loaded."""
    target, _, fragment = ref.partition("#")
    name = f"{owner.split('/')[0]}/{target.removesuffix('.json')}" if target else owner
    node: Any = documents.get(name)
    for part in (p for p in fragment.split("/") if p):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part.replace("~1", "/").replace("~0", "~"))
    return (name, node) if isinstance(node, Mapping) else None
