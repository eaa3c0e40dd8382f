"""Diagnosis on every refusal: the vendor's envelope unchanged, plus an X-Mock-Diagnosis
header and a journal field naming the rule, the field, the value and the doc source."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.core.diagnosis import nearest
from mockserver.core.schemas import Schemas
from mockserver.core.vendor import Operation
from mockserver.core.writes import WriteError, write_body
from mockserver.settings import Settings
from mockserver.vendors import VENDORS
from mockserver.vendors.pai.errors import Error as PaiError
from tests.conftest import assert_valid, error_code

ERROR_SCHEMA = {v.name: v.error_schema for v in VENDORS}
PAI_DOCS = (
    "https://www.alibabacloud.com/help/en/pai/developer-reference/api-aiworkspace-2021-02-04-"
)
HUAWEI_DOCS = "https://support.huaweicloud.com/intl/en-us/api-fabric/ListModels.html"
DREADNODE_DOCS = "https://docs.dreadnode.io/api/operations/list_model_versions/"
DASHSCOPE_DOCS = "https://www.alibabacloud.com/help/en/model-studio/list-deployments-api"


def diagnosis(response: Any) -> dict[str, str]:
    """The header's `key=value; ...` parts (values hold no '; ' in these cases)."""
    text = response.headers["x-mock-diagnosis"]
    return dict(part.split("=", 1) for part in text.split("; "))


def refused(
    client: TestClient, schemas: Schemas, vendor: str, status: int, code: str, url: str, **kw: Any
) -> dict[str, str]:
    """The diagnosis of a refusal whose envelope is exactly the vendor's."""
    response = client.request(kw.pop("method", "GET"), url, **kw)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert_valid(schemas, ERROR_SCHEMA[vendor], response.json())
    assert error_code(vendor, response.json()) == code
    return diagnosis(response)


PARAM_CASES = [
    (
        "pai",
        "/api/v1/models/model-rbvg5wzljz****ks92/versions?PageSize=0",
        "InvalidParameter",
        400,
        ("param.range", "query PageSize", "'0'"),
        f'doc ListModelVersions "PageSize" {PAI_DOCS}listmodelversions',
    ),
    (
        "huawei",
        "/v1/workspaces/default/models?limit=abc",
        "common.01000001",
        400,
        ("param.type", "query limit", "'abc'"),
        f'doc ListModels "limit" {HUAWEI_DOCS}',
    ),
    (
        "dreadnode",
        "/api/v1/org/Acme/models/example/versions",
        "validation_error",
        422,
        ("param.pattern", "path org", "'Acme'"),
        f'doc list_model_versions "org" {DREADNODE_DOCS}',
    ),
    (
        "dashscope",
        "/api/v1/deployments?page_size=500",
        "InvalidParameter",
        400,
        ("param.range", "query page_size", "'500'"),
        f'doc List deployments "page_size" {DASHSCOPE_DOCS}',
    ),
]


@pytest.mark.parametrize(("vendor", "url", "code", "status", "what", "source"), PARAM_CASES)
def test_a_bad_parameter_names_rule_field_value_and_source(
    client: TestClient,
    schemas: Schemas,
    vendor: str,
    url: str,
    code: str,
    status: int,
    what: tuple[str, str, str],
    source: str,
) -> None:
    found = refused(client, schemas, vendor, status, code, url)
    assert (found["rule"], found["field"], found["value"]) == what
    assert found["hint"].startswith("must be ")
    assert found["source"] == source


ROUTE_CASES = [
    ("pai", "GET", "/api/v1/models/x/Versions", "InvalidAction.NotFound", 404, "wrong casing",
     "GET /api/v1/models/{ModelId}/versions"),
    ("pai", "DELETE", "/api/v1/models/x", "InvalidAction.NotFound", 404, "wrong method",
     "GET /api/v1/models/{ModelId}"),
    ("huawei", "GET", "/v1/workspaces/default/models/extra", "APIG.0101", 404, "extra segment",
     "GET /v1/workspaces/{workspace_id}/models"),
    ("huawei", "POST", "/v1/workspaces/default/models", "APIG.0101", 404, "wrong method",
     "GET /v1/workspaces/{workspace_id}/models"),
    ("dreadnode", "GET", "/api/v1/org/acme/models/x", "not_found_error", 404, "missing segment",
     "GET /api/v1/org/{org}/models/{name}/versions"),
    ("dreadnode", "PUT", "/api/v1/org/acme/models/x/versions", "not_found_error", 404,
     "wrong method", "GET /api/v1/org/{org}/models/{name}/versions"),
    ("dashscope", "GET", "/api/v1/deployments/", "NotFound", 404, "trailing slash",
     "GET /api/v1/deployments"),
    ("dashscope", "PATCH", "/api/v1/deployments", "UnsupportedOperation", 400, "wrong method",
     "GET /api/v1/deployments"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("vendor", "method", "path", "code", "status", "reason", "route"), ROUTE_CASES
)
def test_an_unknown_route_names_the_nearest_documented_one(
    client: TestClient,
    schemas: Schemas,
    vendor: str,
    method: str,
    path: str,
    code: str,
    status: int,
    reason: str,
    route: str,
) -> None:
    found = refused(client, schemas, vendor, status, code, path, method=method)
    assert found["rule"] == ("route.method" if reason == "wrong method" else "route.unknown")
    assert (found["field"], found["value"]) == ("path", repr(f"{method} {path}"))
    assert found["hint"] == f"{reason}: the documented route is {route}"
    assert found["source"].startswith("doc ")


def test_a_path_under_no_prefix_names_the_route_it_most_likely_meant(client: TestClient) -> None:
    response = client.get("/API/v1/deployments")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"  # the neutral body, unchanged
    assert (
        diagnosis(response)["hint"]
        == "wrong casing: the documented route is GET /api/v1/deployments"
    )
    assert "x-mock-diagnosis" not in client.get("/_mock/nothing-here").headers


NOT_FOUND_CASES = [
    ("pai", "/api/v1/models/model-nope", {}, "ModelNotFound", 404, "path ModelId", "'model-nope'",
     'decision "Alibaba PAI (AIWorkSpace 2021-02-04)" (docs/decisions.md)'),
    ("huawei", "/v1/workspaces/nope/models", {}, "common.01000001", 404, "path workspace_id",
     "'nope'", f'doc ListModels "workspace_id" {HUAWEI_DOCS}'),
    ("dreadnode", "/api/v1/org/nope/models/example/versions", {}, "not_found_error", 404,
     "path org", "'nope'", f'doc list_model_versions "org" {DREADNODE_DOCS}'),
    ("dashscope", "/api/v1/deployments", {"X-DashScope-WorkSpace": "llm-nope"}, "AccessDenied",
     403, "header X-DashScope-WorkSpace", "'llm-nope'",
     'sdk Deployments.list "X-DashScope-WorkSpace" https://pypi.org/project/dashscope/2.0.2/'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("vendor", "url", "headers", "code", "status", "field", "value", "source"), NOT_FOUND_CASES
)
def test_a_missing_record_names_the_parameter_that_named_it(
    client: TestClient,
    schemas: Schemas,
    vendor: str,
    url: str,
    headers: dict[str, str],
    code: str,
    status: int,
    field: str,
    value: str,
    source: str,
) -> None:
    found = refused(client, schemas, vendor, status, code, url, headers=headers)
    assert found["rule"] == ("not_found" if status == 404 else f"refused.{status}")
    assert (found["field"], found["value"], found["source"]) == (field, value, source)


@pytest.fixture(scope="module")
def checking() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(auth="check"))) as test_client:
        yield test_client


AUTH_CASES = [
    ("pai", "/api/v1/models/x", "MissingAuthorization", 401, {}),
    ("huawei", "/v1/workspaces/default/models", "APIG.1002", 401, {"X-Auth-Token": ""}),
    ("dreadnode", "/api/v1/org/example/models/example/versions", "authentication_error", 401, {}),
    (
        "dashscope",
        "/api/v1/deployments",
        "InvalidApiKey",
        401,
        {"Authorization": "Basic secret-value"},
    ),
]


@pytest.mark.parametrize(("vendor", "url", "code", "status", "headers"), AUTH_CASES)
def test_a_refused_credential_is_diagnosed_with_its_secret_masked(
    checking: TestClient,
    schemas: Schemas,
    vendor: str,
    url: str,
    code: str,
    status: int,
    headers: dict[str, str],
) -> None:
    found = refused(checking, schemas, vendor, status, code, url, headers=headers)
    assert found["rule"] == "auth"
    assert found["source"] == 'decision "Auth emulation (`--auth`)" (docs/decisions.md)'
    assert "secret-value" not in str(found)
    if vendor == "dashscope":
        assert (found["field"], found["value"]) == ("header authorization", "'Basic ****'")


def test_the_journal_keeps_the_diagnosis_and_an_injected_fault_has_none() -> None:
    with TestClient(create_app()) as test_client:
        test_client.get("/api/v1/deployments?page_no=0")
        injected = test_client.get("/api/v1/deployments", headers={"X-Mock-Status": "404"})
        assert injected.status_code == 404
        assert "x-mock-diagnosis" not in injected.headers
        test_client.get("/api/v1/deployments")
        entries = test_client.get("/_mock/requests").json()["requests"]
    refused_entry, fault_entry, ok_entry = entries[-3:]
    assert refused_entry["diagnosis"]["rule"] == "param.range"
    assert refused_entry["diagnosis"]["field"] == "query page_no"
    assert refused_entry["diagnosis"]["value"] == "0"
    assert fault_entry["diagnosis"] is None and fault_entry["fault"] is not None
    assert ok_entry["diagnosis"] is None


def test_a_long_value_is_clipped_and_unprintable_text_escaped(client: TestClient) -> None:
    response = client.get("/api/v1/deployments", params={"page_size": "é" + "9" * 500})
    header = response.headers["x-mock-diagnosis"]
    assert header.isascii() and len(header) < 600
    assert "(437 more characters)" in header and "\\xe9" in header


async def _add_label(request: Request) -> Response:
    body = await write_body(request, "pai/label")
    return JSONResponse(body)


def _write_error(request: Request, exc: WriteError) -> PaiError:
    return PaiError(400, "InvalidParameter", exc.message)


def test_a_refused_body_names_the_field_and_its_source(schemas: Schemas) -> None:
    pai = next(v for v in VENDORS if v.name == "pai")
    labels = Operation("POST", "/api/v1/models/{ModelId}/labels", "AddLabel", _add_label,
                       request_schema="pai/label")  # fmt: skip
    vendor = dataclasses.replace(
        pai, operations=(*pai.operations, labels), write_error=_write_error
    )
    others = [v for v in VENDORS if v.name != "pai"]
    with TestClient(create_app(vendors=[vendor, *others])) as test_client:
        response = test_client.post("/api/v1/models/x/labels", json={"Key": 5, "Value": "v"})
    assert response.status_code == 400
    assert_valid(schemas, "pai/error", response.json())
    found = diagnosis(response)
    assert (found["rule"], found["field"]) == ("body.invalid", "body $.Key")
    assert (
        found["source"]
        == 'sdk Label "Key" https://pypi.org/project/alibabacloud-aiworkspace20210204/8.3.5/'
    )


ROUTES = [("GET", "/a/{id}"), ("GET", "/a/{id}/items"), ("POST", "/b")]


@pytest.mark.parametrize(
    ("method", "path", "reason", "route"),
    [
        ("DELETE", "/a/1", "wrong method", ROUTES[0]),
        ("GET", "/a/1/items/", "trailing slash", ROUTES[1]),
        ("GET", "/A/1/Items", "wrong casing", ROUTES[1]),
        ("GET", "/a//items", "missing segment", ROUTES[1]),  # an empty id is no id
        ("GET", "/a/1/x/items", "extra segment", ROUTES[1]),
        ("POST", "/bee", "unknown path", ROUTES[2]),
    ],
)
def test_nearest_route(method: str, path: str, reason: str, route: tuple[str, str]) -> None:
    assert nearest(method, path, ROUTES) == (reason, route)
    assert nearest(method, path, []) is None


def test_a_failed_test_prints_the_diagnoses(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_fails(mockserver):
            response = httpx.get(mockserver.url_for("/api/v1/deployments?page_size=0"))
            assert response.status_code == 200

        def test_passes(mockserver):
            httpx.get(mockserver.url_for("/api/v1/deployments?page_size=0"))
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*mockserver diagnoses*",
            "GET /api/v1/deployments?page_size=0 -> 400: rule=param.range; field=query page_size;"
            " value=0; hint=must be an integer from 1 to 200; source=doc List deployments*",
        ]
    )
    assert result.stdout.str().count("mockserver diagnoses") == 1


def test_a_huge_unknown_path_costs_what_a_short_one_does() -> None:
    """Bounded work: a path of 30,000 segments is matched against each route's length
    first, and only its first characters are compared for similarity."""
    found = nearest("GET", "/a" * 30_000, ROUTES)
    assert found is not None and found[0] == "unknown path"
