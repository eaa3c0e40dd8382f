"""The fixture loader: every problem named by file, record and field; nothing half-loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mockserver.app import load_fixtures
from mockserver.core.fixtures import FixtureError
from mockserver.settings import Settings, data_dir

MODEL = """\
  - ModelId: model-abc
    ModelName: m
    GmtCreateTime: "2024-01-01T00:00:00Z"
    GmtModifiedTime: "2024-01-02T00:00:00Z"
    WorkspaceId: "1"
    Accessibility: PRIVATE
"""
VERSION = """\
  - ModelId: model-abc
    VersionName: 1.0.0
    GmtCreateTime: "2024-01-01T00:00:00Z"
    GmtModifiedTime: "2024-01-01T00:00:00Z"
    FormatType: ONNX
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(FixtureError) as info:
        load_fixtures(Settings(fixtures=root))
    return [str(p) for p in info.value.problems]


def test_the_bundled_fixtures_load() -> None:
    dataset = load_fixtures(Settings())
    assert len(dataset["pai"]["models"]) >= 5
    assert len(dataset["pai"]["versions"]) >= 11


def test_a_minimal_folder_loads(tmp_path: Path) -> None:
    root = write(
        tmp_path, {"pai/a.yaml": "models:\n" + MODEL, "pai/b.yaml": "versions:\n" + VERSION}
    )
    dataset = load_fixtures(Settings(fixtures=root))
    assert [m["ModelId"] for m in dataset["pai"]["models"]] == ["model-abc"]
    assert dataset["pai"]["versions"][0]["GmtCreateTime"] == "2024-01-01T00:00:00Z"


def test_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    root = write(tmp_path, {"pai/bad.yaml": "models:\n  - ModelId: [unclosed\n"})
    [message] = problems(root)
    # libyaml and PyYAML's own parser word the middle differently
    assert message.startswith(f"{root / 'pai' / 'bad.yaml'}: line 3: invalid YAML at column 1: ")
    assert "expected ',' or ']'" in message
    assert message.endswith("(while parsing a flow sequence started at line 2)")


def test_a_file_that_does_not_parse_is_one_problem_without_follow_ons(tmp_path: Path) -> None:
    broken = "models:\n" + MODEL.replace("ModelName: m", "ModelName: [m")
    versions = "versions:\n" + VERSION + VERSION.replace("1.0.0", "2.0.0")
    root = write(tmp_path, {"pai/models.yaml": broken, "pai/versions.yaml": versions})
    [message] = problems(root)
    assert message.startswith(f"{root / 'pai' / 'models.yaml'}: line 4: invalid YAML at column")
    assert "<unicode string>" not in message


def test_links_to_a_collection_that_loaded_are_still_checked(tmp_path: Path) -> None:
    orphan = "versions:\n" + VERSION.replace("model-abc", "model-zzz")
    root = write(
        tmp_path,
        {
            "pai/a.yaml": "models:\n" + MODEL,
            "pai/b.yaml": orphan,
            "pai/c.yaml": "versions:\n  - [\n",
        },
    )
    found = problems(root)
    assert len(found) == 2
    assert any(
        "b.yaml: versions[0] '1.0.0' (line 2): $.ModelId: no models record" in p for p in found
    )
    assert any("c.yaml: line 3: invalid YAML" in p for p in found)


def test_a_collection_that_is_not_a_list_has_no_orphans(tmp_path: Path) -> None:
    root = write(tmp_path, {"pai/m.yaml": "models: {}\nversions:\n" + VERSION})
    assert problems(root) == [
        f"{root / 'pai' / 'm.yaml'}: line 1: 'models' must be a list of records"
    ]


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "pai").mkdir()
    (tmp_path / "pai" / "m.yaml").write_bytes(b"models:\n  - ModelId: caf\xe9\n")
    assert problems(tmp_path) == [
        f"{tmp_path / 'pai' / 'm.yaml'}: line 2: not UTF-8 text: byte 0xe9"
    ]


def test_wrong_type_names_record_and_field(tmp_path: Path) -> None:
    root = write(tmp_path, {"pai/m.yaml": "models:\n" + MODEL + "    ParameterSize: lots\n"})
    [message] = problems(root)
    assert message == (
        f"{root / 'pai' / 'm.yaml'}: models[0] 'model-abc' (line 2): $.ParameterSize: "
        "'lots' is not of type 'integer'"
    )


def test_value_outside_enum(tmp_path: Path) -> None:
    text = "models:\n" + MODEL + "versions:\n" + VERSION.replace("ONNX", "onnx")
    [message] = problems(write(tmp_path, {"pai/m.yaml": text}))
    assert "versions[0] '1.0.0' (line 9): $.FormatType: 'onnx' is not one of" in message


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    root = write(tmp_path, {"pai/a.yaml": "models:\n" + MODEL, "pai/b.yaml": "models:\n" + MODEL})
    [message] = problems(root)
    assert message.startswith(
        f"{root / 'pai' / 'b.yaml'}: models[0] 'model-abc' (line 2): $.ModelId"
    )
    assert "duplicate ModelId 'model-abc', also in" in message
    assert str(root / "pai" / "a.yaml") in message


def test_duplicate_version_of_one_model(tmp_path: Path) -> None:
    text = "models:\n" + MODEL + "versions:\n" + VERSION + VERSION
    [message] = problems(write(tmp_path, {"pai/m.yaml": text}))
    assert "versions[1] '1.0.0'" in message
    assert "$.VersionName: duplicate ModelId/VersionName 'model-abc/1.0.0'" in message


def test_version_of_a_missing_model(tmp_path: Path) -> None:
    text = "models:\n" + MODEL + "versions:\n" + VERSION.replace("model-abc", "model-zzz")
    [message] = problems(write(tmp_path, {"pai/m.yaml": text}))
    assert message.endswith(
        "versions[0] '1.0.0' (line 9): $.ModelId: no models record has ModelId 'model-zzz'"
    )


def test_every_problem_is_reported_and_nothing_loads(tmp_path: Path) -> None:
    text = (
        "models:\n"
        + MODEL.replace("PRIVATE", "SECRET")
        + "versions:\n"
        + VERSION.replace("1.0.0", "v1")
        + VERSION.replace("model-abc", "model-x")
    )
    found = problems(write(tmp_path, {"pai/m.yaml": text}))
    assert len(found) == 3
    assert any("$.Accessibility" in p for p in found)
    assert any("$.VersionName: 'v1' does not match" in p for p in found)
    assert any("$.ModelId: no models record" in p for p in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "models:\n  - ModelId: a\n    ModelId: b\n",
            "m.yaml: line 3: invalid YAML at column 5: duplicate key 'ModelId' (while reading a "
            "mapping started at line 2)",
        ),
        (
            "models: []\ndatasets: []\n",
            "m.yaml: line 2: 'datasets' is not a collection of pai; known: models, versions",
        ),
        ("models: {}\n", "m.yaml: line 1: 'models' must be a list of records"),
        ("- 1\n", "m.yaml: line 1: the top level must map collection names"),
        ("models:\n  - just text\n", "models[0] (line 2): $: a record must be a mapping, not str"),
        ("models:\n" + MODEL + "    Surprise: 1\n", "$.Surprise: unknown field"),
        (
            "models:\n" + MODEL + "    LatestVersion: {}\n",
            "$.LatestVersion: must not be written: the server derives it",
        ),
        (
            "models:\n" + MODEL.replace("2024-01-02T", "2023-01-02T"),
            "$.GmtModifiedTime: must not be earlier than GmtCreateTime",
        ),
        (
            "models:\n" + MODEL.replace('"2024-01-01T00:00:00Z"', "2024-01-01"),
            "'2024-01-01' is not a valid UTC time",
        ),
        ("models:\n" + MODEL.replace("2024-01-01T00", "2024-13-01T00"), "is not a 'date-time'"),
        (
            "models:\n" + MODEL + "versions:\n" + VERSION + "    Options: '{oops'\n",
            "$.Options: must be a JSON document as text",
        ),
        (
            "models:\n" + MODEL + "versions:\n" + VERSION + "    SourceType: PAIFlow\n",
            "$: 'SourceId' is a required property",
        ),
        (
            "models:\n" + MODEL + "    Labels: [{Key: 'a=b', Value: c}]\n",
            "$.Labels[0].Key: 'a=b' does not match",
        ),
    ],
)
def test_record_problems(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(write(tmp_path, {"pai/m.yaml": text}))
    assert any(expected in p for p in found), found


def test_files_outside_a_vendor_folder(tmp_path: Path) -> None:
    root = write(tmp_path, {"models.yaml": "models: []\n", "nobody/x.yaml": "a: []\n"})
    found = problems(root)
    assert len(found) == 2
    expected = "fixture files go in a vendor folder (dashscope, dreadnode, huawei, pai)"
    assert all(expected in p for p in found)


def test_missing_folder(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope") == [f"{tmp_path / 'nope'}: fixtures folder not found"]


def test_timestamps_stay_text(tmp_path: Path) -> None:
    unquoted = MODEL.replace('"2024-01-01T00:00:00Z"', "2024-01-01T00:00:00Z")
    dataset = load_fixtures(
        Settings(fixtures=write(tmp_path, {"pai/m.yaml": "models:\n" + unquoted}))
    )
    assert dataset["pai"]["models"][0]["GmtCreateTime"] == "2024-01-01T00:00:00Z"


def test_a_copy_of_the_bundled_fixtures_loads_the_same(tmp_path: Path) -> None:
    shutil.copytree(data_dir("fixtures"), tmp_path / "copy")
    assert load_fixtures(Settings(fixtures=tmp_path / "copy")) == load_fixtures(Settings())


def test_fixture_error_is_exported_and_raised_by_add() -> None:
    import mockserver

    assert "FixtureError" in mockserver.__all__
    with mockserver.MockServer() as server, pytest.raises(mockserver.FixtureError) as info:
        server.add("pai", "versions", {"ModelId": "model-nope"})
    assert info.type is FixtureError
    assert any("no models record has ModelId 'model-nope'" in str(p) for p in info.value.problems)
