"""The vendors' official SDKs against a live mock (the plugin's `mockserver` fixture).

The SDKs live in the `sdk` extra, which `make test` installs. The SDKs' transports read
proxy variables (Alibaba's ignores NO_PROXY), so they are cleared for these tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alibabacloud_aiworkspace20210204.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkdataartsfabric.v1 import DataArtsFabricClient

from mockserver import MockServer

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


def pai_client(server: MockServer, key: str = "LTAI-test", secret: str = "pai-secret") -> Client:
    """The PAI SDK pointed at the mock: host:port without a scheme, and plain HTTP."""
    return Client(
        Config(
            access_key_id=key,
            access_key_secret=secret,
            region_id="cn-hangzhou",
            endpoint=f"127.0.0.1:{server.port}",
            protocol="http",
        )
    )


@contextmanager
def huawei_client(
    server: MockServer, ak: str = "test-ak", sk: str = "test-sk"
) -> Iterator[DataArtsFabricClient]:
    """The Huawei SDK pointed at the mock (with a project id, so it never calls IAM)."""
    client = (
        DataArtsFabricClient.new_builder()
        .with_credentials(BasicCredentials(ak, sk, "test-project"))
        .with_endpoints([server.url])
        .build()
    )
    try:
        yield client
    finally:
        client.get_http_client().close()  # the SDK keeps a requests session open otherwise
