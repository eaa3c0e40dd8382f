"""The vendors' official SDKs against a live mock (the plugin's `mockserver` fixture).

The SDKs live in the `sdk` extra, which `make test` installs. The SDKs' transports read
proxy variables (Alibaba's ignores NO_PROXY), so they are cleared for these tests.
"""

from __future__ import annotations

import pytest

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
