"""pytest plugin (entry point `pytest11: mockserver`): the mock inside your test suite.

Fixtures:
    mockserver_session  one live server for the whole session (each xdist worker its own)
    mockserver          the handle for one test: state and journal reset before it
    mockserver_client   an httpx.Client calling the same app in process, no socket

Markers:
    @pytest.mark.mockserver(fixtures="tests/data", seed=7)   a server of its own for
    this test, with these settings (any MockServer keyword)
    @pytest.mark.mockserver_snapshot("golden")   start the test from the records of a
    snapshot taken earlier (e.g. by a session fixture, `mockserver_session.snapshot`)
    @pytest.mark.mockserver_strict   fail the test at teardown when the code under test
    hit an unknown route, sent an invalid request, or left a fault rule unused
    (`mockserver_strict(False)` turns the ini option off for one test)

A failed test that used the mock gets a "mockserver diagnoses" section in its report:
each request the mock refused by its own rules, with the rule, field, value and source.

ini options (pytest.ini, or [tool.pytest.ini_options] in pyproject.toml), for the
session's server, so that a whole suite runs on its own data without a server per test:
    mockserver_fixtures = tests/data    fixtures folder, relative to the ini file
    mockserver_seed = 7                 seed for request ids and fault probabilities
    mockserver_lifecycle = manual       timing mode of resources' states (default reads:1)
    mockserver_strict = true            strict mode (see the marker) for every test

@pytest.mark.mockserver(lifecycle="immediate") alone keeps the session's server and sets
its timing mode for this test only (a reset after it gives back the session's).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from a2wsgi import ASGIMiddleware

from mockserver.assertions import strict_failure
from mockserver.core.lifecycle import Timing
from mockserver.testing import MockServer

MARKER = "mockserver"
SNAPSHOT_MARKER = "mockserver_snapshot"
STRICT_MARKER = "mockserver_strict"
SESSION = pytest.StashKey[dict[str, Any]]()  # the session server's MockServer keywords


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "mockserver_fixtures",
        "fixtures folder the session's mock server serves, relative to the ini file "
        "(default: the bundled fixtures)",
    )
    parser.addini("mockserver_seed", "seed of the session's mock server (default: none)")
    parser.addini(
        "mockserver_lifecycle",
        "when resources leave passing states: immediate, reads:N, seconds:S or manual "
        "(default: reads:1)",
    )
    parser.addini(
        "mockserver_strict",
        "fail a test whose code hit an unknown route, sent an invalid request or left a "
        "fault rule unused (default: false)",
        type="bool",
        default=False,
    )


def session_settings(config: pytest.Config) -> dict[str, Any]:
    """The MockServer keywords the ini options give the session's server.

    A bad value stops the run with a usage error naming the option, before any test.
    """
    settings: dict[str, Any] = {}
    fixtures = str(config.getini("mockserver_fixtures") or "").strip()
    if fixtures:
        base = config.inipath.parent if config.inipath else config.rootpath
        folder = base / Path(fixtures).expanduser()
        if not folder.is_dir():
            raise pytest.UsageError(f"mockserver_fixtures: no folder {folder}")
        settings["fixtures"] = folder
    seed = str(config.getini("mockserver_seed") or "").strip()
    if seed:
        try:
            settings["seed"] = int(seed)
        except ValueError:
            raise pytest.UsageError(f"mockserver_seed must be an integer, not {seed!r}") from None
    lifecycle = str(config.getini("mockserver_lifecycle") or "").strip()
    if lifecycle:
        try:
            Timing.parse(lifecycle)
        except ValueError as exc:
            raise pytest.UsageError(f"mockserver_lifecycle: {exc}") from None
        settings["lifecycle"] = lifecycle
    return settings


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SESSION] = session_settings(config)  # bad options stop the run here
    config.addinivalue_line(
        "markers",
        "mockserver(fixtures=None, seed=None, journal_size=1000, auth='off', credentials=(), "
        "faults=(), rate_limits={}, lifecycle='reads:1'): give this test a mock server of "
        "its own, started with these MockServer settings (lifecycle alone: the session's "
        "server, in that timing mode for this test)",
    )
    config.addinivalue_line(
        "markers",
        "mockserver_snapshot(name): start this test from the records of that snapshot",
    )
    config.addinivalue_line(
        "markers",
        "mockserver_strict(on=True): fail this test at teardown when the code under test hit "
        "an unknown route, sent an invalid request or left a fault rule unused",
    )


DIAGNOSES_SHOWN = 20  # the last refusals a failed test's report lists


def diagnoses(server: MockServer) -> list[str]:
    """One line per refused request in the journal: what was asked, the answer, why."""
    lines = []
    for entry in server.requests():
        found = entry.get("diagnosis")
        if found:
            query = "&".join(f"{k}={v}" for k, v in entry["query"].items())
            asked = entry["path"] + (f"?{query}" if query else "")
            why = "; ".join(f"{k}={v}" for k, v in found.items())
            lines.append(f"{entry['method']} {asked} -> {entry['status']}: {why}")
    return lines[-DIAGNOSES_SHOWN:]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Add the mock's diagnoses to the report of a failed test that used it."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    server = funcargs.get("mockserver") or funcargs.get("mockserver_session")
    if isinstance(server, MockServer):
        lines = diagnoses(server)
        if lines:
            report.sections.append(("mockserver diagnoses", "\n".join(lines)))


@pytest.fixture(scope="session")
def mockserver_session(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The session's live mock server, started once: the bundled fixtures, or those the
    `mockserver_fixtures` ini option names."""
    with MockServer(**pytestconfig.stash[SESSION]) as server:
        yield server


@pytest.fixture
def mockserver(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """The mock for this test, its state and journal as loaded at start."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and not marker.args and set(marker.kwargs) == {"lifecycle"}:
        shared: MockServer = request.getfixturevalue("mockserver_session")
        shared.reset()
        shared.set_timing(marker.kwargs["lifecycle"])  # the next test's reset undoes it
        yield from _prepared(request, shared)
        return
    if marker is not None and (marker.args or marker.kwargs):
        with MockServer(*marker.args, **marker.kwargs) as own:
            yield from _prepared(request, own)
        return
    shared = request.getfixturevalue("mockserver_session")
    shared.reset()
    yield from _prepared(request, shared)


def _prepared(request: pytest.FixtureRequest, server: MockServer) -> Iterator[MockServer]:
    """`server` from the marked snapshot, if any; checked in strict mode at teardown."""
    snapshot = request.node.get_closest_marker(SNAPSHOT_MARKER)
    if snapshot is not None:
        if len(snapshot.args) != 1 or not isinstance(snapshot.args[0], str):
            raise pytest.UsageError("mockserver_snapshot takes one snapshot name")
        server.restore(snapshot.args[0])
    known = [rule["id"] for rule in server.faults()]  # rules given at start
    yield server
    if strict(request):
        calls = server._calls()
        problems = server.strict_problems(known)
        if problems:
            pytest.fail(strict_failure(problems, calls), pytrace=False)


def strict(request: pytest.FixtureRequest) -> bool:
    """Strict mode for this test: its marker, else the ini option."""
    marker = request.node.get_closest_marker(STRICT_MARKER)
    if marker is not None:
        return bool(marker.args[0]) if marker.args else True
    return bool(request.config.getini("mockserver_strict"))


@pytest.fixture
def mockserver_client(mockserver: MockServer) -> Iterator[httpx.Client]:
    """An httpx.Client bound to the mock's ASGI app in process (no socket, same state)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="mockserver-client", daemon=True)
    thread.start()
    bridge = ASGIMiddleware(mockserver.app, loop=loop)  # type: ignore[arg-type]
    transport = httpx.WSGITransport(app=bridge)  # type: ignore[arg-type]
    try:
        with httpx.Client(transport=transport, base_url="http://mockserver") as client:
            yield client
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
