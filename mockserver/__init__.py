"""mockserver: a faithful local stand-in for documented ML-platform APIs."""

from __future__ import annotations

from mockserver._version import __version__
from mockserver.app import create_app
from mockserver.settings import Settings
from mockserver.testing import MockServer

__all__ = ["MockServer", "Settings", "__version__", "create_app"]
