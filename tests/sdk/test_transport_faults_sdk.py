"""Each vendor's official SDK meeting each transport fault, a scripted sequence consumed by
a retrying client, and an outage window opened and closed by moving the mock's clock.

What each SDK does is what its users' code has to handle: these tests pin it down, so a
new SDK release that changes it shows up here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import dashscope
import httpx
import pytest
import requests
from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_aiworkspace20210204.client import Client
from alibabacloud_tea_openapi.exceptions import ServerException, ThrottlingException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.exceptions import UnretryableException
from darabonba.policy.retry import RetryOptions
from darabonba.runtime import RuntimeOptions
from dreadnode.app.api.client import ApiClient
from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    ConnectionException,
    SdkException,
    ServerResponseException,
)
from huaweicloudsdkcore.retry.backoff_strategy import NoBackoffStrategy
from huaweicloudsdkdataartsfabric.v1 import ListModelsRequest, ListModelsResponse

from mockserver import MockServer
from tests.sdk.conftest import huawei_client, pai_client

MODEL = "model-rbvg5wzljz****ks92"
SLOW_RATE = 4000  # bytes a second: every body here takes a fraction of a second
HTML = "<html><head><title>502 Bad Gateway</title></head>"  # a gateway of no vendor's
TENGINE = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">'  # PAI's and DashScope's
NGINX = "<center><h1>502 Bad Gateway</h1></center>"  # Huawei's


# --- one call per SDK ------------------------------------------------------------------


def call_pai(server: MockServer) -> Any:
    return pai_client(server).get_model(MODEL, m.GetModelRequest())


def call_dashscope(server: MockServer) -> Any:
    return dashscope.Deployments.list(
        page_no=1, page_size=10, api_key="sk", base_address=server.url_for("/api/v1")
    )


def call_dreadnode(server: MockServer) -> Any:
    client = ApiClient(server.url, api_key="k")
    try:
        return client.list_model_versions("example", "example")
    finally:
        client._client.close()


def call_huawei(server: MockServer) -> Any:
    with huawei_client(server) as client:
        return client.list_models(ListModelsRequest(workspace_id="default"))


CALLS: dict[str, Callable[[MockServer], Any]] = {
    "pai": call_pai,
    "dashscope": call_dashscope,
    "dreadnode": call_dreadnode,
    "huawei": call_huawei,
}


def ok_pai(result: Any) -> None:
    assert (result.status_code, result.body.model_id) == (200, MODEL)


def ok_dashscope(result: Any) -> None:
    assert result.status_code == 200 and result.output.total >= 1


def ok_dreadnode(result: Any) -> None:
    assert result["name"] == "example" and result["versions"]


def ok_huawei(result: Any) -> None:
    assert isinstance(result, ListModelsResponse) and result.total >= 1 and result.models


# What each SDK does, fault by fault: (exception type, text in it) or a check of a result.
Outcome = tuple[type[BaseException], str] | Callable[[Any], None]
INCOMPLETE = "IncompleteRead("
UNPARSABLE = "Failed to parse the value as json format"
OUTCOMES: dict[str, dict[str, Outcome]] = {
    # tea-openapi wraps every failure to read an answer in UnretryableException
    "pai": {
        "reset": (UnretryableException, "Connection reset by peer"),
        "close": (UnretryableException, "IncompleteRead(0 bytes read"),
        "truncate": (UnretryableException, INCOMPLETE),
        "slow": ok_pai,
        "bad_json": (UnretryableException, UNPARSABLE),
        "wrong_type": ok_pai,  # a 2xx body is read as JSON whatever its type
        "gateway_page": (UnretryableException, UNPARSABLE + ', Value: "' + TENGINE),  # no 502 error
    },
    # dashscope lets requests' exceptions through; HTTP errors it returns, never raises
    "dashscope": {
        "reset": (requests.exceptions.ConnectionError, "Connection reset by peer"),
        "close": (requests.exceptions.ChunkedEncodingError, "IncompleteRead(0 bytes read"),
        "truncate": (requests.exceptions.ChunkedEncodingError, INCOMPLETE),
        "slow": ok_dashscope,
        "bad_json": (requests.exceptions.JSONDecodeError, "Expecting"),
        "wrong_type": ok_dashscope,
        "gateway_page": lambda r: _dashscope_gateway(r),
    },
    # dreadnode's ApiClient lets httpx's and json's exceptions through
    "dreadnode": {
        "reset": (httpx.ReadError, "Connection reset by peer"),
        "close": (httpx.RemoteProtocolError, "received 0 bytes"),
        "truncate": (httpx.RemoteProtocolError, "peer closed connection"),
        "slow": ok_dreadnode,
        "bad_json": (json.JSONDecodeError, "Expecting"),
        "wrong_type": ok_dreadnode,
        "gateway_page": (RuntimeError, "502: b'" + HTML),
    },
    # Huawei's core wraps a refused or reset connection (SdkException) but not a body cut
    # short, and answers an unparsable body with an empty response rather than an error
    "huawei": {
        "reset": (ConnectionException, "Connection reset by peer"),
        "close": (requests.exceptions.ChunkedEncodingError, "IncompleteRead(0 bytes read"),
        "truncate": (requests.exceptions.ChunkedEncodingError, INCOMPLETE),
        "slow": ok_huawei,
        "bad_json": lambda r: _huawei_empty(r),
        "wrong_type": ok_huawei,
        "gateway_page": (ServerResponseException, NGINX),
    },
}


def _dashscope_gateway(result: Any) -> None:
    assert (result.status_code, result.code) == (502, "Unknown")
    assert result.message.startswith(TENGINE)


def _huawei_empty(result: Any) -> None:
    assert isinstance(result, ListModelsResponse)
    assert (result.total, result.models) == (None, None)


CASES = [(vendor, fault) for vendor in OUTCOMES for fault in OUTCOMES[vendor]]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(seed=5) as live:
        yield live


@pytest.mark.parametrize(("vendor", "fault"), CASES, ids=[f"{v}-{f}" for v, f in CASES])
def test_each_sdk_meets_each_transport_fault(server: MockServer, vendor: str, fault: str) -> None:
    server.reset()
    extra = {"bytes_per_s": SLOW_RATE} if fault == "slow" else {}
    server.fault(vendor=vendor, fault=fault, times=1, **extra)
    outcome = OUTCOMES[vendor][fault]
    if isinstance(outcome, tuple):
        kind, text = outcome
        with pytest.raises(kind) as info:
            CALLS[vendor](server)
        assert text in str(info.value)
    else:
        outcome(CALLS[vendor](server))
    entry = server.requests()[-1]
    assert entry["fault"]["fault"] == fault
    assert entry["status"] == {"reset": None, "gateway_page": 502}.get(fault, 200)
    assert server.faults() == []  # the rule's one request was this one
    outcome_after = OUTCOMES[vendor]["slow"]  # the next call is answered as usual
    assert callable(outcome_after)
    outcome_after(CALLS[vendor](server))


def test_huawei_gateway_page_reaches_the_sdk_as_the_raw_page(server: MockServer) -> None:
    server.reset()
    server.fault(vendor="huawei", fault="gateway_page", status=504, times=1)
    with pytest.raises(ServerResponseException) as info:
        call_huawei(server)
    assert (info.value.status_code, info.value.error_code) == (504, "504")
    assert "<title>504 Gateway Time-out</title>" in info.value.error_msg


def test_a_slow_body_passes_a_read_timeout_shorter_than_the_whole_answer(
    server: MockServer,
) -> None:
    """A read timeout bounds each wait for bytes, not the whole answer: a trickle that
    takes longer than the timeout still arrives (what a deadline must cover instead)."""
    server.reset()
    server.fault(vendor="dreadnode", fault="slow", bytes_per_s=1000, times=1)
    client = ApiClient(server.url, api_key="k", timeout=0.4)
    try:
        started = time.monotonic()
        assert client.list_model_versions("example", "example")["name"] == "example"
        assert time.monotonic() - started > 0.4
    finally:
        client._client.close()


# --- a script of three answers, consumed in order by a retrying client ---------------


def pai_retrying(server: MockServer) -> Client:
    """The PAI SDK retrying throttling, server errors and broken connections, 3 attempts.

    tea-openapi 0.4 retries by `Config.retry_options` (darabonba's RetryOptions); the
    runtime's `RuntimeOptions(autoretry=True, max_attempts=...)` is no longer read.
    """
    retry = RetryOptions(
        {
            "retryable": True,
            "retryCondition": [
                {
                    "maxAttempts": 3,
                    "exception": ["ThrottlingException", "ServerException", "RetryError"],
                    "maxDelay": 10,  # ms: Retry-After would make it wait a second
                }
            ],
        }
    )
    return Client(
        Config(
            access_key_id="LTAI-test",
            access_key_secret="pai-secret",
            region_id="cn-hangzhou",
            endpoint=f"127.0.0.1:{server.port}",
            protocol="http",
            retry_options=retry,
        )
    )


def steps(server: MockServer) -> list[tuple[int | None, str | None]]:
    return [(e["status"], (e["fault"] or {}).get("step")) for e in server.requests()]


def test_pai_retries_a_429_then_a_503_then_succeeds(server: MockServer) -> None:
    server.reset()
    server.fault(vendor="pai", sequence=[429, 503, 200])
    model = pai_retrying(server).get_model(MODEL, m.GetModelRequest())
    assert model.body.model_id == MODEL
    assert steps(server) == [(429, "1/3"), (503, "2/3"), (200, "3/3")]
    assert server.faults() == []


def test_pai_retries_broken_connections_too(server: MockServer) -> None:
    server.reset()
    server.fault(vendor="pai", sequence=["reset", "truncate", 200])
    assert pai_retrying(server).get_model(MODEL, m.GetModelRequest()).status_code == 200
    assert steps(server) == [(None, "1/3"), (200, "2/3"), (200, "3/3")]


def test_pai_gives_up_after_its_attempts(server: MockServer) -> None:
    server.reset()
    server.fault(vendor="pai", sequence=[503, 503, 503, 200])
    with pytest.raises(ServerException) as info:
        pai_retrying(server).get_model(MODEL, m.GetModelRequest())
    assert info.value.code == "ServiceUnavailable"
    assert steps(server) == [(503, "1/4"), (503, "2/4"), (503, "3/4")]
    assert server.faults()[0]["next_step"] == 4


def test_pai_runtime_autoretry_alone_does_not_retry(server: MockServer) -> None:
    server.reset()
    server.fault(vendor="pai", sequence=[429, 200])
    runtime = RuntimeOptions(autoretry=True, max_attempts=3)
    with pytest.raises(ThrottlingException):
        pai_client(server).get_model_with_options(MODEL, m.GetModelRequest(), {}, runtime)
    assert steps(server) == [(429, "1/2")]


def test_huawei_invoker_retries_the_script(server: MockServer) -> None:
    server.reset()
    server.fault(vendor="huawei", sequence=[429, "reset", 500, 200])

    def retry_on_error(response: Any, error: SdkException | None) -> bool:
        return error is not None

    with huawei_client(server) as client:
        invoker = client.list_models_invoker(ListModelsRequest(workspace_id="default"))
        response = invoker.with_retry(retry_on_error, 3, NoBackoffStrategy()).invoke()
    ok_huawei(response)
    assert steps(server) == [(429, "1/4"), (None, "2/4"), (500, "3/4"), (200, "4/4")]


def test_huawei_without_retries_raises_the_first_answer(server: MockServer) -> None:
    """urllib3's Retry (0 retries by default) gives up on a 429 before the SDK reads the
    body: the exception carries the status as its code, not the gateway's APIG.0308."""
    server.reset()
    server.fault(vendor="huawei", sequence=[429, 200])
    with pytest.raises(ClientRequestException) as info:
        call_huawei(server)
    assert (info.value.status_code, info.value.error_code) == (429, "429")
    assert "too many 429 error responses" in info.value.error_msg
    ok_huawei(call_huawei(server))


def test_dashscope_returns_each_step_to_a_retry_loop(server: MockServer) -> None:
    """dashscope never retries: its callers loop on the status it returns."""
    server.reset()
    server.fault(vendor="dashscope", sequence=[429, 500, 200])
    codes = []
    for _ in range(3):
        result = call_dashscope(server)
        codes.append((result.status_code, result.code))
        if result.status_code == 200:
            break
    assert codes == [(429, "Throttling.RateQuota"), (500, "InternalError"), (200, None)]


def test_dreadnode_httpx_retries_only_connecting(server: MockServer) -> None:
    """httpx's transport retries failed connects, not a reset after the request went out;
    a client loop sees each answer of the script."""
    server.reset()
    server.fault(vendor="dreadnode", sequence=["reset", 502, 200])
    client = ApiClient(server.url, api_key="k")
    client._client._transport = httpx.HTTPTransport(retries=3)
    seen: list[str] = []
    try:
        for _ in range(3):
            try:
                client.list_model_versions("example", "example")
                seen.append("ok")
                break
            except httpx.ReadError:
                seen.append("reset")
            except RuntimeError as error:
                seen.append(str(error))
    finally:
        client._client.close()
    assert seen == ["reset", "502: Bad gateway", "ok"]


# --- an outage window on the mock's clock --------------------------------------------


@pytest.mark.mockserver(seed=9)
def test_an_outage_window_opened_and_closed_by_the_clock(mockserver: MockServer) -> None:
    clock = mockserver.app.clock
    clock.freeze()
    rule = mockserver.fault(vendor="pai", status=503, until_s=600)  # from now to +10 minutes
    client = pai_client(mockserver)
    with pytest.raises(ServerException) as info:
        client.get_model(MODEL, m.GetModelRequest())
    assert info.value.code == "ServiceUnavailable"
    clock.advance(599)
    with pytest.raises(ServerException):
        client.list_model_versions(MODEL, m.ListModelVersionsRequest())
    ok_huawei(call_huawei(mockserver))  # only PAI is down
    clock.advance(1)
    ok_pai(client.get_model(MODEL, m.GetModelRequest()))
    assert mockserver.faults() == []
    window = f"{rule['window']['from']}/{rule['window']['until']}"
    assert [e["fault"] and e["fault"]["window"] for e in mockserver.requests()] == [
        window,
        window,
        None,  # Huawei's
        None,
    ]


@pytest.mark.mockserver(seed=9)
def test_a_window_that_opens_later(mockserver: MockServer) -> None:
    clock = mockserver.app.clock
    clock.freeze()
    mockserver.fault(vendor="dreadnode", status=502, from_s=300, until_s=900)
    assert call_dreadnode(mockserver)["name"] == "example"
    clock.advance(300)
    with pytest.raises(RuntimeError, match="502: Bad gateway"):
        call_dreadnode(mockserver)
    clock.advance(600)
    assert call_dreadnode(mockserver)["name"] == "example"
