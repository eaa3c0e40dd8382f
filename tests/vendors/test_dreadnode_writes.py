"""Dreadnode's model registry twin over plain HTTP: each write, and each error in the
vendor's envelope (REST: `{code, detail, type, errors}`; registry protocol: OCI's)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.cli import main
from mockserver.core.auth import Credential
from mockserver.core.schemas import Schemas
from mockserver.settings import Settings
from mockserver.vendors.dreadnode import registry
from tests.conftest import assert_valid

MODEL = "/api/v1/org/example/models/example"
OCI = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture
def own() -> Iterator[TestClient]:
    """A mock of its own: these tests change its state."""
    with TestClient(create_app()) as client:
        yield client


def error(schemas: Schemas, response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert_valid(schemas, "dreadnode/error", body)
    assert (body["code"], body["type"]) == (status, kind)
    return body


def oci_error(schemas: Schemas, response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert_valid(schemas, "dreadnode/oci_error", body)
    assert body["errors"][0]["code"] == code
    return body


def detail(schemas: Schemas, response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_valid(schemas, "dreadnode/model_detail.response", body)
    return body


def upload(client: TestClient, canonical: str, data: bytes) -> Any:
    started = client.post(f"/api/v1/{canonical}/blobs/uploads/")
    assert started.status_code == 202, started.text
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return client.put(f"{started.headers['location']}?digest={digest}", content=data)


def manifest(canonical: str, version: str, config: bytes, **annotations: str) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI,
            "config": {
                "mediaType": "application/vnd.dreadnode.config.v1+json",
                "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                "size": len(config),
            },
            "layers": [],
            "annotations": {
                "io.dreadnode.type": "model",
                "io.dreadnode.name": canonical,
                "io.dreadnode.version": version,
                **annotations,
            },
        }
    ).encode()


def publish(client: TestClient, canonical: str, version: str, config: bytes) -> Any:
    assert upload(client, canonical, config).status_code == 201
    body = manifest(canonical, version, config)
    return client.put(f"/api/v1/{canonical}/manifests/{version}", content=body)


# --- reads -------------------------------------------------------------------------------


def test_list_models_pages_and_filters(client: TestClient, schemas: Schemas) -> None:
    response = client.get("/api/v1/org/example/models?sort_by=name&sort_dir=asc&limit=1")
    assert response.status_code == 200
    body = response.json()
    assert_valid(schemas, "dreadnode/list_models.response", body)
    assert [m["name"] for m in body["models"]] == ["example/example"]
    assert (body["total"], body["total_pages"], body["has_next"]) == (2, 2, True)
    assert body["models"][0]["version_count"] == 4
    second = client.get("/api/v1/org/example/models?sort_by=name&sort_dir=asc&limit=1&page=2")
    assert [m["name"] for m in second.json()["models"]] == ["example/llama-3.1-8b-guard"]
    pytorch = client.get("/api/v1/org/example/models?framework=onnx&framework=pytorch").json()
    assert [m["name"] for m in pytorch["models"]] == ["example/llama-3.1-8b-guard"]
    own = client.get("/api/v1/org/acme-ai/models").json()["models"]
    assert all(m["name"].startswith("acme-ai/") for m in own)
    others = client.get("/api/v1/org/acme-ai/models?include_public=true").json()["models"]
    assert {m["name"] for m in others} > {m["name"] for m in own}
    assert all(m["is_public"] for m in others if not m["name"].startswith("acme-ai/"))


def test_facets_count_the_models_listed(client: TestClient, schemas: Schemas) -> None:
    response = client.get("/api/v1/org/example/models/facets?include_public=true")
    assert response.status_code == 200
    body = response.json()
    assert_valid(schemas, "dreadnode/facets.response", body)
    listed = client.get("/api/v1/org/example/models?include_public=true").json()["models"]
    assert body["total"] == len(listed)
    frameworks: dict[str, int] = {}
    for model in listed:
        frameworks[model["framework"]] = frameworks.get(model["framework"], 0) + 1
    assert {f["value"]: f["count"] for f in body["framework"]} == frameworks
    counts = [f["count"] for f in body["framework"]]
    assert counts == sorted(counts, reverse=True)
    narrowed = client.get("/api/v1/org/example/models/facets?framework=pytorch").json()
    assert narrowed["framework"] == [{"value": "pytorch", "count": narrowed["total"]}]


def test_get_latest_and_a_version(client: TestClient, schemas: Schemas) -> None:
    latest = detail(schemas, client.get(MODEL))
    versions = client.get(MODEL + "/versions").json()
    assert latest["version"] == versions["versions"][0]
    one = detail(schemas, client.get(MODEL + "/1.1.0"))
    assert (one["version"], one["aliases"], one["artifacts"]) == ("1.1.0", ["latest", "stable"], {})


@pytest.mark.parametrize(
    ("url", "status", "kind"),
    [
        ("/api/v1/org/example/models?sort_by=size", 422, "validation_error"),
        ("/api/v1/org/example/models?limit=0", 422, "validation_error"),
        ("/api/v1/org/example/models?limit=101", 422, "validation_error"),
        ("/api/v1/org/example/models?page=abc", 422, "validation_error"),
        ("/api/v1/org/example/models?include_public=yes", 422, "validation_error"),
        ("/api/v1/org/example/models?tags=" + "x" * 300, 422, "validation_error"),
        ("/api/v1/org/nobody/models", 404, "not_found_error"),
        ("/api/v1/org/nobody/models/facets", 404, "not_found_error"),
        ("/api/v1/org/example/models/facets?include_public=1", 422, "validation_error"),
        ("/api/v1/org/example/models/facets?tags=", 422, "validation_error"),
        ("/api/v1/org/Bad_Org/models", 422, "validation_error"),
        (MODEL + "/9.9.9", 404, "not_found_error"),
        (MODEL + "/latest", 422, "validation_error"),
        ("/api/v1/org/acme-ai/models/empty-model", 404, "not_found_error"),
        (MODEL + "/compare?versions=1.0.0", 422, "validation_error"),
        (MODEL + "/compare?versions=1.0.0&versions=1.0.0", 422, "validation_error"),
        (
            MODEL + "/compare?" + "&".join(f"versions=1.0.{i}" for i in range(6)),
            422,
            "validation_error",
        ),
        (MODEL + "/compare?versions=1.0.0&versions=v2", 422, "validation_error"),
        (MODEL + "/compare?versions=1.0.0&versions=9.9.9", 404, "not_found_error"),
    ],
)
def test_read_errors(
    client: TestClient, schemas: Schemas, url: str, status: int, kind: str
) -> None:
    body = error(schemas, client.get(url), status, kind)
    if status == 422:
        assert body["errors"][0]["loc"][0] in ("query", "path")


# --- REST writes -------------------------------------------------------------------------


def test_an_alias_moves_from_the_version_that_held_it(own: TestClient, schemas: Schemas) -> None:
    moved = detail(schemas, own.post(MODEL + "/1.0.0/aliases", json={"alias": "stable"}))
    assert moved["aliases"] == ["stable"]
    assert own.get(MODEL + "/1.1.0").json()["aliases"] == ["latest"]
    again = detail(schemas, own.post(MODEL + "/1.0.0/aliases", json={"alias": "stable"}))
    assert again == moved  # already there: nothing changes
    removed = detail(schemas, own.delete(MODEL + "/1.0.0/aliases/stable"))
    assert removed["aliases"] == []


def test_visibility_is_for_every_version(own: TestClient, schemas: Schemas) -> None:
    response = own.patch(MODEL + "/visibility", json={"is_public": True})
    assert response.status_code == 200
    assert_valid(schemas, "dreadnode/visibility.response", response.json())
    assert response.json() == {"name": "example/example", "is_public": True, "version_count": 4}
    for version in own.get(MODEL + "/versions").json()["versions"]:
        assert own.get(f"{MODEL}/{version}").json()["is_public"] is True


def test_metrics_merge(own: TestClient, schemas: Schemas) -> None:
    detail(schemas, own.put(MODEL + "/1.0.0/metrics", json={"acc": 0.5, "f1": 0.1}))
    merged = detail(schemas, own.put(MODEL + "/1.0.0/metrics", json={"f1": 0.7, "note": "x"}))
    assert merged["metrics"] == {"acc": 0.5, "f1": 0.7, "note": "x"}
    assert merged["updated_at"] is not None


def test_download_counts_and_answers_a_url(own: TestClient, schemas: Schemas) -> None:
    response = own.post(MODEL + "/1.0.1/download")
    assert response.status_code == 200
    assert_valid(schemas, "dreadnode/download.response", response.json())
    assert response.json()["url"].startswith("https://storage.mockserver.invalid/")
    assert own.get(MODEL + "/1.0.1").json()["download_count"] == 18


def test_the_model_goes_with_its_last_version(own: TestClient, schemas: Schemas) -> None:
    guard = "/api/v1/org/example/models/llama-3.1-8b-guard"
    assert detail(schemas, own.delete(guard + "/0.1.0"))["version"] == "0.1.0"
    assert own.get(guard + "/versions").json()["versions"] == ["0.2.0"]
    detail(schemas, own.delete(guard + "/0.2.0"))
    error(schemas, own.get(guard + "/versions"), 404, "not_found_error")
    error(schemas, own.delete(guard + "/0.2.0"), 404, "not_found_error")


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "kind"),
    [
        ("POST", MODEL + "/1.0.0/aliases", b"{", 422, "validation_error"),
        ("POST", MODEL + "/1.0.0/aliases", b"{}", 422, "validation_error"),
        ("POST", MODEL + "/1.0.0/aliases", b'{"alias": "1.0.0"}', 422, "validation_error"),
        ("POST", MODEL + "/1.0.0/aliases", b'{"alias": "a", "x": 1}', 422, "validation_error"),
        ("POST", MODEL + "/9.0.0/aliases", b'{"alias": "a"}', 404, "not_found_error"),
        ("DELETE", MODEL + "/1.0.0/aliases/stable", b"", 404, "not_found_error"),
        ("DELETE", MODEL + "/1.0.0/aliases/Bad", b"", 422, "validation_error"),
        ("PATCH", MODEL + "/visibility", b'{"is_public": "yes"}', 422, "validation_error"),
        (
            "PATCH",
            "/api/v1/org/example/models/ghost/visibility",
            b'{"is_public": true}',
            404,
            "not_found_error",
        ),
        ("PUT", MODEL + "/1.0.0/metrics", b'{"ok": true}', 422, "validation_error"),
        ("PUT", MODEL + "/1.0.0/metrics", b"[1]", 422, "validation_error"),
        ("PUT", MODEL + "/1.0.0/metrics", b'{"a": NaN}', 422, "validation_error"),
        ("PUT", MODEL + "/9.0.0/metrics", b'{"a": 1}', 404, "not_found_error"),
        ("POST", MODEL + "/9.0.0/download", b"", 404, "not_found_error"),
        ("DELETE", MODEL + "/9.0.0", b"", 404, "not_found_error"),
        ("DELETE", "/api/v1/org/nobody/models/example/1.0.0", b"", 404, "not_found_error"),
        ("DELETE", MODEL + "/1.0", b"", 422, "validation_error"),
    ],
)
def test_write_errors(
    own: TestClient, schemas: Schemas, method: str, url: str, body: bytes, status: int, kind: str
) -> None:
    headers = {"content-type": "application/json"}
    found = error(schemas, own.request(method, url, content=body, headers=headers), status, kind)
    if status == 422:
        assert found["errors"][0]["loc"][0] in ("body", "path")


def test_a_body_field_is_named(own: TestClient, schemas: Schemas) -> None:
    body = error(
        schemas, own.patch(MODEL + "/visibility", json={"is_public": 1}), 422, "validation_error"
    )
    assert body["errors"][0]["loc"] == ["body", "is_public"]


def test_merged_metrics_are_bounded(own: TestClient, schemas: Schemas) -> None:
    assert (
        own.put(MODEL + "/1.0.0/metrics", json={f"m{i}": i for i in range(256)}).status_code == 200
    )
    body = error(
        schemas, own.put(MODEL + "/1.0.0/metrics", json={"one": 1}), 422, "validation_error"
    )
    assert "metrics" in body["detail"]
    assert "one" not in own.get(MODEL + "/1.0.0").json()["metrics"]


def test_a_body_past_the_limit_is_413(own: TestClient, schemas: Schemas) -> None:
    big = b'{"a": "' + b"x" * 2**20 + b'"}'
    error(schemas, own.put(MODEL + "/1.0.0/metrics", content=big), 413, "payload_too_large_error")


def test_writes_are_refused_with_several_workers(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(workers=2))) as client:
        refused = client.put(MODEL + "/1.0.0/metrics", json={"a": 1})
        assert "--workers 1" in error(schemas, refused, 409, "already_exists_error")["detail"]
        started = client.post("/api/v1/example/m/blobs/uploads/")
        error(schemas, started, 409, "already_exists_error")


# --- what every operation goes through ------------------------------------------------------


def test_writes_need_credentials_when_auth_is_on(schemas: Schemas) -> None:
    settings = Settings(auth="verify", credentials=(Credential("dreadnode", "ci", "dn-key"),))
    with TestClient(create_app(settings)) as client:
        refused = client.put(MODEL + "/1.0.0/metrics", json={"a": 1})
        error(schemas, refused, 401, "authentication_error")
        wrong = client.post("/api/v1/example/m/blobs/uploads/", auth=("__token__", "other"))
        error(schemas, wrong, 401, "authentication_error")
        ok = client.put(MODEL + "/1.0.0/metrics", json={"a": 1}, headers={"X-API-Key": "dn-key"})
        assert ok.status_code == 200
        assert (
            client.post(
                "/api/v1/example/m/blobs/uploads/", auth=("__token__", "dn-key")
            ).status_code
            == 202
        )


def test_writes_take_faults_and_are_journaled(own: TestClient, schemas: Schemas) -> None:
    faulted = own.put(MODEL + "/1.0.0/metrics", json={"a": 1}, headers={"X-Mock-Status": "429"})
    error(schemas, faulted, 429, "rate_limit_error")
    assert own.get(MODEL + "/1.0.0").json()["metrics"] is None  # nothing changed
    own.post("/api/v1/example/m/blobs/uploads/", headers={"X-Mock-Status": "502"})
    entries = own.get("/_mock/requests").json()["requests"]
    assert [(e["method"], e["status"]) for e in entries[-3:]] == [
        ("PUT", 429),
        ("GET", 200),
        ("POST", 502),
    ]


def test_writes_are_rate_limited(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(rate_limits=(("dreadnode", 0.001),)))) as client:
        first = client.put(MODEL + "/1.0.0/metrics", json={"a": 1})
        assert first.status_code == 200
        error(schemas, client.put(MODEL + "/1.0.0/metrics", json={"a": 2}), 429, "rate_limit_error")


# --- the registry (create = publish) ---------------------------------------------------------


def test_push_creates_the_model_and_version(own: TestClient, schemas: Schemas) -> None:
    config = json.dumps({"task": "qa", "aliases": ["stable"], "metrics": {"acc": 1}}).encode()
    done = publish(own, "example/example", "3.0.0", config)
    assert done.status_code == 201, done.text
    assert done.headers["docker-content-digest"].startswith("sha256:")
    body = detail(schemas, own.get(MODEL))
    assert (body["version"], body["task"], body["aliases"]) == ("3.0.0", "qa", ["stable"])
    assert own.get(MODEL + "/1.1.0").json()["aliases"] == ["latest"]  # stable moved
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    held = own.head(f"/api/v1/example/blobs/{digest}")
    assert (held.status_code, held.headers["docker-content-digest"]) == (200, digest)
    new = publish(own, "example/brand-new", "0.1.0", b"{}")
    assert new.status_code == 201
    assert own.get("/api/v1/org/example/models/brand-new/versions").json()["versions"] == ["0.1.0"]


def test_pushing_an_existing_version_is_409(own: TestClient, schemas: Schemas) -> None:
    body = error(
        schemas, publish(own, "example/example", "1.0.0", b"{}"), 409, "already_exists_error"
    )
    assert body["detail"] == "Model 'example/example@1.0.0' already exists"


def test_a_blob_whose_digest_differs_is_refused(own: TestClient, schemas: Schemas) -> None:
    started = own.post("/api/v1/example/m/blobs/uploads/")
    location = started.headers["location"]
    wrong = "sha256:" + "0" * 64
    body = oci_error(
        schemas, own.put(f"{location}?digest={wrong}", content=b"data"), 400, "DIGEST_INVALID"
    )
    assert wrong in body["errors"][0]["message"]
    oci_error(schemas, own.put(location, content=b"data"), 400, "DIGEST_INVALID")
    oci_error(
        schemas, own.put(f"{location}?digest=md5:abc", content=b"data"), 400, "DIGEST_INVALID"
    )
    assert own.head(f"/api/v1/example/blobs/{wrong}").status_code == 404


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        (
            "PUT",
            "/api/v1/example/m/blobs/uploads/nope?digest=sha256:" + "0" * 64,
            404,
            "BLOB_UPLOAD_UNKNOWN",
        ),
        ("HEAD", "/api/v1/example/blobs/sha256:xyz", 400, "DIGEST_INVALID"),
    ],
)
def test_registry_protocol_errors(
    own: TestClient, schemas: Schemas, method: str, url: str, status: int, code: str
) -> None:
    response = own.request(method, url, content=b"x")
    if method == "HEAD":
        assert response.status_code == status
    else:
        oci_error(schemas, response, status, code)


@pytest.mark.parametrize(
    ("url", "status", "kind"),
    [
        ("/api/v1/nobody/m/blobs/uploads/", 404, "not_found_error"),
        ("/api/v1/Bad_Org/m/blobs/uploads/", 422, "validation_error"),
        ("/api/v1/example/Bad%20Name/blobs/uploads/", 422, "validation_error"),
    ],
)
def test_registry_platform_errors(
    own: TestClient, schemas: Schemas, url: str, status: int, kind: str
) -> None:
    error(schemas, own.post(url), status, kind)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"raw": b"not json"}, "MANIFEST_INVALID"),
        ({"annotations": {"io.dreadnode.name": "example/other"}}, "MANIFEST_INVALID"),
        ({"annotations": {"io.dreadnode.type": "dataset"}}, "MANIFEST_INVALID"),
        ({"version": "1.0.0-rc.1"}, "MANIFEST_INVALID"),
        ({"config": b'{"unknown_field": 1}'}, "MANIFEST_INVALID"),
        ({"config": b"[]"}, "MANIFEST_INVALID"),
        ({"unpushed": True}, "MANIFEST_BLOB_UNKNOWN"),
    ],
)
def test_manifest_errors(
    own: TestClient, schemas: Schemas, change: dict[str, Any], code: str
) -> None:
    version = change.get("version", "4.0.0")
    config = change.get("config", b"{}")
    if not change.get("unpushed"):
        assert upload(own, "example/m", config).status_code == 201
    body = change.get("raw") or manifest(
        "example/m", version, config, **change.get("annotations", {})
    )
    if "annotations" not in change:
        body = body.replace(b'"4.0.0"', json.dumps(version).encode())
    response = own.put(f"/api/v1/example/m/manifests/{version}", content=body)
    oci_error(schemas, response, 400, code)
    error(schemas, own.get("/api/v1/org/example/models/m/versions"), 404, "not_found_error")


def test_blobs_are_bounded_each_and_together(
    own: TestClient, schemas: Schemas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "BLOB_LIMIT", 100)
    monkeypatch.setattr(registry, "BLOB_BUDGET", 250)
    error(schemas, upload(own, "example/m", b"x" * 101), 413, "payload_too_large_error")
    assert upload(own, "example/m", b"a" * 100).status_code == 201
    assert upload(own, "example/m", b"b" * 100).status_code == 201
    assert upload(own, "example/m", b"b" * 100).status_code == 201  # held already: no more bytes
    full = error(schemas, upload(own, "example/m", b"c" * 100), 413, "payload_too_large_error")
    assert "/_mock/reset" in full["detail"]
    assert own.post("/_mock/reset").status_code == 200
    assert upload(own, "example/m", b"c" * 100).status_code == 201


def test_the_registry_routes_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes"]) == 0
    out = capsys.readouterr().out
    for line in (
        "HEAD    /api/v1/{org}/blobs/{digest}",
        "POST    /api/v1/{org}/{name}/blobs/uploads/",
        "PUT     /api/v1/{org}/{name}/blobs/uploads/{upload}",
        "PUT     /api/v1/{org}/{name}/manifests/{version}",
    ):
        assert line in out
