"""Alibaba PAI writes over plain HTTP: every refusal in PAI's envelope (400 naming the
field, 404 for unknown ids, 409/413), and the guards every operation goes through
(journal, faults, rate limits, auth, several workers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.core.bodies import MAX_BODY
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid

EXAMPLE = "model-rbvg5wzljz****ks92"
MODELS = "/api/v1/models"
MODEL = f"{MODELS}/{EXAMPLE}"
VERSION = f"{MODEL}/versions/0.1.0"
URI = "oss://bucket.oss-cn-hangzhou.aliyuncs.com/m/"


@pytest.fixture(scope="module")
def app_client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(seed=7))) as client:
        yield client


@pytest.fixture
def client(app_client: TestClient) -> TestClient:
    """The module's app, back to its loaded state for each test."""
    assert app_client.post("/_mock/reset").status_code == 200
    return app_client


def ok(schemas: Schemas, response: Any, schema: str = "pai/request_id.response") -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, schema, body)
    assert body["RequestId"] == response.headers["x-acs-request-id"]
    return body


def refused(schemas: Schemas, response: Any, status: int, code: str, *parts: str) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, "pai/error", body)
    assert body["Code"] == code, body
    for part in parts:
        assert part in body["Message"], body["Message"]
    return body


def create(client: TestClient, schemas: Schemas, **body: Any) -> str:
    found = ok(
        schemas, client.post(MODELS, json={"ModelName": "m", **body}), "pai/create_model.response"
    )
    return str(found["ModelId"])


# --- success shapes --------------------------------------------------------------------


def test_created_records_answer_as_the_schemas_say(client: TestClient, schemas: Schemas) -> None:
    client.app.clock.freeze()  # type: ignore[attr-defined]
    try:
        model_id = create(client, schemas, Tag=[{"Key": "k", "Value": "v"}])
        version = client.post(f"{MODELS}/{model_id}/versions", json={"Uri": URI})
        assert ok(schemas, version, "pai/create_model_version.response")["VersionName"] == "0.1.0"
        model = ok(schemas, client.get(f"{MODELS}/{model_id}"), "pai/get_model.response")
        now = client.app.clock.now()  # type: ignore[attr-defined]
        assert model["GmtCreateTime"] == now.isoformat(timespec="milliseconds")[:23] + "Z"
        assert model["WorkspaceId"] == "1000" and model["Accessibility"] == "PRIVATE"
        assert "Tags" not in model  # GetModel's body has no Tags
        got = client.get(f"{MODELS}/{model_id}/versions/0.1.0")
        assert ok(schemas, got, "pai/get_model_version.response")["SourceType"] == "Custom"
        listed = ok(
            schemas, client.get(MODELS, params={"PageSize": 100}), "pai/list_models.response"
        )
        [mine] = [x for x in listed["Models"] if x["ModelId"] == model_id]
        assert mine["Tags"] == [{"Key": "k", "Value": "v"}]
        assert mine["LatestVersion"]["VersionName"] == "0.1.0"
    finally:
        client.app.clock.reset()  # type: ignore[attr-defined]


def test_the_landing_page_and_data_show_writes(client: TestClient, schemas: Schemas) -> None:
    before = client.get("/_mock/").text
    assert "5 models, 22 versions" in before
    model_id = create(client, schemas)
    client.post(f"{MODELS}/{model_id}/versions", json={"Uri": URI})
    assert "6 models, 23 versions" in client.get("/_mock/").text
    data = client.get("/_mock/data").json()["pai"]
    assert [m["ModelId"] for m in data["models"]][-1] == model_id
    assert [v["ModelId"] for v in data["versions"]][-1] == model_id
    for op in ("CreateModel", "DeleteModelVersionLabels", "ListModels", "GetModelVersion"):
        assert f"<td>{op}</td>" in before


# --- bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "named"),
    [
        ("POST", MODELS, {}, "MissingParameter.ModelName", "ModelName"),
        ("POST", MODELS, {"ModelName": 5}, "InvalidParameter", "$.ModelName"),
        ("POST", MODELS, {"ModelName": "x" * 128}, "InvalidParameter", "$.ModelName"),
        ("POST", MODELS, {"ModelName": ""}, "InvalidParameter", "$.ModelName"),
        (
            "POST",
            MODELS,
            {"ModelName": "m", "Accessibility": "OPEN"},
            "InvalidParameter",
            "$.Accessibility",
        ),
        ("POST", MODELS, {"ModelName": "m", "Colour": "red"}, "InvalidParameter", "$.Colour"),
        (
            "POST",
            MODELS,
            {"ModelName": "m", "Labels": [{"Key": "a=b", "Value": "v"}]},
            "InvalidParameter",
            "$.Labels[0].Key",
        ),
        ("POST", MODELS, {"ModelName": "m", "Tag": [{"Key": "k"}]}, "InvalidParameter", "Value"),
        (
            "POST",
            MODELS,
            {"ModelName": "m", "ParameterSize": -1},
            "InvalidParameter",
            "$.ParameterSize",
        ),
        ("POST", MODELS, [1], "InvalidParameter", "object"),
        ("PUT", MODEL, {"ModelName": None}, "InvalidParameter", "$.ModelName"),
        ("PUT", MODEL, {"Labels": []}, "InvalidParameter", "$.Labels"),
        ("POST", f"{MODEL}/versions", {}, "MissingParameter.Uri", "Uri"),
        ("POST", f"{MODEL}/versions", {"Uri": "ftp://x"}, "InvalidParameter", "$.Uri"),
        (
            "POST",
            f"{MODEL}/versions",
            {"Uri": URI, "VersionName": "v1"},
            "InvalidParameter",
            "$.VersionName",
        ),
        (
            "POST",
            f"{MODEL}/versions",
            {"Uri": URI, "FormatType": "Pickle"},
            "InvalidParameter",
            "$.FormatType",
        ),
        (
            "POST",
            f"{MODEL}/versions",
            {"Uri": URI, "Options": "{"},
            "InvalidParameter",
            "$.Options",
        ),
        ("POST", f"{MODEL}/versions", {"Uri": URI, "Options": {}}, "InvalidParameter", "$.Options"),
        (
            "POST",
            f"{MODEL}/versions",
            {"Uri": URI, "SourceType": "PAIFlow"},
            "MissingParameter.SourceId",
            "SourceId",
        ),
        (
            "POST",
            f"{MODEL}/versions",
            {"Uri": URI, "Metrics": {"x": "y" * 9000}},
            "InvalidParameter",
            "$.Metrics",
        ),
        ("PUT", VERSION, {"ApprovalStatus": "approved"}, "InvalidParameter", "$.ApprovalStatus"),
        ("PUT", VERSION, {"Uri": URI}, "InvalidParameter", "$.Uri"),
        ("POST", f"{MODEL}/labels", {}, "MissingParameter.Labels", "Labels"),
        ("POST", f"{MODEL}/labels", {"Labels": []}, "InvalidParameter", "$.Labels"),
        (
            "POST",
            f"{VERSION}/labels",
            {"Labels": [{"Key": "k", "Value": "v" * 129}]},
            "InvalidParameter",
            "$.Labels[0].Value",
        ),
    ],
)
def test_bad_bodies_name_the_field(
    client: TestClient, schemas: Schemas, method: str, path: str, body: Any, code: str, named: str
) -> None:
    before = client.get("/_mock/data").json()
    response = client.request(method, path, json=body)
    refused(schemas, response, 400, code, named)
    assert client.get("/_mock/data").json() == before  # nothing changed


@pytest.mark.parametrize("raw", [b"{", b"", b"NaN", b"\xff"])
def test_a_body_that_is_not_json(client: TestClient, schemas: Schemas, raw: bytes) -> None:
    response = client.post(MODELS, content=raw, headers={"content-type": "application/json"})
    refused(schemas, response, 400, "InvalidParameter", "not valid")


def test_a_body_too_large(client: TestClient, schemas: Schemas) -> None:
    body = json.dumps({"ModelName": "m", "ModelDescription": "x" * MAX_BODY}).encode()
    refused(schemas, client.post(MODELS, content=body), 413, "RequestEntityTooLarge", "limit")


def test_an_update_of_no_field_only_touches_the_time(client: TestClient, schemas: Schemas) -> None:
    before = client.get(MODEL).json()
    refused(schemas, client.put(MODEL, content=b""), 400, "InvalidParameter", "not JSON")
    ok(schemas, client.put(MODEL, json={}))  # what the SDK sends for no field
    after = client.get(MODEL).json()
    assert after["GmtModifiedTime"] >= before["GmtModifiedTime"]
    assert {k: v for k, v in after.items() if k not in ("RequestId", "GmtModifiedTime")} == {
        k: v for k, v in before.items() if k not in ("RequestId", "GmtModifiedTime")
    }


# --- ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", f"{MODELS}/model-nope", {}),
        ("DELETE", f"{MODELS}/model-nope", None),
        ("POST", f"{MODELS}/model-nope/labels", {"Labels": [{"Key": "k", "Value": "v"}]}),
        ("DELETE", f"{MODELS}/model-nope/labels?LabelKeys=k", None),
        ("POST", f"{MODELS}/model-nope/versions", {"Uri": URI}),
        ("GET", f"{MODELS}/model-nope/versions/0.1.0", None),
        ("PUT", f"{MODELS}/model-nope/versions/0.1.0", {}),
        ("DELETE", f"{MODELS}/model-nope/versions/0.1.0", None),
        (
            "POST",
            f"{MODELS}/model-nope/versions/0.1.0/labels",
            {"Labels": [{"Key": "k", "Value": "v"}]},
        ),
        ("DELETE", f"{MODELS}/model-nope/versions/0.1.0/labels?LabelKeys=k", None),
    ],
)
def test_unknown_model(
    client: TestClient, schemas: Schemas, method: str, path: str, body: Any
) -> None:
    response = client.request(method, path, json=body)
    refused(schemas, response, 404, "ModelNotFound", "model-nope")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"{MODEL}/versions/9.9.9", None),
        ("PUT", f"{MODEL}/versions/9.9.9", {"ApprovalStatus": "Approved"}),
        ("DELETE", f"{MODEL}/versions/9.9.9", None),
        ("POST", f"{MODEL}/versions/9.9.9/labels", {"Labels": [{"Key": "k", "Value": "v"}]}),
        ("DELETE", f"{MODEL}/versions/9.9.9/labels?LabelKeys=k", None),
    ],
)
def test_unknown_version(
    client: TestClient, schemas: Schemas, method: str, path: str, body: Any
) -> None:
    response = client.request(method, path, json=body)
    refused(schemas, response, 404, "ModelVersionNotFound", "9.9.9", EXAMPLE)


def test_duplicate_version_name(client: TestClient, schemas: Schemas) -> None:
    response = client.post(f"{MODEL}/versions", json={"Uri": URI, "VersionName": "0.1.0"})
    refused(schemas, response, 409, "ModelVersionAlreadyExists", "VersionName", "0.1.0")


def test_auto_names_follow_the_highest_version(client: TestClient, schemas: Schemas) -> None:
    # the example model's highest is 0.6.0 (0.5.0_beta counts as 0.5.0)
    names = [
        ok(
            schemas,
            client.post(f"{MODEL}/versions", json={"Uri": URI}),
            "pai/create_model_version.response",
        )["VersionName"]
        for _ in range(2)
    ]
    assert names == ["0.7.0", "0.8.0"]
    ok(schemas, client.delete(f"{MODEL}/versions/0.8.0"))
    after = client.post(f"{MODEL}/versions", json={"Uri": URI})
    assert after.json()["VersionName"] == "0.8.0"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "MissingParameter.LabelKeys"),
        ("?LabelKeys=", "InvalidParameter"),
        ("?LabelKeys=,", "InvalidParameter"),
        ("?LabelKeys=%20,%20", "InvalidParameter"),
    ],
)
def test_label_keys_are_required(
    client: TestClient, schemas: Schemas, query: str, code: str
) -> None:
    for path in (f"{MODEL}/labels", f"{VERSION}/labels"):
        refused(schemas, client.delete(path + query), 400, code, "LabelKeys")


def test_label_keys_too_long(client: TestClient, schemas: Schemas) -> None:
    response = client.delete(f"{MODEL}/labels", params={"LabelKeys": "k" * 5000})
    refused(schemas, response, 400, "InvalidParameter", "LabelKeys")


# --- ListModels parameters -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"PageSize": "101"}, "PageSize"),
        ({"Order": "asc"}, "Order"),
        ({"SortBy": "ModelName"}, "SortBy"),
        ({"Tag": "not json"}, "Tag"),
        ({"Tag": '{"Key": "a"}'}, "Tag"),
        ({"Tag": '[{"Key": 1}]'}, "Tag"),
        (
            {"Conditions": '[{"Column": "ParameterSize", "Operator": "Like", "Value": "1"}]'},
            "Operator",
        ),
        ({"Conditions": '[{"Column": "ModelName", "Operator": "Equal", "Value": "1"}]'}, "Column"),
        (
            {"Conditions": '[{"Column": "ParameterSize", "Operator": "Equal", "Value": "x"}]'},
            "Value",
        ),
        ({"Tag": '[{"Value": "v", "Key": "k"}]'}, "Tag"),
        ({"Tag": '[{"Key": "\\u0041"}]'}, "Tag"),
        ({"Query": "q" * 300}, "Query"),
    ],
)
def test_list_models_bad_parameters(
    client: TestClient, schemas: Schemas, query: dict[str, str], named: str
) -> None:
    refused(schemas, client.get(MODELS, params=query), 400, "InvalidParameter", named)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"ModelName": "qwen-7b-chat-finetuned"}, ["model-qwen7bchat0001"]),
        ({"Provider": "pai", "PageSize": "100"}, None),
        ({"Query": "QWEN"}, ["model-qwen7bchat0001"]),
        ({"Label": "production"}, ["model-qwen7bchat0001"]),
        ({"Tag": '[{"Key": "team", "Value": "support"}]'}, ["model-qwen7bchat0001"]),
        ({"Tag": '[{"Key": "team"}]'}, ["model-qwen7bchat0001"]),
        ({"Tag": '[{"Key": "team", "Value": "other"}]'}, []),
        ({"Collections": "a,b"}, []),
        (
            {
                "Conditions": json.dumps(
                    [{"Column": "ParameterSize", "Operator": "GreaterThan", "Value": "5000"}]
                )
            },
            ["model-qwen7bchat0001"],
        ),
    ],
)
def test_list_models_filters(
    client: TestClient, schemas: Schemas, query: dict[str, str], expected: list[str] | None
) -> None:
    body = ok(schemas, client.get(MODELS, params=query), "pai/list_models.response")
    found = [x["ModelId"] for x in body["Models"]]
    if expected is None:  # Provider: that provider's public models only
        assert found and all(x["Accessibility"] == "PUBLIC" for x in body["Models"])
    else:
        assert found == expected
    assert body["TotalCount"] == len(found)


def test_list_models_orders_and_pages(client: TestClient, schemas: Schemas) -> None:
    everything = ok(
        schemas, client.get(MODELS, params={"PageSize": 100}), "pai/list_models.response"
    )
    times = [x["GmtCreateTime"] for x in everything["Models"]]
    assert times == sorted(times)
    desc = client.get(MODELS, params={"PageSize": 100, "Order": "DESC"}).json()
    assert [x["ModelId"] for x in desc["Models"]] == [x["ModelId"] for x in everything["Models"]][
        ::-1
    ]
    second = client.get(MODELS, params={"PageSize": 2, "PageNumber": 2}).json()
    assert second["Models"] == everything["Models"][2:4]
    assert second["TotalCount"] == everything["TotalCount"]


# --- the guards every operation goes through -------------------------------------------


def test_writes_are_journaled(client: TestClient, schemas: Schemas) -> None:
    client.delete("/_mock/requests")
    model_id = create(client, schemas)
    client.delete(f"{MODELS}/{model_id}")
    journal = client.get("/_mock/requests").json()["requests"]
    assert [(r["operation"], r["status"]) for r in journal[-2:]] == [
        ("CreateModel", 200),
        ("DeleteModel", 200),
    ]


def test_injected_faults_apply_to_writes(client: TestClient, schemas: Schemas) -> None:
    rule = {"vendor": "pai", "operation": "CreateModel", "status": 503, "times": 1}
    assert client.post("/_mock/faults", json=rule).status_code == 201
    before = len(client.get("/_mock/data").json()["pai"]["models"])
    refused(schemas, client.post(MODELS, json={"ModelName": "m"}), 503, "ServiceUnavailable")
    assert len(client.get("/_mock/data").json()["pai"]["models"]) == before
    create(client, schemas)  # the rule was used up
    client.delete("/_mock/faults")


def test_rate_limits_apply_to_writes(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(rate_limits=(("pai", 1.0),)))) as client:
        statuses = [client.post(MODELS, json={"ModelName": "m"}).status_code for _ in range(3)]
        assert statuses[0] == 200 and 429 in statuses
        limited = client.post(MODELS, json={"ModelName": "m"})
        refused(schemas, limited, 429, "Throttling.User")
        assert int(limited.headers["x-acs-retry-after"]) > 0


def test_auth_check_applies_to_writes(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(auth="check"))) as client:
        refused(schemas, client.post(MODELS, json={"ModelName": "m"}), 401, "MissingAuthorization")
        refused(schemas, client.delete(f"{MODEL}/versions/0.1.0"), 401, "MissingAuthorization")
        assert client.get(VERSION.rsplit("/", 1)[0]).status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", MODELS, {"ModelName": "m"}),
        ("PUT", MODEL, {}),
        ("DELETE", MODEL, None),
        ("POST", f"{MODEL}/labels", {"Labels": [{"Key": "k", "Value": "v"}]}),
        ("DELETE", f"{MODEL}/labels?LabelKeys=env", None),
        ("POST", f"{MODEL}/versions", {"Uri": URI}),
        ("PUT", VERSION, {}),
        ("DELETE", VERSION, None),
        ("POST", f"{VERSION}/labels", {"Labels": [{"Key": "k", "Value": "v"}]}),
        ("DELETE", f"{VERSION}/labels?LabelKeys=k1", None),
    ],
)
def test_writes_need_a_single_process(schemas: Schemas, method: str, path: str, body: Any) -> None:
    with TestClient(create_app(Settings(workers=2))) as client:
        before = client.get("/_mock/data").json()
        response = client.request(method, path, json=body)
        refused(schemas, response, 409, "OperationConflict", "--workers 1")
        assert client.get("/_mock/data").json() == before
        assert client.get(MODEL).status_code == 200  # reads still answer
