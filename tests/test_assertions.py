"""Assertions in vendor terms: calls parsed from the journal (path parameters, query,
masked body, status, error code), and each helper's failure message, which names what
was expected, what was seen and the nearest calls with why they did not match."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mockserver import MockServer
from mockserver.app import create_app
from mockserver.assertions import MockAssertionError
from mockserver.core.journal import BODY_KEPT
from mockserver.core.vendor import Operation
from mockserver.core.writes import read_json
from mockserver.vendors import VENDORS

PAI_MODEL = "/api/v1/models/model-rbvg5wzljz%2A%2A%2A%2Aks92"
MODEL_ID = "model-rbvg5wzljz****ks92"


async def echo(request: Request) -> Response:
    """A write through the shared write path (core.writes), answering its body."""
    return JSONResponse(await read_json(request), status_code=201)


ECHO = Operation("POST", "/api/v1/deployments/{name}/echo", "EchoWrite", echo)


class EchoServer(MockServer):
    """A MockServer whose DashScope has one write more, to journal bodies."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        vendors = [
            dataclasses.replace(v, operations=(*v.operations, ECHO)) if v.name == "dashscope" else v
            for v in VENDORS
        ]
        self.app = create_app(self.settings, vendors=vendors)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with EchoServer(seed=2) as running:
        yield running


@pytest.fixture
def mock(server: MockServer) -> MockServer:
    server.reset()
    return server


def get(server: MockServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url_for(path), headers=headers)


def test_calls_are_parsed_in_vendor_terms(mock: MockServer) -> None:
    get(mock, f"{PAI_MODEL}/versions?PageSize=5&Order=DESC")
    get(mock, "/api/v1/deployments?page_size=500")
    body = {
        "model_name": "qwen-plus",
        "capacity": 2,
        "api_key": "sk-secret",
        "tags": ["a"],
        "Labels": [{"Key": "team", "Value": "x"}],
        "Auth": {"AccessKeySecret": "s", "password": "p", "AccessKeyId": "LTAI-id"},
    }
    httpx.post(mock.url_for("/api/v1/deployments/d%2F1/echo"), json=body)
    versions, deployments, echoed = mock.calls()
    assert versions.name == "pai.ListModelVersions"
    assert versions.path_params == {"ModelId": MODEL_ID}
    assert versions.query == {"PageSize": "5", "Order": "DESC"}
    assert (versions.status, versions.error, versions.body) == (200, None, None)
    assert (deployments.status, deployments.error) == (400, "InvalidParameter")
    assert echoed.name == "dashscope.EchoWrite" and echoed.status == 201
    assert echoed.path_params == {"name": "d/1"}
    assert echoed.body == {  # secrets masked; key ids and label keys kept
        **body,
        "api_key": "****",
        "Auth": {"AccessKeySecret": "****", "password": "****", "AccessKeyId": "LTAI-id"},
    }
    assert mock.calls(where={"body.Labels.0.Key": "team"}) == [echoed]
    assert mock.calls("pai.ListModelVersions", where={"ModelId": MODEL_ID}) == [versions]
    assert mock.calls(vendor="dashscope") == [deployments, echoed]
    assert mock.calls(where={"body.capacity": 2, "body.tags.0": "a"}) == [echoed]
    assert mock.calls(where={"query.PageSize": lambda v: int(v) < 10}) == [versions]
    assert mock.calls(where={"path.name": "d/1", "status": 201}) == [echoed]
    assert mock.calls("dashscope.ListDeployments", status=200) == []


def test_a_large_body_is_not_kept(mock: MockServer) -> None:
    big = {"data": "x" * BODY_KEPT}
    assert httpx.post(mock.url_for("/api/v1/deployments/d/echo"), json=big).status_code == 201
    entry = mock.requests()[-1]
    assert entry["body"] is None and entry["body_bytes"] == BODY_KEPT + len('{"data":""}')


def test_assert_called_counts_and_tells_the_nearest_calls(mock: MockServer) -> None:
    get(mock, "/api/v1/deployments?page_size=10")
    get(mock, "/api/v1/deployments?page_size=500")
    get(mock, f"{PAI_MODEL}/versions")
    [call] = mock.assert_called("dashscope.ListDeployments", where={"page_size": "10"}, times=1)
    assert call.status == 200
    assert len(mock.assert_called(vendor="dashscope")) == 2
    with pytest.raises(MockAssertionError) as failed:
        mock.assert_called("dashscope.ListDeployments", where={"page_size": "20"})
    assert str(failed.value) == (
        "expected dashscope.ListDeployments where {page_size: '20'} to be called at least "
        "once; it was called 0 times.\n"
        "Nearest calls that did not match:\n"
        "  - GET /api/v1/deployments?page_size=500 -> 400 InvalidParameter "
        "(dashscope.ListDeployments): page_size: '500', not '20'\n"
        "  - GET /api/v1/deployments?page_size=10 -> 200 (dashscope.ListDeployments): "
        "page_size: '10', not '20'\n"
        f"  - GET /api/v1/models/{MODEL_ID}/versions -> 200 (pai.ListModelVersions): "
        "vendor pai, not dashscope; operation ListModelVersions, not ListDeployments"
    )
    with pytest.raises(MockAssertionError) as failed:
        mock.assert_called("dashscope.ListDeployments", times=1)
    message = str(failed.value)
    assert message.startswith(
        "expected dashscope.ListDeployments to be called 1 time; it was called 2 times.\n"
        "Matching calls:\n  - GET /api/v1/deployments?page_size=10 -> 200"
    )


def test_assert_called_on_an_empty_journal(mock: MockServer) -> None:
    with pytest.raises(MockAssertionError, match=r"called 0 times\.\nNo calls were journaled\."):
        mock.assert_called("pai.GetModel")


def test_assert_not_called_lists_the_calls(mock: MockServer) -> None:
    get(mock, "/api/v1/deployments?page_size=500")
    mock.assert_not_called("pai.GetModel")
    mock.assert_not_called("dashscope.ListDeployments", status=200)
    with pytest.raises(MockAssertionError) as failed:
        mock.assert_not_called("dashscope.ListDeployments", status=400)
    assert str(failed.value) == (
        "expected dashscope.ListDeployments status 400 not to be called; it was called 1 "
        "time:\n  - GET /api/v1/deployments?page_size=500 -> 400 InvalidParameter "
        "(dashscope.ListDeployments)"
    )


def test_assert_sequence_finds_steps_in_order(mock: MockServer) -> None:
    get(mock, "/api/v1/deployments?page_size=10")
    get(mock, f"{PAI_MODEL}/versions")
    get(mock, "/v1/workspaces/default/models")
    found = mock.assert_sequence(
        [
            {"operation": "dashscope.ListDeployments", "where": {"page_size": "10"}},
            "huawei.ListModels",
        ]
    )
    assert [c.name for c in found] == ["dashscope.ListDeployments", "huawei.ListModels"]
    with pytest.raises(MockAssertionError) as failed:
        mock.assert_sequence(["pai.ListModelVersions", "dashscope.ListDeployments"])
    assert str(failed.value) == (
        "expected the sequence pai.ListModelVersions -> dashscope.ListDeployments; step 2 "
        "(dashscope.ListDeployments) was not called after GET /api/v1/models/"
        f"{MODEL_ID}/versions -> 200 (pai.ListModelVersions).\n"
        "It was called before that: GET /api/v1/deployments?page_size=10 -> 200 "
        "(dashscope.ListDeployments)\n"
        "Nearest calls that did not match:\n"
        "  - GET /v1/workspaces/default/models -> 200 (huawei.ListModels): vendor huawei, "
        "not dashscope; operation ListModels, not ListDeployments"
    )
    with pytest.raises(MockAssertionError, match=r"step 1 \(pai\.GetModel\) was not called at all"):
        mock.assert_sequence(["pai.GetModel"])


def test_assert_signed_needs_an_auth_mode(mock: MockServer) -> None:
    with pytest.raises(MockAssertionError, match="start it with auth='check' or auth='verify'"):
        mock.assert_signed()


def test_assert_signed_names_the_unsigned_calls() -> None:
    with MockServer(auth="check") as server:
        get(server, "/api/v1/deployments", Authorization="Bearer sk-1")
        get(server, "/api/v1/org/example/models/example/versions", **{"X-API-Key": "k"})
        get(server, "/api/v1/deployments", **{"X-Mock-Status": "500"})  # never checked
        server.assert_signed()
        get(server, "/api/v1/deployments?page_size=5")
        with pytest.raises(MockAssertionError) as failed:
            server.assert_signed()
    assert str(failed.value) == (
        "expected every request to be signed (check); 1 of 3 were refused by the credential "
        "check:\n  - GET /api/v1/deployments?page_size=5 -> 401 InvalidApiKey "
        "(dashscope.ListDeployments)"
    )


def test_strict_problems(mock: MockServer) -> None:
    get(mock, "/api/v1/deployments?page_size=10")
    assert mock.strict_problems() == []
    get(mock, "/api/v1/deployments?page_size=0")
    get(mock, "/api/v1/deployment")
    mock.fault(vendor="pai", status=503)
    used = mock.fault(vendor="dashscope", status=500, times=5)
    get(mock, "/api/v1/deployments")
    problems = mock.strict_problems()
    assert problems[:2] == [
        "invalid request: GET /api/v1/deployments?page_size=0 -> 400 InvalidParameter "
        "(dashscope.ListDeployments)",
        "unknown route: GET /api/v1/deployment -> 404 NotFound (-)",
    ]
    assert problems[2].startswith("fault rule 1 was never used: {'vendor': 'pai', 'status': 503")
    assert len(problems) == 3
    assert used["id"] == 2  # used once: not a problem, nor its 503
    assert mock.strict_problems(known_rules=[1]) == problems[:2]


STRICT_TESTS = """
import httpx
import pytest

def test_clean(mockserver):
    httpx.get(mockserver.url_for("/api/v1/deployments"))

def test_unknown_route(mockserver):
    httpx.get(mockserver.url_for("/api/v1/deployment"))

@pytest.mark.mockserver_strict(False)
def test_opted_out(mockserver):
    httpx.get(mockserver.url_for("/api/v1/deployment"))

def test_unused_rule(mockserver):
    mockserver.fault(vendor="pai", status=503)
"""


def test_strict_mode_fails_at_teardown_with_the_journal_tail(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmockserver_strict = true\n")
    pytester.makepyfile(STRICT_TESTS)
    result = pytester.runpytest()
    result.assert_outcomes(passed=4, errors=2)
    out = result.stdout.str()
    assert "ERROR at teardown of test_unknown_route" in out
    assert re.search(
        r"mockserver strict mode: 1 problem\(s\)\n  - unknown route: GET /api/v1/deployment "
        r"-> 404 NotFound \(-\)\nThe journal's last requests:\n  \S+Z GET /api/v1/deployment",
        out,
    ), out
    assert "fault rule 1 was never used" in out
    assert "test_opted_out" not in out.split("short test summary")[1]


def test_strict_marker_without_the_ini(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.mockserver_strict
        def test_invalid(mockserver):
            httpx.get(mockserver.url_for("/api/v1/deployments?page_size=0"))

        def test_not_strict(mockserver):
            httpx.get(mockserver.url_for("/api/v1/deployments?page_size=0"))
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    assert "invalid request: GET /api/v1/deployments?page_size=0 -> 400" in result.stdout.str()


def test_a_test_starts_from_a_named_snapshot(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session", autouse=True)
        def golden(mockserver_session):
            mockserver_session.add("dreadnode", "orgs", {"slug": "golden-org"})
            mockserver_session.snapshot("golden")
            mockserver_session.reset()
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def slugs(server):
            return [o["slug"] for o in server.data()["dreadnode"]["orgs"]]

        @pytest.mark.mockserver_snapshot("golden")
        def test_from_golden(mockserver):
            assert "golden-org" in slugs(mockserver)
            mockserver.add("dreadnode", "orgs", {"slug": "mine"})

        @pytest.mark.mockserver_snapshot("golden")
        def test_again_from_golden(mockserver):
            assert "golden-org" in slugs(mockserver) and "mine" not in slugs(mockserver)

        def test_from_start(mockserver):
            assert "golden-org" not in slugs(mockserver)

        @pytest.mark.mockserver_snapshot("missing")
        def test_missing(mockserver):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, errors=1)
    assert "no snapshot 'missing'; held: golden" in result.stdout.str()
