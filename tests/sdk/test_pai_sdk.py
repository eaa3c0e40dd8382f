"""alibabacloud-aiworkspace20210204: GetModel and ListModelVersions through the SDK."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_aiworkspace20210204.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException

from mockserver import MockServer
from tests.conftest import bundled_records
from tests.sdk.conftest import pai_client

EXAMPLE = "model-rbvg5wzljz****ks92"


@pytest.fixture
def client(mockserver: MockServer) -> Client:
    return pai_client(mockserver)


def versions(client: Client, **request: Any) -> m.ListModelVersionsResponseBody:
    response = client.list_model_versions(EXAMPLE, m.ListModelVersionsRequest(**request))
    assert response.status_code == 200
    return response.body


def stored() -> list[dict[str, Any]]:
    rows = [v for v in bundled_records("pai", "versions") if v["ModelId"] == EXAMPLE]
    return sorted(rows, key=lambda v: datetime.fromisoformat(v["GmtCreateTime"]))


def test_get_model(client: Client, mockserver: MockServer) -> None:
    response = client.get_model(EXAMPLE, m.GetModelRequest())
    body = response.body
    assert response.status_code == 200
    assert body.model_id == EXAMPLE
    assert body.model_name == "情感分析"
    assert body.parameter_size == 3000
    assert body.order_number == 1
    assert [(label.key, label.value) for label in body.labels] == [("env", "test")]
    assert body.latest_version.version_name == stored()[-1]["VersionName"]
    assert isinstance(body.latest_version.options, str)
    assert body.extra_info["DownloadCount"] == 606056
    assert body.request_id == mockserver.requests()[-1]["request_id"]
    assert mockserver.requests()[-1]["path"] == f"/api/v1/models/{EXAMPLE}"


def test_list_paging(client: Client) -> None:
    total = len(stored())
    seen = []
    for page in range(1, 4):
        body = versions(client, page_number=page, page_size=2)
        assert body.total_count == total
        seen += [v.version_name for v in body.versions]
    assert seen == [v["VersionName"] for v in stored()]
    assert versions(client, page_number=9, page_size=2).versions == []


@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_list_orders(client: Client, order: str) -> None:
    body = versions(client, order=order, sort_by="GmtCreateTime", page_size=100)
    names = [v["VersionName"] for v in stored()]
    assert [v.version_name for v in body.versions] == (names if order == "ASC" else names[::-1])


@pytest.mark.parametrize(
    ("field", "value", "keep"),
    [
        ("version_name", "0.1.0", lambda v: v["VersionName"] == "0.1.0"),
        ("format_type", "SavedModel", lambda v: v["FormatType"] == "SavedModel"),
        ("framework_type", "Pytorch", lambda v: v["FrameworkType"] == "Pytorch"),
        ("source_type", "TrainingService", lambda v: v["SourceType"] == "TrainingService"),
        (
            "source_id",
            "region=cn-hangzhou,workspaceId=13**,kind=PipelineRun,id=run-4f4f4f4f",
            lambda v: (
                v.get("SourceId")
                == "region=cn-hangzhou,workspaceId=13**,kind=PipelineRun,id=run-4f4f4f4f"
            ),
        ),
        ("label", "beta", lambda v: any("beta" in x["Value"] for x in v.get("Labels", []))),
        ("approval_status", "Rejected", lambda v: v["ApprovalStatus"] == "Rejected"),
    ],
)
def test_list_filters(client: Client, field: str, value: str, keep: Any) -> None:
    body = versions(client, page_size=100, **{field: value})
    expected = [v["VersionName"] for v in stored() if keep(v)]
    assert expected
    assert [v.version_name for v in body.versions] == expected
    assert body.total_count == len(expected)


def test_docs_example_version_through_the_sdk(client: Client) -> None:
    [version] = versions(client, version_name="0.1.0").versions
    assert version.format_type == "SavedModel"
    assert (
        version.source_id
        == "region=cn-shanghai,workspaceId=13**,kind=PipelineRun,id=run-sakdb****jdf"
    )
    assert version.metrics["Results"][0]["Metrics"] == {"cer": 0.175}
    assert [(x.key, x.value) for x in version.labels] == [("k1", "v1")]


def test_unknown_model_raises_client_exception(client: Client, mockserver: MockServer) -> None:
    with pytest.raises(ClientException) as info:
        client.get_model("model-missing", m.GetModelRequest())
    error = info.value
    assert error.status_code == 404
    assert error.code == "ModelNotFound"
    assert "model-missing" in error.message
    assert error.request_id == mockserver.requests()[-1]["request_id"]
    assert error.data["HostId"] == f"127.0.0.1:{mockserver.port}"


def test_bad_parameter_raises_client_exception(client: Client) -> None:
    with pytest.raises(ClientException) as info:
        versions(client, page_size=1000)
    assert info.value.status_code == 400
    assert info.value.code == "InvalidParameter"
    assert "PageSize" in info.value.message
