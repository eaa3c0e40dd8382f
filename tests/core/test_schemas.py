"""The bundled JSON Schemas themselves: valid Draft 2020-12, every reference resolvable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from mockserver.core.fixtures import load_dir
from mockserver.core.schemas import BASE_URI, Schemas, ValidMemo, bundled, json_path
from mockserver.settings import data_dir
from mockserver.vendors import VENDORS

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


# --- the memo of records already found valid ---------------------------------------------

GOOD = {"Key": "k", "Value": "v"}
BAD = {"Key": "k", "Value": 3}


def memo_schemas(tmp_path: Path, memo_dir: Path) -> Schemas:
    """A copy of the bundled schemas in tmp_path, with a memo file under memo_dir."""
    root = tmp_path / "schemas"
    if not root.exists():
        shutil.copytree(data_dir("schemas"), root)
    return Schemas(root, memo=ValidMemo(memo_dir / "valid-records.txt"))


def test_valid_records_are_remembered_across_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = memo_schemas(tmp_path, tmp_path)
    assert first.errors("pai/label", GOOD, remember=True) == []
    assert first.memo is not None
    first.memo.save()
    second = memo_schemas(tmp_path, tmp_path)

    def no_validation(name: str) -> None:
        raise AssertionError("the memo should have answered")

    monkeypatch.setattr(second, "validator", no_validation)
    assert second.errors("pai/label", GOOD, remember=True) == []


def test_invalid_records_are_never_remembered(tmp_path: Path) -> None:
    schemas = memo_schemas(tmp_path, tmp_path)
    expected = [("$.Value", "3 is not of type 'string'")]
    assert schemas.errors("pai/label", BAD, remember=True) == expected
    assert schemas.memo is not None
    schemas.memo.save()
    assert not (tmp_path / "valid-records.txt").exists()
    assert memo_schemas(tmp_path, tmp_path).errors("pai/label", BAD, remember=True) == expected


def test_a_changed_schema_is_not_answered_by_the_memo(tmp_path: Path) -> None:
    schemas = memo_schemas(tmp_path, tmp_path)
    schemas.errors("pai/label", GOOD, remember=True)
    assert schemas.memo is not None
    schemas.memo.save()
    label = tmp_path / "schemas" / "pai" / "label.json"
    document = json.loads(label.read_text(encoding="utf-8"))
    document["properties"]["Value"]["maxLength"] = 0
    label.write_text(json.dumps(document), encoding="utf-8")
    changed = memo_schemas(tmp_path, tmp_path)
    assert changed.digest != schemas.digest
    assert changed.errors("pai/label", GOOD, remember=True) == [
        ("$.Value", "'v' is expected to be empty")
    ]


def test_without_remember_the_memo_is_not_used(tmp_path: Path) -> None:
    schemas = memo_schemas(tmp_path, tmp_path)
    assert schemas.errors("pai/label", GOOD) == []
    assert schemas.memo is not None
    schemas.memo.save()
    assert not (tmp_path / "valid-records.txt").exists()


def test_an_unwritable_memo_is_no_memo(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    schemas = memo_schemas(tmp_path, blocked / "below")
    assert schemas.errors("pai/label", GOOD, remember=True) == []
    assert schemas.memo is not None
    schemas.memo.save()  # cannot write there: no error, no memo
    assert schemas.errors("pai/label", BAD, remember=True) != []


def test_memo_place_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", "-")
    assert ValidMemo.default().path is None
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    assert ValidMemo.default().path == tmp_path / "valid-records.txt"
    monkeypatch.delenv("MOCKSERVER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ValidMemo.default().path == tmp_path / "xdg" / "mockserver" / "valid-records.txt"


def test_the_loader_saves_the_memo_once_all_records_are_good(tmp_path: Path) -> None:
    collections = {v.name: v.collections for v in VENDORS}
    schemas = memo_schemas(tmp_path, tmp_path / "memo")
    dataset = load_dir(data_dir("fixtures"), collections, schemas)
    saved = (tmp_path / "memo" / "valid-records.txt").read_text(encoding="ascii").split()
    assert len(saved) == sum(len(rs) for cols in dataset.values() for rs in cols.values())
    again = load_dir(data_dir("fixtures"), collections, memo_schemas(tmp_path, tmp_path / "memo"))
    assert again == dataset
