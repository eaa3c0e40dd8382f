"""Dreadnode: List Model Versions against the docs (and what the SDK relies on)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.app import load_fixtures
from mockserver.core.auth import Credential
from mockserver.core.fixtures import FixtureError
from mockserver.core.schemas import Schemas
from mockserver.settings import Settings
from tests.conftest import assert_valid, bundled_records

EXAMPLE = "/api/v1/org/example/models/example/versions"  # the docs' example URL


def get(client: TestClient, schemas: Schemas, url: str = EXAMPLE, **headers: str) -> dict[str, Any]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, "dreadnode/list_model_versions.response", body)
    return body


def stored(canonical: str) -> list[dict[str, Any]]:
    return [v for v in bundled_records("dreadnode", "versions") if v["name"] == canonical]


def test_versions_are_newest_first(client: TestClient, schemas: Schemas) -> None:
    body = get(client, schemas)
    written = stored("example/example")
    expected = sorted(written, key=lambda v: datetime.fromisoformat(v["created_at"]), reverse=True)
    assert len(expected) >= 3
    assert body["name"] == "example"
    assert body["versions"] == [v["version"] for v in expected]
    assert body["versions"] != [v["version"] for v in written], "fixture should be out of order"


def test_latest_is_the_summary_of_the_newest(client: TestClient, schemas: Schemas) -> None:
    body = get(client, schemas)
    latest = body["latest"]
    assert latest["version"] == body["versions"][0]
    assert latest["name"] == "example/example"
    [written] = [v for v in stored("example/example") if v["version"] == latest["version"]]
    for field, value in written.items():
        assert str(latest[field]).lower() == str(value).lower(), field


def test_documented_defaults_fill_left_out_fields(client: TestClient, schemas: Schemas) -> None:
    body = get(
        client, schemas, "/api/v1/org/redteam-labs/models/prompt-injection-classifier/versions"
    )
    latest = body["latest"]
    assert latest["framework"] == "safetensors"
    assert latest["download_count"] == 0
    assert latest["origin"] == {"source": "upload"}
    assert latest["tags"] is None
    assert latest["version"] == "1.1.0-alpha.1+build.7"


def test_newest_means_created_last_not_highest_semver(client: TestClient, schemas: Schemas) -> None:
    body = get(client, schemas, "/api/v1/org/acme-ai/models/phi-3-mini-jailbreak-detector/versions")
    assert body["versions"] == ["3.1.5", "3.2.1"]
    assert body["latest"]["version"] == "3.1.5"


def test_model_without_versions(client: TestClient, schemas: Schemas) -> None:
    body = get(client, schemas, "/api/v1/org/acme-ai/models/empty-model/versions")
    assert body == {"name": "empty-model", "versions": [], "latest": None}


@pytest.mark.parametrize("mode", ["check", "verify"])
@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer dn-key"}, {"X-API-Key": "dn-key"}],
    ids=["bearer (the docs)", "x-api-key (the SDK)"],
)
def test_both_auth_headers_are_accepted_when_auth_is_on(
    schemas: Schemas, mode: str, headers: dict[str, str]
) -> None:
    settings = Settings(auth=mode, credentials=(Credential("dreadnode", "ci", "dn-key"),))
    with TestClient(create_app(settings)) as own:
        body = get(own, schemas, **headers)
        assert body["versions"][0] == body["latest"]["version"]
        refused = own.get(EXAMPLE)  # and the check is really on
        assert (refused.status_code, refused.json()["type"]) == (401, "authentication_error")
        wrong = {name: value.replace("dn-key", "dn-other") for name, value in headers.items()}
        assert own.get(EXAMPLE, headers=wrong).status_code == (401 if mode == "verify" else 200)


def test_no_credentials_needed_with_auth_off(client: TestClient, schemas: Schemas) -> None:
    body = get(client, schemas)
    assert body["versions"][0] == body["latest"]["version"]


# --- errors ----------------------------------------------------------------------------


def assert_error(schemas: Schemas, response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, "dreadnode/error", body)
    assert body["code"] == status
    assert body["type"] == kind
    return body


def test_unknown_org(client: TestClient, schemas: Schemas) -> None:
    body = assert_error(
        schemas, client.get("/api/v1/org/nobody/models/example/versions"), 404, "not_found_error"
    )
    assert "nobody" in body["detail"]
    assert body["errors"] is None


def test_unknown_model(client: TestClient, schemas: Schemas) -> None:
    body = assert_error(
        schemas, client.get("/api/v1/org/example/models/ghost/versions"), 404, "not_found_error"
    )
    assert "example/ghost" in body["detail"]


@pytest.mark.parametrize(
    ("org", "name", "where", "kind"),
    [
        ("Example", "example", "org", "string_pattern_mismatch"),
        ("ex_ample", "example", "org", "string_pattern_mismatch"),
        ("-example", "example", "org", "string_pattern_mismatch"),
        ("a" * 65, "example", "org", "string_too_long"),
        ("example", "Example", "name", "string_pattern_mismatch"),
        ("example", "bad name", "name", "string_pattern_mismatch"),
        ("example", "trailing-", "name", "string_pattern_mismatch"),
        ("example", "m" * 129, "name", "string_too_long"),
    ],
)
def test_invalid_slugs_are_422(
    client: TestClient, schemas: Schemas, org: str, name: str, where: str, kind: str
) -> None:
    response = client.get(f"/api/v1/org/{org}/models/{name}/versions")
    body = assert_error(schemas, response, 422, "validation_error")
    [item] = body["errors"]
    assert item["loc"] == ["path", where]
    assert item["type"] == kind
    assert where in body["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/org"),
        ("GET", "/api/v1/org/example"),
        ("GET", "/api/v1/org/example/models/example/versions/1.0.0/extra"),
        ("GET", "/api/v1/org/example/models/example/1.0.0/aliases"),
        ("POST", EXAMPLE),
        ("PUT", "/api/v1/org/example/models"),
    ],
)
def test_unknown_paths_answer_in_the_envelope(
    client: TestClient, schemas: Schemas, method: str, path: str
) -> None:
    assert_error(schemas, client.request(method, path), 404, "not_found_error")


# --- fixture rules ---------------------------------------------------------------------

BASE = """\
orgs: [{slug: acme}]
models: [{name: acme/m}]
versions:
  - {id: 0b8f1c9e-2f4a-4c6b-9d1e-3a5b7c9d1e2f, name: acme/m, version: 1.0.0,
     created_at: "2025-01-01T00:00:00Z"}
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "dreadnode").mkdir()
    (tmp_path / "dreadnode" / "m.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(FixtureError) as info:
        load_fixtures(Settings(fixtures=tmp_path))
    return [str(p) for p in info.value.problems]


def test_base_fixture_loads(tmp_path: Path) -> None:
    (tmp_path / "dreadnode").mkdir()
    (tmp_path / "dreadnode" / "m.yaml").write_text(BASE, encoding="utf-8")
    assert len(load_fixtures(Settings(fixtures=tmp_path))["dreadnode"]["versions"]) == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("version: 1.0.0", "version: '1.0'"),
            "$.version: '1.0' is not a valid Semver version string",
        ),
        (("version: 1.0.0", "version: v1.0.0"), "$.version: 'v1.0.0' is not a valid Semver"),
        (
            ("id: 0b8f1c9e-2f4a-4c6b-9d1e-3a5b7c9d1e2f", "id: not-a-uuid"),
            "$.id: 'not-a-uuid' is not a valid Artifact UUID",
        ),
        (
            ("name: acme/m, version", "name: acme/x, version"),
            "$.name: no models record has name 'acme/x'",
        ),
        (
            ("models: [{name: acme/m}]", "models: [{name: other/m}]"),
            "$.name: no orgs record has slug 'other'",
        ),
        (
            ('created_at: "2025-01-01T00:00:00Z"', "created_at: yesterday"),
            "$.created_at: 'yesterday' is not a 'date-time'",
        ),
    ],
)
def test_bad_records(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    found = problems(tmp_path, BASE.replace(*change))
    assert any(expected in p for p in found), found


def test_duplicate_version(tmp_path: Path) -> None:
    again = """\
  - id: 1b8f1c9e-2f4a-4c6b-9d1e-3a5b7c9d1e2f
    name: acme/m
    version: 1.0.0
    created_at: "2025-02-01T00:00:00Z"
"""
    [message] = problems(tmp_path, BASE + again)
    assert (
        "versions[1] '1.0.0' (line 6): $.version: duplicate name/version 'acme/m/1.0.0'" in message
    )
