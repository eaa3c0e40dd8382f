"""`mockserver drift`: compare saved copies of a vendor's doc pages with the mock's rules.

A page is read in either form a browser saves: the HTML page, or its text ("save as
text", one table cell per line, or `|`-framed cells). Its parameter and field tables
become `Field`s (name, type, the text of the row), each in a scope: the path, query or
header parameters of the page's operation, its response body (`response`), a named
object (`response:ModelInfo`), or the error body (`error`); its error-code tables and
examples give the codes it documents. They are compared with the operation's parameter
specs and the schemas' properties (under the doc's own field names, `x-source.field`):

    added            a documented field the mock does not have
    removed          a field the mock has from this page that the page no longer lists
    renamed          one of each, alike in type and name
    retyped          string / integer / boolean / array / object differ
    new enum value   (and `enum value gone`) against the mock's enum or choices
    changed range    a documented range or length against the mock's bounds
    changed default  a documented default against the mock's
    new error code   (and `new error status`) a code the mock never answers

Only what the page states is compared: a bound the docs leave open is a decision
(docs/decisions.md), not drift; a property is expected on the page only when its source
is this page's operation and of kind `doc` (core.provenance).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from random import Random
from types import SimpleNamespace
from typing import Any

from starlette.requests import Request

from mockserver.core.params import Param
from mockserver.core.provenance import Source, read, resolve
from mockserver.core.vendor import Operation, Vendor

# --- reading a page ------------------------------------------------------------------


@dataclass
class Table:
    """One table of a page: its title, the status it documents, header and rows."""

    title: str
    status: int
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Page:
    """What a doc page documents: its route, tables and the text around them."""

    name: str
    text: str
    tables: list[Table]


class _HTML(HTMLParser):
    """Tables (rows of cell text, list items as `• ` lines) and the text between them;
    a `<li>` that starts with a `<code>` name is a row of a list-style field table."""

    BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "br", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []  # the page as text, one block a line
        self.tables: list[tuple[int, list[list[str]]]] = []  # (line index, rows)
        self.rows: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.depth = 0
        self.skip = 0
        self.buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "table":
            self._flush()
            self.depth += 1
            if self.depth == 1:
                self.rows = []
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("td", "th") and self.rows is not None:
            self.cell = []
        elif tag == "li":
            self._write("\n• ")
        elif tag in self.BLOCKS:
            self._write("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag == "table":
            self.depth -= 1
            if self.depth == 0 and self.rows is not None:
                self.tables.append((len(self.lines), [r for r in self.rows if r]))
                self.rows = None
        elif tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append(_tidy("".join(self.cell)))
            self.cell = None
        elif tag in self.BLOCKS or tag == "li":
            self._write("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self._write(data)

    def _write(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append(text)
        elif self.rows is None:
            self.buffer.append(text)

    def _flush(self) -> None:
        text = "".join(self.buffer)
        self.buffer = []
        self.lines += [line.strip() for line in text.splitlines() if line.strip()]

    def close(self) -> None:
        super().close()
        self._flush()


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def read_page(path: Path) -> Page:
    """A saved doc page, HTML or text, as its tables and text."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if re.search(r"<(?:html|table|body|ul)\b", raw[:200_000], re.IGNORECASE):
        return _html_page(path.name, raw)
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    tables = list(_pipe_tables(lines)) or list(_cell_tables(lines))
    return Page(path.name, "\n".join(lines), tables)


def _html_page(name: str, raw: str) -> Page:
    parser = _HTML()
    parser.feed(raw)
    parser.close()
    tables = []
    for at, rows in parser.tables:
        before = parser.lines[:at]
        title = before[-1] if before else ""
        tables.append(Table(title, _status(before), [c.lower() for c in rows[0]], rows[1:]))
    tables += _list_tables(parser.lines)
    return Page(name, "\n".join(parser.lines), tables)


STATUS = re.compile(r"^(?:Status code:\s*(\d{3})|(Error responses?))\b", re.IGNORECASE)


def _status(before: Sequence[str]) -> int:
    """The status the text before a table is about (`Status code: 404`, `Error responses`)."""
    for line in reversed(before):
        found = STATUS.match(line)
        if found:
            return int(found.group(1)) if found.group(1) else 400
    return 200


TYPE_WORDS = re.compile(
    r"^(?:string|integer|int|long|number|boolean|array|object|map|float|double"
    r"|Array of .+|.+ objects?|List<.+>|Map<.+>)$",
    re.IGNORECASE,
)
YES_NO = re.compile(r"^(?:yes|no|required|optional)$", re.IGNORECASE)
NAME = re.compile(r"^[A-Za-z_$][\w.$-]*$")
# a name and an object type on one line: "LatestVersion ModelVersion" (CamelCase type)
NAME_AND_TYPE = re.compile(r"^([A-Za-z_][\w.-]*) ([A-Z][a-z0-9]+[A-Z]\w*)$")
HEADER_FIRST = ("parameter", "element", "field", "error code", "status code", "http status code")
HEADER_REST = frozenset(
    (
        "type",
        "required",
        "mandatory",
        "description",
        "example",
        "location",
        "error code",
        "error message",
        "cause",
    )
)


def _cell_tables(lines: Sequence[str]) -> Iterator[Table]:
    """Tables saved as text with one cell a line: a header row of known column names,
    then rows found by their shape (a name, then its type and Yes/No where the header
    has them); everything up to the next row is the row's description."""
    i = 0
    while i < len(lines):
        if not _header_at(lines, i):
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].lower() in HEADER_REST:
            end += 1
        header = [c.lower() for c in lines[i:end]]
        title = lines[i - 1] if i else ""
        table = Table(title, _status(lines[:i]), header)
        i = end
        while i < len(lines) and not _ends_table(lines, i):
            width = _row_at(lines, i, header)
            if width:
                table.rows.append(list(lines[i : i + width]))
                i += width
            elif table.rows:
                table.rows[-1].append(lines[i])
                i += 1
            else:
                i += 1
        yield table


def _row_at(lines: Sequence[str], i: int, header: Sequence[str]) -> int:
    """How many lines the fixed cells of a row starting at `i` take (0: no row here)."""
    first = header[0]
    if first in ("error code", "status code"):
        pattern = r"^\d{3}$" if first == "status code" else r"^[A-Za-z][\w.]*$"
        return 1 if re.match(pattern, lines[i]) else 0
    if header[:2] == ["http status code", "error code"]:
        return 2 if re.match(r"^\d{3}$", lines[i]) and i + 1 < len(lines) else 0
    if NAME_AND_TYPE.match(lines[i]) and not TYPE_WORDS.match(lines[i]):
        return 1
    if not NAME.match(lines[i]) or TYPE_WORDS.match(lines[i]):
        return 0
    shape = [h for h in header[1:] if h in ("type", "required", "mandatory")]
    for k, column in enumerate(shape, start=1):
        if i + k >= len(lines):
            return 0
        check = TYPE_WORDS if column == "type" else YES_NO
        if not check.match(lines[i + k]):
            return 0
    return 1 + len(shape)


END = re.compile(
    r"^(?:Table \d+\b.*|Status code:.*|Status Codes|Error Codes?|Examples?|Example Requests?"
    r"|Example Responses?|Response example|Request example|Request syntax|Response elements"
    r"|Request parameters|Request Parameters|Response Parameters|Response parameters"
    r"|Path Parameters|Query Parameters|Error responses)$"
)


def _header_at(lines: Sequence[str], i: int) -> bool:
    """Whether a header row starts at `i`: a first column name, then another."""
    return (
        lines[i].lower() in HEADER_FIRST
        and i + 1 < len(lines)
        and lines[i + 1].lower() in HEADER_REST
    )


def _ends_table(lines: Sequence[str], i: int) -> bool:
    return bool(END.match(lines[i])) or _header_at(lines, i)


def _pipe_tables(lines: Sequence[str]) -> Iterator[Table]:
    """Tables saved as `|` then one `cell |` a line per row (the DashScope pages)."""
    i = 0
    while i < len(lines):
        if lines[i] != "|":
            i += 1
            continue
        title = lines[i - 1] if i else ""
        status = _status(lines[:i])
        rows: list[list[str]] = []
        while i < len(lines) and lines[i] == "|":
            i += 1
            row = []
            while i < len(lines) and lines[i].endswith("|") and lines[i] != "|":
                row.append(lines[i][:-1].strip())
                i += 1
            rows.append(row)
        if rows and len(rows[0]) > 1:
            yield Table(title, status, [c.lower() for c in rows[0]], rows[1:])


def _list_tables(lines: Sequence[str]) -> Iterator[Table]:
    """Field lists (`• name type [required] description` under a heading), as a docs
    site generated from OpenAPI writes them (the Dreadnode pages)."""
    title, current = "", None
    for i, line in enumerate(lines):
        found = re.match(r"^• ([A-Za-z_][\w.-]*) (\S+)(?: (required))?(?: (.*))?$", line)
        if found and TYPE_WORDS.match(found.group(2)):
            if current is None:
                current = Table(title, _status(lines[:i]), ["name", "type", "required", "desc"])
            name, kind, required, rest = found.groups()
            current.rows.append([name, kind, "yes" if required else "no", rest or ""])
            continue
        if current is not None and current.rows:
            if line.startswith("• "):
                current.rows[-1][3] += "\n" + line
                continue
            yield current
        current = None
        if _scope(line, 200) or not title:
            title = line  # the heading a list is under, not the sentence after it
    if current is not None and current.rows:
        yield current


# --- what a table says ---------------------------------------------------------------


@dataclass
class Field:
    """One documented field or parameter."""

    scope: str  # path | query | header | response | response:<Object> | error
    name: str
    type: str  # string | integer | number | boolean | array | object | ""
    text: str  # the rest of the row: description, constraints, example

    def where(self) -> str:
        return f'{self.scope} "{self.name}"'


def fields(page: Page) -> tuple[list[Field], set[str], set[int]]:
    """The page's fields, the error codes and the error statuses it documents."""
    found: list[Field] = []
    codes: set[str] = set()
    statuses: set[int] = set()
    for table in page.tables:
        header = table.header
        if header[0] == "error code" or header[:2] == ["http status code", "error code"]:
            column = header.index("error code")
            codes |= {row[column] for row in table.rows if len(row) > column and row[column]}
            if header[0] == "http status code":
                statuses |= {int(row[0]) for row in table.rows if row[0].isdigit()}
            continue
        if header[0] == "status code":
            statuses |= {int(row[0]) for row in table.rows if row[0].isdigit()}
            continue
        scope = _scope(table.title, table.status)
        if scope is None:
            continue
        types = header.index("type") if "type" in header else None
        places = header.index("location") if "location" in header else None
        for row in table.rows:
            name, kind = _name_and_type(row, types)
            if not name:
                continue
            where = row[places].lower() if places is not None and len(row) > places else scope
            rest = [c for i, c in enumerate(row) if i not in (0, types, places)]
            found.append(Field(where, name, _type(kind), "\n".join(rest)))
    return found, codes, statuses


def _name_and_type(row: Sequence[str], types: int | None) -> tuple[str, str]:
    both = NAME_AND_TYPE.match(row[0]) if row else None
    if both and types is not None and (len(row) <= types or not TYPE_WORDS.match(row[types])):
        return both.group(1), both.group(2)
    name = row[0].split()[0] if row and row[0].split() else ""
    kind = row[types] if types is not None and len(row) > types else ""
    return (name if NAME.match(name) else ""), kind


def _scope(heading: str, status: int) -> str | None:
    """Which part of the operation a table titled `heading` documents (None: not one)."""
    title = heading.lower()
    if "path param" in title:
        return "path"
    if "query param" in title or title == "request parameters":
        return "query"
    if "header" in title:
        return "header"
    if any(w in title for w in ("response body", "response element", "response param")):
        return "error" if status >= 400 else "response"
    named = re.match(r"^table \d+\s+(\w+)$", title)
    if named:
        return f"response:{heading.split()[-1]}"
    if status >= 400 and title.startswith("response"):
        return "error"
    return None


def _type(raw: str) -> str:
    text = raw.strip().lower()
    if not text:
        return ""
    for word, kind in (
        ("array", "array"),
        ("list<", "array"),
        ("string", "string"),
        ("integer", "integer"),
        ("int", "integer"),
        ("long", "integer"),
        ("number", "number"),
        ("float", "number"),
        ("double", "number"),
        ("boolean", "boolean"),
    ):
        if text.startswith(word):
            return kind
    return "object"  # "object", "map", "ModelInfo object", "Label"


def enum_values(text: str) -> set[str]:
    """The values a row lists as bullets (`• ASC: ascending order.`, `• Keras H5`)."""
    found = set()
    for line in text.splitlines():
        bullet = re.match(r"^[•\-*]\s*(.+)$", line.strip())
        if not bullet:
            continue
        value = re.split(r"\s*(?::|;|\(| -)", bullet.group(1), maxsplit=1)[0].strip(" .")
        if re.fullmatch(r"[A-Za-z0-9][\w.-]*(?: [A-Z0-9][\w]*)?", value) and not value.startswith(
            "Default"
        ):
            found.add(value)
    return found


NUMBER = r"(-?\d[\d,]*)"
RANGE = re.compile(
    rf"[Rr]ange:?\s*\[?{NUMBER}\s*(?:,|to|-)\s*{NUMBER}\]?(\s*characters)?|"
    rf"^Constraints:\s*\[{NUMBER},\s*{NUMBER}\]",
    re.MULTILINE,
)
DEFAULT = re.compile(r"[Dd]efault(?: [Vv]alue)?(?::| is)\s*([^\s,;]+)")


def stated_range(text: str) -> tuple[int, int] | None:
    found = RANGE.search(text)
    if not found:
        return None
    low, high = (found.group(1), found.group(2)) if found.group(1) else found.group(4, 5)
    return int(low.replace(",", "")), int(high.replace(",", ""))


def stated_default(text: str) -> str | None:
    found = DEFAULT.search(text)
    if not found:
        return None
    value = found.group(1).rstrip(".")
    return None if value in ("N/A", "By", "") else value


# --- what the mock has ---------------------------------------------------------------


@dataclass
class Spec:
    """One parameter or property of the mock, in the terms a doc table uses."""

    name: str  # the doc's field name (x-source.field), else the property's
    type: str
    enum: frozenset[str] | None
    bounds: tuple[int | None, int | None] | None  # numbers: min/max; strings: length
    default: Any
    path: str  # where it is in the mock: `param pai.ListModelVersions query PageSize`
    expected: bool  # from the docs (kind doc): its absence from its page is drift
    operation: str = ""  # the doc operation it comes from


def param_spec(vendor: Vendor, op: Operation, param: Param) -> Spec:
    origin = param.origin()
    kind = "integer" if param.kind == "int" else "string"
    bounds = (
        (param.minimum, param.maximum)
        if param.kind == "int"
        else (param.min_length, param.max_length)
    )
    return Spec(
        origin.field if origin else param.name,
        kind,
        frozenset(param.choices) if param.kind == "enum" else None,
        None if bounds == (None, None) else bounds,
        param.default,
        f"param {vendor.name}.{op.name} {param.location} {param.name}",
        bool(origin and origin.kind == "doc"),
        origin.operation if origin else "",
    )


def object_specs(
    documents: Mapping[str, Mapping[str, Any]], schema: str, node: Mapping[str, Any], pointer: str
) -> list[Spec]:
    """The properties of an object schema (through $ref, allOf and untitled anyOf)."""
    specs: dict[str, Spec] = {}
    for owner, sub, where, base in _members(documents, schema, node, pointer, read(node), 0):
        for name, prop in (sub.get("properties") or {}).items():
            if not isinstance(prop, Mapping):
                continue
            source = read(prop, base)
            doc_name = (source.field if source and source.field else "") or name
            specs.setdefault(
                doc_name, _property_spec(documents, owner, prop, doc_name, where, name, source)
            )
    return list(specs.values())


def _members(
    documents: Mapping[str, Mapping[str, Any]],
    schema: str,
    node: Mapping[str, Any],
    pointer: str,
    base: Source | None,
    depth: int,
) -> Iterator[tuple[str, Mapping[str, Any], str, Source | None]]:
    if depth > 8:
        return
    yield schema, node, pointer, base
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = resolve(documents, schema, ref)
        if target:
            doc, sub = target
            where = f"schemas/{doc}.json#{ref.partition('#')[2]}"
            yield from _members(documents, doc, sub, where, read(documents[doc]), depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for i, item in enumerate(node.get(key) or ()):
            if isinstance(item, Mapping) and (key == "allOf" or "title" not in item):
                yield from _members(
                    documents, schema, item, f"{pointer}/{key}/{i}", base, depth + 1
                )


def _property_spec(
    documents: Mapping[str, Mapping[str, Any]],
    owner: str,
    prop: Mapping[str, Any],
    doc_name: str,
    where: str,
    name: str,
    source: Source | None,
) -> Spec:
    node = _resolved(documents, owner, prop)
    kind = _schema_type(node)
    enum = node.get("enum")
    if kind in ("integer", "number"):
        bounds: tuple[int | None, int | None] | None = (node.get("minimum"), node.get("maximum"))
    elif kind == "string":
        bounds = (node.get("minLength"), node.get("maxLength"))
        if bounds == (None, None):
            bounds = _pattern_length(str(node.get("pattern") or ""))
    else:
        bounds = None
    return Spec(
        doc_name,
        kind,
        frozenset(str(v) for v in enum) if isinstance(enum, list) else None,
        None if bounds == (None, None) else bounds,
        node.get("default"),
        f"{where}/properties/{name}",
        bool(source and source.kind == "doc"),
        source.operation if source else "",
    )


def _resolved(
    documents: Mapping[str, Mapping[str, Any]], owner: str, node: Mapping[str, Any]
) -> Mapping[str, Any]:
    """`node` merged over what its `$ref` points at (its own keywords win)."""
    for _ in range(8):
        ref = node.get("$ref")
        if not isinstance(ref, str):
            break
        target = resolve(documents, owner, ref)
        if target is None:
            break
        owner = target[0]
        node = {**target[1], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _schema_type(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "")
    if isinstance(kind, str):
        return kind
    values = node.get("enum") or ([node["const"]] if "const" in node else [])
    if values:
        return "integer" if all(isinstance(v, int) for v in values) else "string"
    if "properties" in node or "allOf" in node:
        return "object"
    return ""


def _pattern_length(pattern: str) -> tuple[int | None, int | None]:
    """(min, max) length a pattern fixes: `^[A-Za-z0-9-]{1,36}$` or `^(?=.{1,64}$)...`."""
    found = re.fullmatch(r"\^\[[^\]]+\]\{(\d+),(\d+)\}\$", pattern) or re.match(
        r"\^\(\?=\.\{(\d+),(\d+)\}\$\)", pattern
    )
    return (int(found.group(1)), int(found.group(2))) if found else (None, None)


def titled(
    documents: Mapping[str, Mapping[str, Any]], vendor: str
) -> dict[str, tuple[str, Mapping[str, Any], str]]:
    """The vendor's object schemas by title (`ModelInfo`, `LlmModelConfig`): doc tables
    of nested objects are named by them."""
    found: dict[str, tuple[str, Mapping[str, Any], str]] = {}

    def visit(name: str, node: Any, pointer: str) -> None:
        if not isinstance(node, Mapping):
            return
        title = node.get("title")
        if isinstance(title, str) and "properties" in node:
            found.setdefault(title, (name, node, pointer))
        for key, value in node.items():
            if isinstance(value, Mapping):
                visit(name, value, f"{pointer}/{key}")

    for name, document in sorted(documents.items()):
        if name.startswith(f"{vendor}/") and not name.endswith(".record"):
            visit(name, document, "")
    return found


# --- comparing -----------------------------------------------------------------------


def operation_of(vendor: Vendor, page: Page) -> Operation | None:
    """The operation whose method and path the page documents."""
    for found in re.finditer(
        r"\b(GET|POST|PUT|DELETE|PATCH)\b(?:\s+\\)?\s+(?:--url\s+)?(?:https?://[^/\s]+)?(/[^\s?\"'\\]*)",
        page.text,
    ):
        method, path = found.group(1), found.group(2).rstrip("/")
        for op in vendor.operations:
            if op.method == method and _same_route(path, op.path):
                return op
    return None


def _same_route(path: str, template: str) -> bool:
    given, wanted = path.split("/"), template.split("/")
    if len(given) != len(wanted):
        return False
    return all(
        g == w or (w.startswith("{") and g != "") for g, w in zip(given, wanted, strict=True)
    )


def compare(
    vendor: Vendor, page: Page, documents: Mapping[str, Mapping[str, Any]], known: set[str]
) -> list[str]:
    """One line per difference between the page and the mock."""
    op = operation_of(vendor, page)
    if op is None:
        return [f"{page.name}: no route of {vendor.name} found on the page"]
    found, codes, statuses = fields(page)
    pages = _pages_of(op, documents)
    lines: list[str] = []
    scopes = {f.scope for f in found}
    by_title = titled(documents, vendor.name)
    # credential headers are the security schemes' (auth emulation), not parameters
    credentials = {s.get("name", "").lower() for s in vendor.security.values()}
    for scope in sorted(scopes):
        specs = _specs_for(vendor, op, scope, documents, by_title, pages)
        if specs is None:
            continue
        documented = [f for f in found if f.scope == scope and f.name.lower() not in credentials]
        if not documented:
            continue
        lines += [f"{page.name}: {op.name} {line}" for line in _compare_scope(documented, specs)]
    for code in sorted(codes - known):
        lines.append(
            f'{page.name}: {op.name} new error code: "{code}" is not answered by the mock '
            f"[{vendor.name} error codes]"
        )
    answered = {*vendor.statuses, vendor.param_error_status, 404, 401, *op.errors}
    for status in sorted(s for s in statuses if s >= 400 and s not in answered):
        lines.append(
            f"{page.name}: {op.name} new error status: {status} is not answered by the mock "
            f"[{vendor.name} statuses]"
        )
    return lines


def _specs_for(
    vendor: Vendor,
    op: Operation,
    scope: str,
    documents: Mapping[str, Mapping[str, Any]],
    by_title: Mapping[str, tuple[str, Mapping[str, Any], str]],
    pages: set[str],
) -> list[Spec] | None:
    """The mock's side of one scope; a spec is expected on the page when it comes from
    the docs of one of the operation's own pages."""
    if scope in ("path", "query", "header"):
        specs = [param_spec(vendor, op, p) for p in op.params if p.location == scope]
    elif scope == "response" and op.response_schema in documents:
        name = op.response_schema
        specs = object_specs(documents, name, documents[name], f"schemas/{name}.json#")
    elif scope == "error" and vendor.error_schema in documents:
        name = vendor.error_schema
        specs = object_specs(documents, name, documents[name], f"schemas/{name}.json#")
    elif scope.startswith("response:") and scope[9:] in by_title:
        name, node, pointer = by_title[scope[9:]]
        specs = object_specs(documents, name, node, f"schemas/{name}.json#{pointer}")
    else:
        return None
    for spec in specs:
        spec.expected = spec.expected and spec.operation in pages
    return specs


def _pages_of(op: Operation, documents: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The doc operations the operation's parameters and response come from."""
    sources = [p.origin() for p in op.params]
    sources.append(read(documents.get(op.response_schema, {})))
    return {s.operation for s in sources if s is not None}


def _compare_scope(documented: Sequence[Field], specs: Sequence[Spec]) -> Iterator[str]:
    mine = {s.name: s for s in specs}
    theirs = {f.name: f for f in documented}
    added = [f for name, f in theirs.items() if name not in mine]
    removed = [s for name, s in mine.items() if name not in theirs and s.expected]
    for spec in list(removed):
        names = [f.name for f in added if _alike(f.type, spec.type)]
        match = difflib.get_close_matches(spec.name, names, n=1, cutoff=0.5)
        if match:
            new = theirs[match[0]]
            added.remove(new)
            removed.remove(spec)
            yield f'renamed: {new.scope} "{spec.name}" -> "{new.name}" [{spec.path}]'
    for f in added:
        yield f"added: {f.where()} ({f.type or 'no type'}) is not in the mock"
    for spec in removed:
        yield f'removed: {documented[0].scope} "{spec.name}" is no longer documented [{spec.path}]'
    for name, f in theirs.items():
        if name in mine:
            yield from _compare_field(f, mine[name])


def _alike(doc: str, mock: str) -> bool:
    numeric = ("integer", "number")
    return not doc or not mock or doc == mock or (doc in numeric and mock in numeric)


def _compare_field(f: Field, spec: Spec) -> Iterator[str]:
    where = f"{f.where()}"
    if not _alike(f.type, spec.type):
        yield f"retyped: {where}: doc {f.type}, mock {spec.type} [{spec.path}]"
    if spec.enum is not None:
        values = enum_values(f.text)
        if values:
            for value in sorted(values - spec.enum):
                yield f'new enum value: {where}: "{value}" [{spec.path}]'
            for value in sorted(spec.enum - values):
                yield f'enum value gone: {where}: "{value}" is no longer documented [{spec.path}]'
    stated = stated_range(f.text)
    if stated and spec.bounds is not None:
        low, high = spec.bounds
        if spec.type == "string" and low is None:
            low = 0
        if (low is not None and low != stated[0]) or (high is not None and high != stated[1]):
            shown = f"{'' if low is None else low}..{'' if high is None else high}"
            yield (
                f"changed range: {where}: doc {stated[0]}..{stated[1]}, mock {shown} [{spec.path}]"
            )
    default = stated_default(f.text)
    if default is not None and spec.default is not None and default != str(spec.default):
        yield f"changed default: {where}: doc {default}, mock {spec.default} [{spec.path}]"


CODE_FIELDS = ("Code", "error_code", "type", "code")


def known_codes(vendor: Vendor, documents: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The error codes the mock answers for `vendor`: its status table's, its param
    error's, and any its error schema enumerates."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": vendor.prefixes[0],
        "headers": [],
        "query_string": b"",
        "app": SimpleNamespace(rng=Random(0)),
        "state": {},
    }
    request = Request(scope)
    codes = {vendor.error(request, status).code for status in (*vendor.statuses, 404, 405)}
    schema = documents.get(vendor.error_schema, {})
    for spec in object_specs(documents, vendor.error_schema, schema, ""):
        if spec.name in CODE_FIELDS and spec.enum:
            codes |= spec.enum
    return codes


def example_codes(vendor_field: str, text: str) -> set[str]:
    """Codes in the page's JSON examples (`"error_code" : "common.01000001"`)."""
    return set(re.findall(rf'"{re.escape(vendor_field)}"\s*:\s*"([^"]+)"', text))


def drift(vendor: Vendor, paths: Sequence[Path], documents: Mapping[str, Any]) -> list[str]:
    """Every difference between the saved pages and the mock, one line each."""
    known = known_codes(vendor, documents)
    code_field = _code_field(vendor, documents)
    lines = []
    for path in paths:
        page = read_page(path)
        if code_field:
            page.tables.append(
                Table(
                    "examples",
                    400,
                    ["error code"],
                    [[c] for c in sorted(example_codes(code_field, page.text))],
                )
            )
        lines += compare(vendor, page, documents, known)
    return lines


def _code_field(vendor: Vendor, documents: Mapping[str, Any]) -> str:
    """The error body's field that holds the code (`Code`, `error_code`, `type`...)."""
    schema = documents.get(vendor.error_schema, {})
    names = {s.name for s in object_specs(documents, vendor.error_schema, schema, "")}
    if "detail" in names and "type" in names:
        return "type"  # {code: <status>, detail, type}: the machine-readable code is type
    return next((name for name in CODE_FIELDS if name in names), "")
