"""The pytest plugin, run in inner pytest sessions (pytester)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_example() -> str:
    """The first python block of the README's "Use it in your tests" section."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Use it in your tests") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_readme_example_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme=readme_example())
    pytester.runpytest().assert_outcomes(passed=4)


def test_state_is_isolated_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        RECORD = {"slug": "isolated"}

        def test_adds(mockserver):
            mockserver.add("dreadnode", "orgs", RECORD)
            httpx.get(mockserver.url_for("/api/v1/deployments"))
            assert len(mockserver.requests()) == 1

        def test_sees_fresh_state(mockserver):
            assert mockserver.requests() == []
            orgs = [o["slug"] for o in mockserver.data()["dreadnode"]["orgs"]]
            assert "isolated" not in orgs

        def test_same_session_server(mockserver, mockserver_session):
            assert mockserver is mockserver_session
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_marker_gives_a_test_its_own_data(pytester: pytest.Pytester) -> None:
    data = pytester.mkdir("data")
    (data / "dashscope").mkdir()
    (data / "dashscope" / "d.yaml").write_text("workspaces:\n  - id: llm-only\n", encoding="utf-8")
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.mockserver(fixtures="data", seed=1)
        def test_own_data(mockserver, mockserver_session):
            assert mockserver is not mockserver_session
            body = httpx.get(mockserver.url_for("/api/v1/deployments")).json()
            assert body["output"]["total"] == 0
            assert mockserver.data()["pai"]["models"] == []

        def test_bundled_data(mockserver):
            body = httpx.get(mockserver.url_for("/api/v1/deployments")).json()
            assert body["output"]["total"] == 5
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_ini_options_give_the_session_server_its_data(pytester: pytest.Pytester) -> None:
    data = pytester.mkdir("data")
    (data / "dashscope").mkdir()
    (data / "dashscope" / "d.yaml").write_text("workspaces:\n  - id: llm-only\n", encoding="utf-8")
    pytester.makeini("[pytest]\nmockserver_fixtures = data\nmockserver_seed = 3\n")
    pytester.makepyfile(
        """
        import httpx

        def test_session_data(mockserver, mockserver_session):
            assert mockserver is mockserver_session
            assert mockserver.settings.seed == 3
            body = httpx.get(mockserver.url_for("/api/v1/deployments")).json()
            assert body["output"]["total"] == 0
            assert mockserver.data()["dashscope"]["workspaces"] == [{"id": "llm-only"}]

        def test_still_the_same_server(mockserver, mockserver_session):
            assert mockserver is mockserver_session
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("ini", "error"),
    [
        ("mockserver_fixtures = nowhere", "mockserver_fixtures: no folder"),
        ("mockserver_seed = seven", "mockserver_seed must be an integer, not 'seven'"),
    ],
)
def test_bad_ini_options_are_a_usage_error(pytester: pytest.Pytester, ini: str, error: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_uses(mockserver):\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{error}*"])


def test_in_process_client_shares_the_handles_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_client(mockserver, mockserver_client):
            assert isinstance(mockserver_client, httpx.Client)
            response = mockserver_client.get("/v1/workspaces/default/models", params={"limit": 2})
            assert response.status_code == 200
            assert len(response.json()["models"]) == 2
            assert response.headers["x-request-id"]
            assert mockserver.requests()[-1]["operation"] == "ListModels"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mockserver(fixtures=None, seed=None*"])


def test_each_xdist_worker_has_its_own_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_port(mockserver, n, tmp_path_factory):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            out = tmp_path_factory.getbasetemp().parent.parent / f"port-{worker}-{n}"
            out.write_text(str(mockserver.port))
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=6)
    ports: dict[str, set[str]] = {}
    for path in pytester.path.parent.rglob("port-*"):
        worker = path.name.split("-")[1]
        ports.setdefault(worker, set()).add(path.read_text())
    assert set(ports) == {"gw0", "gw1"}
    assert all(len(p) == 1 for p in ports.values()), ports  # one server per worker
    assert ports["gw0"] != ports["gw1"]
