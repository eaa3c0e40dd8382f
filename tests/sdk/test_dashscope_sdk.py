"""dashscope: Deployments.list through the SDK (which returns errors, never raises)."""

from __future__ import annotations

from collections.abc import Iterator

import dashscope
import pytest

from mockserver import MockServer


@pytest.fixture(autouse=True)
def base_url(mockserver: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(dashscope, "base_http_api_url", mockserver.url_for("/api/v1"))
    monkeypatch.setattr(dashscope, "api_key", "sk-test")
    yield


def test_list_pages(mockserver: MockServer) -> None:
    first = dashscope.Deployments.list(page_no=1, page_size=2)
    assert first.status_code == 200
    assert first.output.total == 5
    assert first.output.page_size == 2
    assert len(first.output.deployments) == 2
    assert first.request_id == mockserver.requests()[-1]["request_id"]
    rest = [dashscope.Deployments.list(page_no=p, page_size=2) for p in (2, 3)]
    names = [d.deployed_model for r in (first, *rest) for d in r.output.deployments]
    assert len(names) == len(set(names)) == 5
    assert "emo-35b3f106-sample01" in names
    past = dashscope.Deployments.list(page_no=4, page_size=2)
    assert past.output.deployments == []
    assert mockserver.requests()[-1]["headers"]["authorization"] == "Bearer ****"


def test_the_docs_example_reads_back() -> None:
    result = dashscope.Deployments.list(page_no=1, page_size=50)
    emo = next(d for d in result.output.deployments if d.deployed_model == "emo-35b3f106-sample01")
    assert (emo.status, emo.model_name, emo.capacity, emo.gmt_create) == (
        "RUNNING",
        "emo",
        1,
        "2025-06-17T11:00:38",
    )


def test_workspace(mockserver: MockServer) -> None:
    result = dashscope.Deployments.list(page_no=1, page_size=10, workspace="llm-prodteam01")
    assert result.output.total == 3
    assert mockserver.requests()[-1]["headers"]["x-dashscope-workspace"] == "llm-prodteam01"


def test_error_reads_back_code_message_and_request_id(mockserver: MockServer) -> None:
    result = dashscope.Deployments.list(page_no=1, page_size=500)
    assert result.status_code == 400
    assert result.code == "InvalidParameter"
    assert "page_size" in result.message
    assert result.request_id == mockserver.requests()[-1]["request_id"]
