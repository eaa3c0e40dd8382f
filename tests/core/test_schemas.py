"""The bundled JSON Schemas themselves: valid Draft 2020-12, every reference resolvable."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from mockserver.core.schemas import BASE_URI, bundled, json_path
from mockserver.settings import data_dir

NAMES = sorted(bundled().documents)


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    document = bundled().documents[name]
    Draft202012Validator.check_schema(document)
    assert document["$id"] == f"{BASE_URI}{name}.json"


def refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


@pytest.mark.parametrize("name", NAMES)
def test_every_reference_resolves(name: str) -> None:
    schemas = bundled()
    resolver = schemas.registry.resolver(schemas.documents[name]["$id"])
    for ref in refs(schemas.documents[name]):
        try:
            resolver.lookup(ref)
        except Unresolvable as exc:
            raise AssertionError(f"{name}: {ref} does not resolve") from exc


def test_every_schema_file_is_loaded() -> None:
    files = {f"{p.parent.name}/{p.stem}" for p in data_dir("schemas").glob("*/*.json")}
    assert files == set(NAMES)


def test_json_path() -> None:
    assert json_path(["Labels", 0, "Key"]) == "$.Labels[0].Key"
    assert json_path([]) == "$"
