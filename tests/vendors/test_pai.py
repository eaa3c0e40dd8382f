"""Alibaba PAI (AIWorkSpace 2021-02-04): GetModel and ListModelVersions against the docs."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockServer
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid, bundled_records, example
from tests.test_server import exchange, split

EXAMPLE_ID = "model-rbvg5wzljz****ks92"
VERSIONS = f"/api/v1/models/{EXAMPLE_ID}/versions"
REQUEST_ID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def list_versions(client: TestClient, schemas: Schemas, **query: Any) -> dict[str, Any]:
    response = client.get(VERSIONS, params=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, "pai/list_model_versions.response", body)
    assert body["RequestId"] == response.headers["x-acs-request-id"]
    return body


def stored_versions(model_id: str = EXAMPLE_ID) -> list[dict[str, Any]]:
    return [v for v in bundled_records("pai", "versions") if v["ModelId"] == model_id]


def created(version: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(version["GmtCreateTime"])


# --- GetModel --------------------------------------------------------------------------


def test_get_model_returns_the_docs_example(client: TestClient, schemas: Schemas) -> None:
    response = client.get(f"/api/v1/models/{EXAMPLE_ID}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, "pai/get_model.response", body)
    documented = example("pai/get_model.example.json")
    ignore = {"RequestId", "LatestVersion"}
    assert {k: v for k, v in body.items() if k not in ignore} == {
        k: v for k, v in documented.items() if k not in ignore
    }
    assert REQUEST_ID.match(body["RequestId"])
    assert body["RequestId"] == response.headers["x-acs-request-id"]


def test_get_model_latest_version_is_the_newest_stored(
    client: TestClient, schemas: Schemas
) -> None:
    body = client.get(f"/api/v1/models/{EXAMPLE_ID}").json()
    newest = max(stored_versions(), key=created)
    assert body["LatestVersion"]["VersionName"] == newest["VersionName"]
    assert body["GmtLatestVersionModifiedTime"] == newest["GmtModifiedTime"]
    listed = list_versions(client, schemas, Order="DESC", PageSize=1)["Versions"][0]
    assert body["LatestVersion"] == listed


def test_get_model_without_versions_has_no_latest(client: TestClient, schemas: Schemas) -> None:
    body = client.get("/api/v1/models/model-emptydraft01").json()
    assert_valid(schemas, "pai/get_model.response", body)
    assert "LatestVersion" not in body
    assert "GmtLatestVersionModifiedTime" not in body


def test_get_model_types(client: TestClient) -> None:
    body = client.get(f"/api/v1/models/{EXAMPLE_ID}").json()
    assert isinstance(body["ParameterSize"], int)
    assert isinstance(body["OrderNumber"], int)
    assert isinstance(body["LatestVersion"]["Options"], str)
    assert all(set(label) == {"Key", "Value"} for label in body["Labels"])


def test_percent_encoded_model_id_as_the_sdk_sends_it(client: TestClient) -> None:
    response = client.get("/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92")
    assert response.status_code == 200
    assert response.json()["ModelId"] == EXAMPLE_ID


# --- ListModelVersions -----------------------------------------------------------------


def test_docs_example_version_field_for_field(client: TestClient, schemas: Schemas) -> None:
    documented = example("pai/list_model_versions.example.json")["Versions"][0]
    body = list_versions(client, schemas, VersionName="0.1.0")
    assert body["TotalCount"] == 1
    assert body["Versions"] == [documented]


def test_defaults_are_first_page_of_ten_oldest_first(client: TestClient, schemas: Schemas) -> None:
    body = list_versions(client, schemas)
    expected = sorted(stored_versions(), key=created)
    assert body["TotalCount"] == len(expected)
    assert [v["VersionName"] for v in body["Versions"]] == [v["VersionName"] for v in expected[:10]]


@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_orders(client: TestClient, schemas: Schemas, order: str) -> None:
    body = list_versions(client, schemas, Order=order, SortBy="GmtCreateTime")
    times = [datetime.fromisoformat(v["GmtCreateTime"]) for v in body["Versions"]]
    assert len(times) > 2
    assert times == sorted(times, reverse=order == "DESC")


@pytest.mark.parametrize(
    ("param", "value", "matches"),
    [
        ("VersionName", "0.4.0", lambda v: v["VersionName"] == "0.4.0"),
        ("FormatType", "SavedModel", lambda v: v.get("FormatType") == "SavedModel"),
        ("FrameworkType", "Pytorch", lambda v: v.get("FrameworkType") == "Pytorch"),
        ("SourceType", "PAIFlow", lambda v: v.get("SourceType") == "PAIFlow"),
        (
            "SourceId",
            "region=cn-shanghai,workspaceId=13**,kind=ServiceJob,id=dlc-1a2b3c4d",
            lambda v: (
                v.get("SourceId")
                == "region=cn-shanghai,workspaceId=13**,kind=ServiceJob,id=dlc-1a2b3c4d"
            ),
        ),
        ("ApprovalStatus", "Pending", lambda v: v.get("ApprovalStatus") == "Pending"),
        ("Label", "k1", lambda v: any("k1" in x["Key"] or "k1" in x["Value"] for x in v["Labels"])),
        ("Label", "torch", lambda v: any("torch" in x["Value"] for x in v.get("Labels", []))),
    ],
    ids=lambda x: x if isinstance(x, str) and len(x) < 20 else None,
)
def test_each_filter(
    client: TestClient, schemas: Schemas, param: str, value: str, matches: Any
) -> None:
    body = list_versions(client, schemas, **{param: value})
    expected = [v["VersionName"] for v in sorted(stored_versions(), key=created) if matches(v)]
    assert expected, "the fixture should exercise this filter"
    assert len(expected) < len(stored_versions()), "the filter should leave some out"
    assert [v["VersionName"] for v in body["Versions"]] == expected
    assert body["TotalCount"] == len(expected)


def test_filters_combine(client: TestClient, schemas: Schemas) -> None:
    body = list_versions(client, schemas, FrameworkType="TensorFlow", ApprovalStatus="Approved")
    names = [v["VersionName"] for v in body["Versions"]]
    assert names == ["0.1.0", "0.2.0"]


def test_filter_with_no_match_is_empty(client: TestClient, schemas: Schemas) -> None:
    body = list_versions(client, schemas, FormatType="PMML")
    assert body == {"RequestId": body["RequestId"], "Versions": [], "TotalCount": 0}


def test_paging_walks_every_version_once(client: TestClient, schemas: Schemas) -> None:
    total = len(stored_versions())
    seen = []
    for page in range(1, total + 1):
        body = list_versions(client, schemas, PageSize=1, PageNumber=page)
        assert body["TotalCount"] == total
        assert len(body["Versions"]) == 1
        seen.append(body["Versions"][0]["VersionName"])
    assert seen == [v["VersionName"] for v in sorted(stored_versions(), key=created)]


def test_first_and_last_page(client: TestClient, schemas: Schemas) -> None:
    total = len(stored_versions())
    first = list_versions(client, schemas, PageSize=4, PageNumber=1)
    last_number = -(-total // 4)
    last = list_versions(client, schemas, PageSize=4, PageNumber=last_number)
    assert len(first["Versions"]) == 4
    assert len(last["Versions"]) == total - 4 * (last_number - 1)
    assert first["TotalCount"] == last["TotalCount"] == total


def test_page_past_the_end_is_empty_with_true_total(client: TestClient, schemas: Schemas) -> None:
    body = list_versions(client, schemas, PageSize=10, PageNumber=99)
    assert body["Versions"] == []
    assert body["TotalCount"] == len(stored_versions())


def test_page_size_bounds_accepted(client: TestClient, schemas: Schemas) -> None:
    assert len(list_versions(client, schemas, PageSize=100)["Versions"]) == len(stored_versions())
    assert len(list_versions(client, schemas, PageSize=1)["Versions"]) == 1


def test_unknown_query_parameters_are_ignored(client: TestClient, schemas: Schemas) -> None:
    body = list_versions(client, schemas, Unknown="x")
    assert body["TotalCount"] == len(stored_versions())


# --- errors ----------------------------------------------------------------------------


def assert_error(
    schemas: Schemas, response: Any, status: int, code: str, *message_parts: str
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, "pai/error", body)
    assert body["Code"] == code
    assert body["RequestId"] == response.headers["x-acs-request-id"]
    assert body["RequestId"] in body["Recommend"]
    for part in message_parts:
        assert part in body["Message"]
    return body


@pytest.mark.parametrize(
    ("query", "named", "allowed"),
    [
        ({"PageNumber": "abc"}, "PageNumber", "integer"),
        ({"PageNumber": "0"}, "PageNumber", "an integer from 1 to 2147483647"),
        ({"PageNumber": "-1"}, "PageNumber", "integer"),
        ({"PageNumber": "1.5"}, "PageNumber", "integer"),
        ({"PageSize": "0"}, "PageSize", "from 1 to 100"),
        ({"PageSize": "101"}, "PageSize", "from 1 to 100"),
        ({"PageSize": "ten"}, "PageSize", "from 1 to 100"),
        ({"Order": "asc"}, "Order", "ASC, DESC"),
        ({"SortBy": "GmtModifiedTime"}, "SortBy", "GmtCreateTime"),
        ({"FormatType": "savedmodel"}, "FormatType", "SavedModel"),
        ({"FrameworkType": "PyTorch"}, "FrameworkType", "Pytorch"),
        ({"SourceType": "Other"}, "SourceType", "TrainingService"),
        ({"ApprovalStatus": "Done"}, "ApprovalStatus", "Approved"),
        ([("PageSize", "1"), ("PageSize", "2")], "PageSize", "more than once"),
    ],
)
def test_bad_parameters(
    client: TestClient, schemas: Schemas, query: Any, named: str, allowed: str
) -> None:
    response = client.get(VERSIONS, params=query)
    assert_error(schemas, response, 400, "InvalidParameter", named, allowed)


def test_page_number_has_no_small_upper_bound(client: TestClient, schemas: Schemas) -> None:
    body = list_versions(client, schemas, PageNumber=1000000)
    assert body["Versions"] == []


@pytest.mark.parametrize(
    "path", ["/api/v1/models/model-nope", "/api/v1/models/model-nope/versions"]
)
def test_unknown_model(client: TestClient, schemas: Schemas, path: str) -> None:
    assert_error(schemas, client.get(path), 404, "ModelNotFound", "model-nope")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/v1/models"),
        ("GET", f"/api/v1/models/{EXAMPLE_ID}/versions/0.1.0/extra/parts"),
        ("GET", f"/api/v1/models/{EXAMPLE_ID}/"),
        ("GET", f"/api/v1/models/{EXAMPLE_ID}/labels"),
        ("POST", f"/api/v1/models/{EXAMPLE_ID}"),
        ("DELETE", f"/api/v1/models/{EXAMPLE_ID}/versions"),
        ("PATCH", "/api/v1/models/anything"),
        ("PUT", f"/api/v1/models/{EXAMPLE_ID}/labels"),
    ],
)
def test_unknown_paths_and_methods_answer_in_the_envelope(
    client: TestClient, schemas: Schemas, method: str, path: str
) -> None:
    response = client.request(method, path)
    body = assert_error(schemas, response, 404, "InvalidAction.NotFound", "api is not found")
    assert body["HostId"] == "testserver"


def test_error_request_ids_are_unique(client: TestClient) -> None:
    ids = {client.get("/api/v1/models/model-nope").json()["RequestId"] for _ in range(5)}
    assert len(ids) == 5


# --- what the bundled resnet model's twelve versions show ------------------------------

RESNET = "model-resnet50imgcls"


def resnet_versions(client: TestClient, schemas: Schemas, **query: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/models/{RESNET}/versions", params=query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_valid(schemas, "pai/list_model_versions.response", body)
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [v["VersionName"] for v in body["Versions"]]


def test_the_default_page_size_is_ten(client: TestClient, schemas: Schemas) -> None:
    stored = stored_versions(RESNET)
    assert len(stored) > 10, "the fixtures must hold more than a default page"
    body = resnet_versions(client, schemas)
    assert body["TotalCount"] == len(stored)
    assert names(body) == [v["VersionName"] for v in sorted(stored, key=created)[:10]]


@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_equal_times_keep_fixture_order_both_ways(
    client: TestClient, schemas: Schemas, order: str
) -> None:
    """docs/decisions.md: versions by GmtCreateTime; equal times keep fixture order."""
    stored = stored_versions(RESNET)
    expected = sorted(stored, key=created, reverse=order == "DESC")  # a stable sort
    body = resnet_versions(client, schemas, Order=order, PageSize=100)
    assert names(body) == [v["VersionName"] for v in expected]
    listed = names(body)
    assert listed.index("2.1.0") + 1 == listed.index("2.1.0_int8")


def test_equal_times_keep_fixture_order_across_pages_and_filters(
    client: TestClient, schemas: Schemas
) -> None:
    walked = [
        names(resnet_versions(client, schemas, Order="DESC", PageSize=1, PageNumber=n))[0]
        for n in range(1, 13)
    ]
    assert walked.index("2.1.0") + 1 == walked.index("2.1.0_int8")
    body = resnet_versions(client, schemas, Order="DESC", SourceType="PAIFlow")
    assert names(body) == ["2.1.0", "2.1.0_int8"]


def test_a_version_stored_without_source_type_is_custom(
    client: TestClient, schemas: Schemas
) -> None:
    """The docs: SourceType defaults to Custom."""
    assert "SourceType" not in next(
        v for v in stored_versions(RESNET) if v["VersionName"] == "2.1.1"
    )
    body = resnet_versions(client, schemas, VersionName="2.1.1")
    assert body["Versions"][0]["SourceType"] == "Custom"
    custom = names(resnet_versions(client, schemas, SourceType="Custom", PageSize=100))
    assert "2.1.1" in custom
    assert custom == [
        v["VersionName"]
        for v in sorted(stored_versions(RESNET), key=created)
        if v.get("SourceType", "Custom") == "Custom"
    ]


def test_an_unparsable_request_names_the_host_the_client_called(schemas: Schemas) -> None:
    """HostId is the Host the client sent, also when the request line cannot be parsed."""
    with MockServer() as server:
        request = b"GET /api/v1/models/two words HTTP/1.1\r\nHost: pai.example.test:8080\r\n\r\n"
        head, body = split(exchange(server.port, request, 1))
    assert head.startswith(b"HTTP/1.1 400 ")
    assert_valid(schemas, "pai/error", body)
    assert body["HostId"] == "pai.example.test:8080"
