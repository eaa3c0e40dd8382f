"""Faults, latency and rate limits, each in the vendor's own envelope."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockServer, Settings, create_app
from mockserver.core import faults as faults_module
from mockserver.core.faults import FaultSpecError
from mockserver.core.schemas import Schemas
from mockserver.vendors import VENDORS
from tests.conftest import LIST_URLS, assert_valid, error_code

BY_NAME = {v.name: v for v in VENDORS}
# The code of every injectable status, per vendor, as the README's table and
# docs/decisions.md list them (Huawei's 403 is the gateway's nested shape: its number).
CODES = {
    "pai": {
        400: "InvalidParameter",
        403: "Forbidden.RAM",
        404: "ModelNotFound",
        429: "Throttling.User",
        500: "InternalError",
        503: "ServiceUnavailable",
    },
    "huawei": {
        400: "common.01000001",
        401: "APIG.1002",
        403: 403,
        404: "common.01000001",
        408: "common.00000408",
        429: "APIG.0308",
        500: "common.00000500",
        502: "APIG.0201",
        504: "APIG.0202",
    },
    "dreadnode": {
        400: "bad_request_error",
        401: "authentication_error",
        403: "authorization_error",
        404: "not_found_error",
        409: "already_exists_error",
        422: "validation_error",
        426: "upgrade_required_error",
        429: "rate_limit_error",
        500: "app_error",
        502: "bad_gateway_error",
        504: "gateway_timeout_error",
    },
    "dashscope": {
        400: "InvalidParameter",
        401: "InvalidApiKey",
        403: "AccessDenied",
        404: "NotFound",
        429: "Throttling.RateQuota",
        500: "InternalError",
    },
}
CASES = [(v.name, status) for v in VENDORS for status in v.statuses]


@pytest.fixture
def own() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(seed=42))) as client:
        yield client


@pytest.mark.parametrize(("vendor", "status"), CASES, ids=[f"{v}-{s}" for v, s in CASES])
def test_every_injectable_status_in_the_vendors_envelope(
    client: TestClient, schemas: Schemas, vendor: str, status: int
) -> None:
    response = client.get(LIST_URLS[vendor], headers={"X-Mock-Status": str(status)})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid(schemas, f"{vendor}/error", body)
    assert error_code(vendor, body) == CODES[vendor][status]
    if status == 429:
        assert int(response.headers["retry-after"]) >= 1
        if vendor == "pai":
            assert int(response.headers["x-acs-retry-after"]) > 0


def test_the_injectable_statuses_are_the_documented_ones() -> None:
    assert {v.name: set(v.statuses) for v in VENDORS} == {k: set(c) for k, c in CODES.items()}


def test_an_injected_404_is_about_the_resource_not_the_path(client: TestClient) -> None:
    """The path exists: no vendor answers "no such API" for it."""
    header = {"X-Mock-Status": "404"}
    huawei = client.get(LIST_URLS["huawei"], headers=header).json()
    assert huawei == {  # ListModels' documented 404, exactly
        "error_code": "common.01000001",
        "error_msg": "response status exception, code: 404",
    }
    dashscope = client.get(LIST_URLS["dashscope"], headers=header).json()
    assert dashscope["message"] == "Resource: /api/v1/deployments not found!"  # the docs' form
    pai = client.get(LIST_URLS["pai"], headers=header).json()
    assert pai["Message"] == "The specified model model-rbvg5wzljz****ks92 does not exist."


def test_an_unknown_path_is_still_no_such_api(client: TestClient) -> None:
    assert error_code("huawei", client.get("/v1/workspaces/x/nope").json()) == "APIG.0101"
    assert "is not an API path" in client.get("/api/v1/deployments/x/y").json()["message"]
    assert client.get("/api/v1/models/x/nope").json()["Code"] == "InvalidAction.NotFound"


def test_huawei_403_is_the_documented_gateway_shape(client: TestClient) -> None:
    body = client.get(LIST_URLS["huawei"], headers={"X-Mock-Status": "403"}).json()
    assert body == {
        "error": {
            "code": "403",
            "message": "X-Auth-Token is invalid in the request",
            "title": "Forbidden",
        },
        "error_code": 403,
        "error_msg": "X-Auth-Token is invalid in the request",
        "title": "Forbidden",
    }


@pytest.mark.parametrize("vendor", sorted(LIST_URLS))
@pytest.mark.parametrize("value", ["418", "abc", "200", "99999"])
def test_bad_directives_are_400_in_the_envelope(
    client: TestClient, schemas: Schemas, vendor: str, value: str
) -> None:
    response = client.get(LIST_URLS[vendor], headers={"X-Mock-Status": value})
    assert response.status_code == 400
    assert_valid(schemas, f"{vendor}/error", response.json())
    assert "X-Mock-Status" in response.text


def test_delay_header(client: TestClient) -> None:
    started = time.monotonic()
    response = client.get(LIST_URLS["dashscope"], headers={"X-Mock-Delay-Ms": "200"})
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.15  # loose: at least most of the delay


def test_delay_is_capped(client: TestClient) -> None:
    response = client.get(LIST_URLS["dashscope"], headers={"X-Mock-Delay-Ms": "60001"})
    assert response.status_code == 400
    assert "from 0 to 60000" in response.json()["message"]


def test_rules_count_down_and_retire(own: TestClient) -> None:
    rule = own.post(
        "/_mock/faults",
        json={"vendor": "pai", "operation": "ListModelVersions", "status": 503, "times": 2},
    ).json()
    assert rule["times"] == 2
    assert own.get(LIST_URLS["pai"]).status_code == 503
    assert own.get("/_mock/faults").json()["faults"][0]["times"] == 1
    assert own.get("/api/v1/models/model-rbvg5wzljz****ks92").status_code == 200  # not matched
    assert own.get(LIST_URLS["pai"]).status_code == 503
    assert own.get("/_mock/faults").json()["faults"] == []
    assert own.get(LIST_URLS["pai"]).status_code == 200


def test_rule_by_path_glob_and_delay(own: TestClient) -> None:
    own.post("/_mock/faults", json={"path": "/v1/workspaces/*/models", "delay_ms": 150})
    started = time.monotonic()
    assert own.get(LIST_URLS["huawei"]).status_code == 200
    assert time.monotonic() - started >= 0.1
    entry = own.get("/_mock/requests").json()["requests"][-1]
    assert entry["fault"] == {"source": "rule", "delay_ms": 150, "rule": 1}


def test_clearing_rules(own: TestClient) -> None:
    own.post("/_mock/faults", json={"status": 500})
    assert own.get(LIST_URLS["dreadnode"]).status_code == 500
    assert own.delete("/_mock/faults").status_code == 204
    assert own.get(LIST_URLS["dreadnode"]).status_code == 200


def outcomes(seed: int) -> list[int]:
    with TestClient(create_app(Settings(seed=seed))) as client:
        client.post(
            "/_mock/faults", json={"vendor": "dashscope", "status": 500, "probability": 0.5}
        )
        return [client.get(LIST_URLS["dashscope"]).status_code for _ in range(30)]


def test_probability_repeats_with_the_seed() -> None:
    first = outcomes(7)
    assert first == outcomes(7)
    assert set(first) == {200, 500}
    assert first != outcomes(8)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"vendor": "aws", "status": 500}, "unknown vendor"),
        ({"operation": "Nope", "status": 500}, "unknown operation"),
        ({"vendor": "pai", "status": 426}, "is not one pai answers"),
        ({"status": 500, "probability": 2}, "probability"),
        ({"status": 500, "times": 0}, "times must be at least 1"),
        ({"delay_ms": 70000}, "delay_ms must be from 0 to 60000"),
        ({"vendor": "pai"}, "needs a status, a fault, a delay_ms, or a sequence"),
        ({"status": 500, "path": "api"}, "path must be a glob"),
        ({"status": 500, "colour": "red"}, "unknown field(s) colour"),
    ],
)
def test_bad_rules_are_refused(own: TestClient, spec: dict[str, Any], message: str) -> None:
    response = own.post("/_mock/faults", json=spec)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidFault"
    assert message in response.json()["message"]


def test_journal_marks_injected_faults(own: TestClient) -> None:
    own.get(LIST_URLS["huawei"], headers={"X-Mock-Status": "408"})
    own.get(LIST_URLS["huawei"])
    injected, normal = own.get("/_mock/requests").json()["requests"]
    assert injected["fault"] == {"source": "header", "status": 408, "delay_ms": 0}
    assert injected["status"] == 408
    assert normal["fault"] is None


class Clock:
    """A monotonic clock that moves only when told, so bucket arithmetic is exact."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_rate_limit_with_a_burst(schemas: Schemas, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(faults_module, "time", clock)
    settings = Settings(rate_limits=(("dreadnode", 3.0),))
    with TestClient(create_app(settings)) as client:
        statuses = [
            client.get(LIST_URLS["dreadnode"], headers={"X-API-Key": "one"}).status_code
            for _ in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]  # a burst of exactly 3, then refused
        limited = client.get(LIST_URLS["dreadnode"], headers={"X-API-Key": "one"})
        assert limited.status_code == 429
        assert_valid(schemas, "dreadnode/error", limited.json())
        assert int(limited.headers["retry-after"]) == 1  # a token comes back in 1/3 s
        # another credential has its own bucket; other vendors are not limited
        assert client.get(LIST_URLS["dreadnode"], headers={"X-API-Key": "two"}).status_code == 200
        assert client.get(LIST_URLS["dashscope"]).status_code == 200
        entry = client.get("/_mock/requests").json()["requests"][-3]
        assert entry["fault"]["source"] == "rate-limit"
        clock.now += 1 / 3  # refills at 3 a second: one request's worth
        after = [
            client.get(LIST_URLS["dreadnode"], headers={"X-API-Key": "one"}).status_code
            for _ in range(2)
        ]
        assert after == [200, 429]


def test_reset_restores_the_rules_given_at_start() -> None:
    with MockServer(faults=[{"vendor": "pai", "status": 500, "times": 1}]) as server:
        assert server.faults()[0]["times"] == 1
        server.clear_faults()
        server.fault(vendor="huawei", status=408)
        server.reset()
        assert [(f["vendor"], f["status"]) for f in server.faults()] == [("pai", 500)]


def test_python_handle_refuses_bad_rules() -> None:
    with MockServer() as server, pytest.raises(FaultSpecError):
        server.fault(vendor="pai", status=418)


def test_bad_rate_limit_settings() -> None:
    with pytest.raises(ValueError, match="unknown vendor"):
        MockServer(rate_limits={"aws": 1})
    with pytest.raises(ValueError, match="VENDOR=N/s"):
        MockServer(rate_limits=["pai=fast"])
