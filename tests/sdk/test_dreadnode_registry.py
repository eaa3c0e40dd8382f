"""dreadnode: the model registry twin through the SDK's own calls, unchanged.

`Dreadnode.push_model(dir)` loads the directory (LocalModel, which needs `fsspec`), then
runs exactly what is called here: `build_manifest_image` on the ModelManifest and
`OCIRegistryClient(api.oci_registry_url, auth=api.oci_basic_auth).push(...)`. The REST
calls are ApiClient's methods, which `dn model ...` uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from dreadnode.app.api.client import ApiClient, NotFoundError
from dreadnode.packaging.manifest import ModelManifest
from dreadnode.packaging.oci import OCIRegistryClient, PushResult, build_manifest_image

from mockserver import MockServer
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid

WEIGHTS = "sha256:" + "ab" * 32


@pytest.fixture
def api(mockserver: MockServer) -> Iterator[ApiClient]:
    client = ApiClient(mockserver.url, api_key="dn-test-key")
    yield client
    client._client.close()  # ApiClient has no close() of its own; its httpx.Client does


def push(api: ApiClient, name: str, version: str, **fields: object) -> PushResult:
    """What push_model does once the directory is loaded (its own SDK calls)."""
    manifest = ModelManifest(artifacts={"model.safetensors": WEIGHTS}, **fields)  # type: ignore[arg-type]
    image = build_manifest_image(
        json.loads(manifest.model_dump_json()), package_type="model", name=name, version=version
    )
    with OCIRegistryClient(api.oci_registry_url, auth=api.oci_basic_auth) as oci:
        return oci.push(name, version, image)


def test_push_list_get_alias_publish_metrics_compare_download_delete(
    api: ApiClient, mockserver: MockServer, schemas: Schemas
) -> None:
    first = push(api, "acme-ai/guard", "1.0.0", task="text-classification", metrics={"acc": 0.9})
    assert first.success, first.errors
    assert first.blobs_pushed == 1
    second = push(api, "acme-ai/guard", "1.1.0", aliases=["champion"], framework="onnx")
    assert second.success, second.errors

    listed = {p.full_name: p for p in api.list_models("acme-ai")}
    assert listed["acme-ai/guard"].latest_version == "1.1.0"
    assert listed["acme-ai/guard"].visibility == "private"
    assert api.list_model_versions("acme-ai", "guard")["versions"] == ["1.1.0", "1.0.0"]

    latest = api.get_model("acme-ai", "guard")
    assert (latest.full_name, latest.latest_version) == ("acme-ai/guard", "1.1.0")
    older = api.get_model("acme-ai", "guard", "1.0.0")
    assert older.summary == "safetensors · text-classification"

    moved = api.set_model_alias("acme-ai", "guard", "1.0.0", "champion")
    assert_valid(schemas, "dreadnode/model_detail.response", moved)
    assert moved["aliases"] == ["champion"]
    assert api.get_model("acme-ai", "guard").latest_version == "1.1.0"
    compared = api.compare_model_versions("acme-ai", "guard", ["1.0.0", "1.1.0"])
    assert [v["aliases"] for v in compared["versions"]] == [["champion"], []]

    api.update_model_visibility("acme-ai", "guard", is_public=True)
    assert api.get_model("acme-ai", "guard", "1.0.0").visibility == "public"
    public = {p.full_name for p in api.list_models("example", include_public=True)}
    assert "acme-ai/guard" in public

    merged = api.update_model_metrics("acme-ai", "guard", "1.0.0", {"f1": 0.8, "note": "ok"})
    assert merged["metrics"] == {"acc": 0.9, "f1": 0.8, "note": "ok"}
    compared = api.compare_model_versions("acme-ai", "guard", ["1.1.0", "1.0.0"])
    assert_valid(schemas, "dreadnode/compare.response", compared)
    assert compared["metric_keys"] == ["acc", "f1", "note"]

    download = api.download_model("acme-ai", "guard", "1.0.0")
    assert_valid(schemas, "dreadnode/download.response", download)
    assert api.list_model_versions("acme-ai", "guard")["latest"]["download_count"] == 0
    assert api.get_model("acme-ai", "guard", "1.0.0").latest_version == "1.0.0"

    api.remove_model_alias("acme-ai", "guard", "1.0.0", "champion")
    assert api.get_model("acme-ai", "guard", "1.0.0").full_name == "acme-ai/guard"
    api.delete_model("acme-ai", "guard", "1.1.0")
    assert api.get_model("acme-ai", "guard").latest_version == "1.0.0"
    api.delete_model("acme-ai", "guard", "1.0.0")
    with pytest.raises(NotFoundError, match="404: Model 'acme-ai/guard' not found"):
        api.list_model_versions("acme-ai", "guard")
    assert "acme-ai/guard" not in {p.full_name for p in api.list_models("acme-ai")}

    registry = [r for r in mockserver.requests() if "/org/" not in r["path"]]
    assert [r["method"] for r in registry[:4]] == ["HEAD", "POST", "PUT", "PUT"]
    assert registry[0]["headers"]["authorization"].startswith("Basic ")


def test_download_is_counted(api: ApiClient) -> None:
    before = api.list_model_versions("example", "example")["latest"]["download_count"]
    api.download_model("example", "example", "1.2.0")
    api.download_model("example", "example", "1.2.0")
    after = api.list_model_versions("example", "example")["latest"]["download_count"]
    assert after == before + 2


def test_pushing_an_existing_version_is_a_conflict(api: ApiClient) -> None:
    assert push(api, "example/example", "2.0.0").success
    again = push(api, "example/example", "2.0.0", task="other")
    assert not again.success
    assert again.errors == ["409 Conflict: Model 'example/example@2.0.0' already exists"]
    assert again.blobs_pushed == 1  # a different config blob; the manifest is refused


def test_rest_errors_are_the_sdks_exceptions(api: ApiClient) -> None:
    with pytest.raises(NotFoundError, match="Version 'example/example@9.9.9' not found"):
        api.get_model("example", "example", "9.9.9")
    with pytest.raises(NotFoundError, match="Alias 'nope' not found"):
        api.remove_model_alias("example", "example", "1.1.0", "nope")
    with pytest.raises(RuntimeError, match="^422: "):
        api.set_model_alias("example", "example", "1.1.0", "1.0.0")  # an alias is no version


def test_a_reset_drops_pushed_versions_and_blobs(api: ApiClient, mockserver: MockServer) -> None:
    assert push(api, "example/fresh", "0.1.0").success
    mockserver.reset()
    with pytest.raises(NotFoundError):
        api.get_model("example", "fresh")
    assert push(api, "example/fresh", "0.1.0").blobs_pushed == 1  # the blob went too
