"""JSON Schemas (Draft 2020-12): loaded once from `schemas/<vendor>/*.json`.

Every file's `$id` is `https://schemas.mockserver.invalid/<vendor>/<file>`, so a
schema refers to its neighbours by file name (`"$ref": "label.json"`). A schema is
named `<vendor>/<stem>` here, e.g. `pai/version`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from mockserver.settings import data_dir

BASE_URI = "https://schemas.mockserver.invalid/"

FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time with a zone; jsonschema alone needs an extra package for it."""
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a time zone is required")
    return True


@FORMATS.checks("local-date-time", raises=ValueError)
def _is_local_date_time(value: object) -> bool:
    """A calendar-valid date-time without a zone (DashScope writes its times so)."""
    if isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None:
        raise ValueError("no time zone is allowed")
    return True


def json_path(parts: Any) -> str:
    """`$.Labels[0].Key` from a jsonschema error path."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class Schemas:
    """All schemas of one folder, with a cached validator per schema name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.documents: dict[str, dict[str, Any]] = {}
        resources = []
        for path in sorted(root.glob("*/*.json")):
            name = f"{path.parent.name}/{path.stem}"
            document = json.loads(path.read_text(encoding="utf-8"))
            expected = f"{BASE_URI}{name}.json"
            if document.get("$id") != expected:
                raise ValueError(f"{path}: $id must be {expected!r}")
            self.documents[name] = document
            resources.append((expected, Resource.from_contents(document)))
        self.registry: Registry[Any] = Registry().with_resources(resources)
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._validators:
            if name not in self.documents:
                raise KeyError(f"no schema named {name!r} under {self.root}")
            self._validators[name] = Draft202012Validator(
                self.documents[name], registry=self.registry, format_checker=FORMATS
            )
        return self._validators[name]

    def errors(self, name: str, instance: Any) -> list[tuple[str, str]]:
        """Every problem as (json-path, message), sorted by path."""
        found: set[tuple[str, str]] = set()
        for error in _leaves(self.validator(name).iter_errors(instance)):
            if error.validator == "unevaluatedProperties":
                found.update(self._unknown_fields(error, self.documents[name]["$id"]))
            else:
                found.add((json_path(error.absolute_path), _message(error)))
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

    def is_valid(self, name: str, instance: Any) -> bool:
        return self.validator(name).is_valid(instance)


def _leaves(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    """The specific causes under `anyOf`/`oneOf`/`allOf`, not just the summary line."""
    for error in errors:
        if error.context and error.validator in ("allOf", "if", "then"):
            yield from _leaves(iter(error.context))
        else:
            yield error


def _message(error: ValidationError) -> str:
    """jsonschema's message, but a long pattern is named by its title or description."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    name = schema.get("title") or schema.get("description")
    if error.validator == "pattern" and len(str(error.validator_value)) > 48 and name:
        return f"{error.instance!r} is not a valid {name}"
    return error.message


@cache
def bundled() -> Schemas:
    """The schemas shipped with the package (loaded once per process)."""
    return Schemas(data_dir("schemas"))
