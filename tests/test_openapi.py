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
from mockserver.openapi import document
from mockserver.vendors import VENDORS
from tests.conftest import example


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/_mock/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


# The docs' own parameter tables (tests/data/<vendor>/params.json), not the objects the
# document is generated from: a parameter, default or range that drifts from the docs fails.
DOCUMENTED = {v.name: example(f"{v.name}/params.json") for v in VENDORS}
# documented on the vendor's other pages, not in the operation's table
EXTRA = {
    (f"{method} /api/v1/deployments{path}", "X-DashScope-WorkSpace", "header")
    for method, path in [
        ("GET", ""),
        ("POST", ""),
        ("GET", "/{deployed_model}"),
        ("PUT", "/{deployed_model}/scale"),
        ("PUT", "/{deployed_model}/update"),
        ("DELETE", "/{deployed_model}"),
        ("GET", "/{deployed_model}/stream"),
    ]
}
# the docs' type names; DashScope's page "Number"s are integers (docs/decisions.md)
TYPES = {"string": "string", "String": "string", "integer": "integer", "Integer": "integer"}
TYPES["Number"] = "integer"
TYPES["array"] = "array"  # a repeated query key (Dreadnode's compare `versions`)
CASES = [
    (vendor, operation, row)
    for vendor, tables in DOCUMENTED.items()
    for operation, rows in tables.items()
    if not operation.startswith("_")
    for row in rows
]


def served_parameters(spec: dict[str, Any], operation: str) -> dict[tuple[str, str], Any]:
    method, path = operation.split(" ")
    parameters = spec["paths"][path][method.lower()]["parameters"]
    return {(p["name"], p["in"]): p for p in parameters}


def test_every_documented_operation_and_no_other(spec: dict[str, Any]) -> None:
    documented = {op for tables in DOCUMENTED.values() for op in tables if not op.startswith("_")}
    served = {f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops}
    assert served == documented


def test_parameters_are_the_documented_ones(spec: dict[str, Any]) -> None:
    for tables in DOCUMENTED.values():
        for operation, rows in tables.items():
            if operation.startswith("_"):
                continue
            served = set(served_parameters(spec, operation))
            documented = {(row["name"], row["in"]) for row in rows}
            extra = {(name, where) for op, name, where in EXTRA if op == operation}
            assert served == documented | extra, operation


@pytest.mark.parametrize(
    ("vendor", "operation", "row"),
    CASES,
    ids=[f"{vendor}-{row['name']}" for vendor, _, row in CASES],
)
def test_each_parameter_as_the_docs_table_gives_it(
    spec: dict[str, Any], vendor: str, operation: str, row: dict[str, Any]
) -> None:
    served = served_parameters(spec, operation)[(row["name"], row["in"])]
    assert served.get("required", False) is row["required"]
    if row["in"] == "path":
        assert "example" in served
    schema = served["schema"]
    value = schema["anyOf"][0] if "anyOf" in schema else schema  # a blank query value is allowed
    assert value["type"] == TYPES[row["type"]]
    if "default" in row:
        assert schema["default"] == row["default"]
    else:
        assert "default" not in schema or row["name"] in ("SortBy",)  # SortBy: its one value
    if "enum" in row:
        assert sorted(value["enum"]) == sorted(row["enum"])
    for bound in ("minimum", "maximum", "minLength", "maxLength"):
        if bound in row:
            assert value[bound] == row[bound], bound
    if "chars" in row:
        assert value["pattern"] == f"^(?:[{row['chars']}]+)$"


# Every status an operation can answer: its injectable ones (README), the auth failure
# (401), a bad parameter (Dreadnode 422) and an unknown record (404).
ANSWERED = {
    "pai": [400, 401, 403, 404, 429, 500, 503],
    "huawei": [400, 401, 403, 404, 408, 429, 500, 502, 504],
    "dreadnode": [400, 401, 403, 404, 409, 422, 426, 429, 500, 502, 504],
    "dashscope": [400, 401, 403, 404, 429, 500],
}


def test_every_status_has_the_vendors_schema(spec: dict[str, Any]) -> None:
    for vendor in VENDORS:
        for op in vendor.operations:
            responses = spec["paths"][op.path][op.method.lower()]["responses"]
            answered = {*ANSWERED[vendor.name], *op.errors}
            assert set(responses) == {str(op.status), *map(str, answered)}
            for status, response in responses.items():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                success = status == str(op.status)
                expected = op.response_schema if success else vendor.error_schema
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
    # a link can only GET: writes are tried from the docs page
    assert len(links) == sum(op.method == "GET" for v in VENDORS for op in v.operations)
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
