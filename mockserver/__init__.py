"""mockserver: a faithful local stand-in for documented ML-platform APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver._version import __version__

if TYPE_CHECKING:
    from mockserver.app import create_app
    from mockserver.assertions import Call, MockAssertionError
    from mockserver.core.fixtures import FixtureError
    from mockserver.core.state import SnapshotError
    from mockserver.settings import Settings
    from mockserver.testing import MockServer

__all__ = [
    "Call",
    "FixtureError",
    "MockAssertionError",
    "MockServer",
    "Settings",
    "SnapshotError",
    "__version__",
    "create_app",
]

_LAZY = {
    "create_app": "mockserver.app",
    "Settings": "mockserver.settings",
    "MockServer": "mockserver.testing",
    # raised by MockServer.add() and create_app() for records that are not valid
    "FixtureError": "mockserver.core.fixtures",
    # what MockServer.calls() returns and its assert_* helpers raise
    "Call": "mockserver.assertions",
    "MockAssertionError": "mockserver.assertions",
    # raised by MockServer.snapshot() and restore()
    "SnapshotError": "mockserver.core.state",
}


def __getattr__(name: str) -> Any:
    """Import on first use, so `mockserver check` and `routes` start quickly."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
