"""pytest plugin (entry point `pytest11: mockserver`): the mock inside your test suite.

Fixtures:
    mockserver_session  one live server for the whole session (each xdist worker its own)
    mockserver          the handle for one test: state and journal reset before it
    mockserver_client   an httpx.Client calling the same app in process, no socket

Marker:
    @pytest.mark.mockserver(fixtures="tests/data", seed=7)   a server of its own for
    this test, with these settings (any MockServer keyword)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
from a2wsgi import ASGIMiddleware

from mockserver.testing import MockServer

MARKER = "mockserver"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockserver(fixtures=None, seed=None, journal_size=1000, auth='off', credentials=(), "
        "faults=(), rate_limits={}): give this test a mock server of its own, started with "
        "these MockServer settings",
    )


@pytest.fixture(scope="session")
def mockserver_session() -> Iterator[MockServer]:
    """The session's live mock server on the bundled fixtures, started once."""
    with MockServer() as server:
        yield server


@pytest.fixture
def mockserver(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """The mock for this test, its state and journal as loaded at start."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and (marker.args or marker.kwargs):
        with MockServer(*marker.args, **marker.kwargs) as own:
            yield own
        return
    shared: MockServer = request.getfixturevalue("mockserver_session")
    shared.reset()
    yield shared


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
