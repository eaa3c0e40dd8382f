"""JSON Schemas (Draft 2020-12): loaded once from `schemas/<vendor>/*.json`.

Every file's `$id` is `https://schemas.mockserver.invalid/<vendor>/<file>`, so a
schema refers to its neighbours by file name (`"$ref": "label.json"`). A schema is
named `<vendor>/<stem>` here, e.g. `pai/version`.

jsonschema is imported on first validation, not with this module: a start whose
records are all in the memo of records already found valid (`ValidMemo`) never
needs it, which is about half of a cold start with the bundled fixtures.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

from mockserver._version import __version__
from mockserver.core.errors import clip
from mockserver.settings import data_dir

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

BASE_URI = "https://schemas.mockserver.invalid/"
MESSAGE_LIMIT = 200  # a longer problem message repeats a long value, which it cuts short


@cache
def formats() -> FormatChecker:
    """jsonschema's format checks, plus the two date-time forms the vendors write."""
    from jsonschema import FormatChecker

    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _is_date_time(value: object) -> bool:
        """RFC 3339 date-time with a zone; jsonschema alone needs an extra package for it."""
        if not isinstance(value, str):
            return True
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a time zone is required")
        return True

    @checker.checks("local-date-time", raises=ValueError)
    def _is_local_date_time(value: object) -> bool:
        """A calendar-valid date-time without a zone (DashScope writes its times so)."""
        if isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None:
            raise ValueError("no time zone is allowed")
        return True

    return checker


def json_path(parts: Any) -> str:
    """`$.Labels[0].Key` from a jsonschema error path."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class Schemas:
    """All schemas of one folder, with a cached validator per schema name."""

    def __init__(self, root: Path, memo: ValidMemo | None = None) -> None:
        self.root = root
        self.documents: dict[str, dict[str, Any]] = {}
        digest = hashlib.sha256(f"{__version__}\0".encode() + Path(__file__).read_bytes())
        for path in sorted(root.glob("*/*.json")):
            name = f"{path.parent.name}/{path.stem}"
            text = path.read_bytes()
            document = json.loads(text)
            expected = f"{BASE_URI}{name}.json"
            if document.get("$id") != expected:
                raise ValueError(f"{path}: $id must be {expected!r}")
            self.documents[name] = document
            digest.update(f"\0{name}\0".encode() + text)
        self.digest = digest.hexdigest()  # what a record's validity depends on, besides it
        self.memo = memo
        self._validators: dict[str, Draft202012Validator] = {}

    @cached_property
    def registry(self) -> Registry[Any]:
        from referencing import Registry, Resource

        return Registry().with_resources(
            (f"{BASE_URI}{name}.json", Resource.from_contents(document))
            for name, document in self.documents.items()
        )

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._validators:
            from jsonschema import Draft202012Validator

            if name not in self.documents:
                raise KeyError(f"no schema named {name!r} under {self.root}")
            self._validators[name] = Draft202012Validator(
                self.documents[name], registry=self.registry, format_checker=formats()
            )
        return self._validators[name]

    def errors(self, name: str, instance: Any, remember: bool = False) -> list[tuple[str, str]]:
        """Every problem as (json-path, message), sorted by path.

        With `remember` (stored records, which repeat from run to run), the memo answers
        for records already found valid and learns the new valid ones.
        """
        memo = self.memo if remember else None
        key = memo.key(self.digest, name, instance) if memo is not None else None
        if memo is not None and key is not None and key in memo:
            return []
        found: set[tuple[str, str]] = set()
        for error in _leaves(self.validator(name).iter_errors(instance)):
            if error.validator in ("unevaluatedProperties", "additionalProperties"):
                found.update(self._unknown_fields(error, self.documents[name]["$id"]))
            else:
                found.add((json_path(error.absolute_path), _message(error)))
        if memo is not None and key is not None and not found:
            memo.add(key)
        return sorted(found)

    def _unknown_fields(self, error: ValidationError, base: str) -> list[tuple[str, str]]:
        """One problem per field that no part of the schema declares.

        jsonschema calls every property of an object "unevaluated" once an `allOf` part
        of it failed; only the fields no subschema declares are problems of their own.
        Schemas refer to siblings in their vendor folder, so `base` resolves every `$ref`.
        """
        declared = self._declared(error.schema, base)
        path = list(error.absolute_path)
        instance: dict[str, Any] = error.instance if isinstance(error.instance, dict) else {}
        return [
            (json_path([*path, key]), "unknown field") for key in instance if key not in declared
        ]

    def _declared(self, schema: Any, base: str) -> set[str]:
        if not isinstance(schema, dict):
            return set()
        names = set(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            names |= self._declared(part, base)
        if "$ref" in schema:
            target = urldefrag(urljoin(base, schema["$ref"]))[0]
            names |= self._declared(
                self.registry.resolver(base).lookup(schema["$ref"]).contents, target
            )
        return names


def _leaves(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    """The specific causes under `anyOf`/`oneOf`/`allOf`, not just the summary line."""
    for error in errors:
        if error.context and error.validator in ("allOf", "if", "then"):
            yield from _leaves(iter(error.context))
        else:
            yield error


def _message(error: ValidationError) -> str:
    """jsonschema's message, but a long pattern is named by its title or description, and a
    long value is cut short (the message goes back to whoever sent the record)."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    name = schema.get("title") or schema.get("description")
    message = error.message
    if error.validator == "pattern" and len(str(error.validator_value)) > 48 and name:
        message = f"{error.instance!r} is not a valid {name}"
    if len(message) > MESSAGE_LIMIT:  # it repeats a long value: cut that short
        value = repr(error.instance)
        message = message.replace(value, clip(value), 1)
    return message


class ValidMemo:
    """Digests of records jsonschema already found valid, kept across runs in a file.

    A digest covers the record, the schema's name and `Schemas.digest` (every schema
    file, this module's format checks and the mockserver version), so an entry can
    only ever answer for the exact same question. Only valid records are kept: a bad
    record is validated, and reported, in full every time. `mockserver check` does not
    use it. Read once; `save` merges and writes atomically; an unwritable place only
    means no memo.
    """

    KEPT = 50_000  # digests kept in the file, newest last
    # New digests learned per process: records added at run time (POST /_mock/data) are
    # validated through the memo too, and must not grow it without end; a larger
    # fixture set is learned over a few starts, as the file merges each start's additions.
    LEARNED = 10_000

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._added: list[str] = []

    @classmethod
    def default(cls) -> ValidMemo:
        """In $MOCKSERVER_CACHE_DIR, else the user's cache folder; off if that is "-"."""
        where = os.environ.get("MOCKSERVER_CACHE_DIR")
        if where == "-":
            return cls(None)
        base = Path(where) if where else _user_cache() / "mockserver"
        return cls(base / "valid-records.txt")

    @staticmethod
    def key(schemas_digest: str, name: str, instance: Any) -> str | None:
        try:
            text = json.dumps(instance, sort_keys=True, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            return None  # not plain JSON (e.g. mixed key types): always validate
        return hashlib.sha256(f"{schemas_digest}\0{name}\0{text}".encode()).hexdigest()

    @cached_property
    def _known(self) -> set[str]:
        return set(self._read())

    def __contains__(self, key: str) -> bool:
        return key in self._known

    def add(self, key: str) -> None:
        if len(self._added) < self.LEARNED and key not in self._known:
            self._known.add(key)
            self._added.append(key)

    def save(self) -> None:
        if self.path is None or not self._added:
            return
        added = set(self._added)
        kept = [k for k in self._read() if k not in added] + self._added
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            temporary.write_text("\n".join(kept[-self.KEPT :]) + "\n", encoding="ascii")
            temporary.replace(self.path)
            self._added = []
        except OSError:
            pass

    def _read(self) -> list[str]:
        if self.path is None:
            return []
        try:
            return self.path.read_text(encoding="ascii").split()[-self.KEPT :]
        except (OSError, ValueError):
            return []


def _user_cache() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) if xdg else Path.home() / ".cache"


@cache
def bundled() -> Schemas:
    """The schemas shipped with the package (loaded once per process)."""
    return Schemas(data_dir("schemas"), memo=ValidMemo.default())
