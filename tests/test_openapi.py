"""The OpenAPI document, the landing page and the docs page (without a browser)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from mockserver.cli import main
from mockserver.core.schemas import bundled
from mockserver.openapi import document, error_statuses
from mockserver.vendors import VENDORS


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/_mock/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def test_every_operation_with_its_parameters(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    for vendor in VENDORS:
        for op in vendor.operations:
            operation = spec["paths"][op.path][op.method.lower()]
            assert operation["operationId"] == f"{vendor.name}.{op.name}"
            names = {(p["name"], p["in"]) for p in operation["parameters"]}
            assert names == {(p.name, p.location) for p in op.params}
            for name in re.findall(r"\{(\w+)\}", op.path):
                [param] = [p for p in operation["parameters"] if p["name"] == name]
                assert param["required"] is True
                assert "example" in param


def test_parameter_ranges_enums_and_defaults(spec: dict[str, Any]) -> None:
    params = {
        p["name"]: p["schema"]
        for p in spec["paths"]["/v1/workspaces/{workspace_id}/models"]["get"]["parameters"]
    }
    limit = params["limit"]
    assert limit["default"] == 10
    assert limit["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert params["sort_by"]["anyOf"][0]["enum"] == ["CREATE_TIME", "UPDATE_TIME", "NAME"]
    assert params["workspace_id"]["pattern"] == "^(?:[A-Za-z0-9-]+)$"


def test_every_status_has_the_vendors_schema(spec: dict[str, Any]) -> None:
    for vendor in VENDORS:
        for op in vendor.operations:
            responses = spec["paths"][op.path][op.method.lower()]["responses"]
            assert set(responses) == {"200", *map(str, error_statuses(vendor))}
            for status, response in responses.items():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                expected = op.response_schema if status == "200" else vendor.error_schema
                assert ref == "#/components/schemas/" + expected.replace("/", ".")


def test_components_are_the_schemas_in_use(spec: dict[str, Any]) -> None:
    schemas = bundled()
    components = spec["components"]["schemas"]
    assert set(components) == {n.replace("/", ".") for n in schemas.documents}
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(spec))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        name = ref.split("/")[3]
        assert name in components, ref
    for component in components.values():
        Draft202012Validator.check_schema(component)


def test_served_document_equals_the_cli_output(
    spec: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["openapi"]) == 0
    assert json.loads(capsys.readouterr().out) == spec == document(VENDORS, bundled())


def test_landing_page_lists_vendors_counts_and_working_links(client: TestClient) -> None:
    response = client.get("/_mock/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for vendor in VENDORS:
        assert vendor.title in page
        for op in vendor.operations:
            assert op.path in page
    assert "5 models, 22 versions" in page
    links = re.findall(r'class="try" href="([^"]+)"', page)
    assert len(links) == sum(len(v.operations) for v in VENDORS)
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_docs_page_is_offline(client: TestClient) -> None:
    page = client.get("/_mock/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    for asset in assets:
        assert asset.startswith("/_mock/"), asset  # nothing from a CDN
        assert client.get(asset).status_code == 200
    assert '"/_mock/openapi.json"' in page
