"""dreadnode: ApiClient.list_model_versions and the SDK's own latest-version resolution."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dreadnode.app.api.client import ApiClient, NotFoundError
from dreadnode.app.cli.shared import ArtifactRef, ensure_version

from mockserver import MockServer


@pytest.fixture
def api(mockserver: MockServer) -> Iterator[ApiClient]:
    client = ApiClient(mockserver.url, api_key="dn-test-key")
    yield client
    client._client.close()  # ApiClient has no close() of its own; its httpx.Client does


def test_list_model_versions(api: ApiClient, mockserver: MockServer) -> None:
    payload = api.list_model_versions("example", "example")
    assert payload["name"] == "example"
    assert payload["versions"][0] == payload["latest"]["version"]
    assert payload["latest"]["name"] == "example/example"
    sent = mockserver.requests()[-1]
    assert sent["path"] == "/api/v1/org/example/models/example/versions"
    assert sent["headers"] == {"x-api-key": "dn-t****"}


def test_sdk_resolves_latest_version(api: ApiClient) -> None:
    ref = ensure_version(api, "model", ArtifactRef.parse("example/example", "example"))
    assert ref.version == api.list_model_versions("example", "example")["versions"][0]
    backport = ensure_version(
        api, "model", ArtifactRef.parse("acme-ai/phi-3-mini-jailbreak-detector", "example")
    )
    assert backport.version == "3.1.5"


def test_sdk_reports_a_model_without_versions(api: ApiClient) -> None:
    with pytest.raises(ValueError, match="No versions found"):
        ensure_version(api, "model", ArtifactRef.parse("acme-ai/empty-model", "example"))


def test_unknown_model_is_not_found_error(api: ApiClient) -> None:
    with pytest.raises(NotFoundError) as info:
        api.list_model_versions("example", "ghost")
    assert str(info.value) == "404: Model 'example/ghost' not found"


def test_invalid_slug_is_a_runtime_error_with_detail(api: ApiClient) -> None:
    with pytest.raises(RuntimeError) as info:
        api.list_model_versions("Bad_Org", "example")
    assert str(info.value).startswith("422: Invalid path parameter 'org'")
