"""Transport faults, sequences, windows and outages: the rules, the directives, the wire."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpcore
import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import MockServer, Settings, create_app
from mockserver.core import transport
from mockserver.core.faults import MAX_RULES, MAX_SEQUENCE
from mockserver.core.schemas import Schemas
from mockserver.vendors import VENDORS
from tests.conftest import LIST_URLS, assert_valid, error_code


@pytest.fixture
def own() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(seed=42))) as client:
        yield client


def add(client: TestClient, **rule: Any) -> dict[str, Any]:
    response = client.post("/_mock/faults", json=rule)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- sequences -------------------------------------------------------------------------


def test_a_sequence_answers_in_order_then_retires(own: TestClient, schemas: Schemas) -> None:
    rule = add(own, vendor="pai", sequence=[429, 503, 200])
    assert (rule["sequence"], rule["repeat"], rule["next_step"]) == ([429, 503, 200], False, 1)
    first = own.get(LIST_URLS["pai"])
    assert (first.status_code, first.json()["Code"]) == (429, "Throttling.User")
    assert first.headers["x-acs-retry-after"] == "1000"
    assert own.get("/_mock/faults").json()["faults"][0]["next_step"] == 2
    second = own.get(LIST_URLS["pai"])
    assert (second.status_code, second.json()["Code"]) == (503, "ServiceUnavailable")
    assert_valid(schemas, "pai/error", second.json())
    assert own.get(LIST_URLS["pai"]).status_code == 200
    assert own.get("/_mock/faults").json()["faults"] == []  # retired after its last step
    assert own.get(LIST_URLS["pai"]).status_code == 200
    steps = [e["fault"] for e in own.get("/_mock/requests").json()["requests"]]
    assert [s and s.get("step") for s in steps] == ["1/3", "2/3", "3/3", None]
    assert steps[2] == {"source": "rule", "delay_ms": 0, "rule": rule["id"], "step": "3/3"}


def test_a_repeating_sequence_starts_over(own: TestClient) -> None:
    add(own, vendor="dreadnode", sequence=[500, 200], repeat=True)
    statuses = [own.get(LIST_URLS["dreadnode"]).status_code for _ in range(5)]
    assert statuses == [500, 200, 500, 200, 500]
    assert own.get("/_mock/faults").json()["faults"][0]["next_step"] == 2


def test_sequence_steps_may_be_faults_and_objects(own: TestClient) -> None:
    rule = add(
        own,
        vendor="dashscope",
        sequence=["wrong_type", {"status": 200, "delay_ms": 5}, {"fault": "gateway_page"}],
    )
    assert rule["sequence"] == [
        "wrong_type",
        {"delay_ms": 5},
        {"status": 502, "fault": "gateway_page"},
    ]
    wrong = own.get(LIST_URLS["dashscope"])
    assert (wrong.status_code, wrong.headers["content-type"]) == (200, "text/plain; charset=utf-8")
    assert json.loads(wrong.content)["output"]["total"] >= 1  # the usual body, mislabelled
    assert own.get(LIST_URLS["dashscope"]).status_code == 200
    page = own.get(LIST_URLS["dashscope"])
    assert (page.status_code, page.headers["content-type"]) == (502, "text/html")


def test_only_matching_requests_take_a_step(own: TestClient) -> None:
    add(own, vendor="pai", operation="ListModelVersions", sequence=[503, 200])
    assert own.get("/api/v1/models/model-rbvg5wzljz****ks92").status_code == 200
    assert own.get(LIST_URLS["huawei"]).status_code == 200
    assert own.get(LIST_URLS["pai"]).status_code == 503


# --- windows on the mock's clock -------------------------------------------------------


def test_an_outage_window_opens_and_closes_with_the_clock() -> None:
    app = create_app(Settings(seed=1))
    app.clock.freeze()
    with TestClient(app) as client:
        rule = add(client, vendor="pai", status=503, from_s=60, until_s=600)
        opens, closes = rule["window"]["from"], rule["window"]["until"]
        assert opens < closes
        assert client.get(LIST_URLS["pai"]).status_code == 200  # not open yet
        app.clock.advance(60)
        assert client.get(LIST_URLS["pai"]).status_code == 503
        assert client.get("/api/v1/models/model-rbvg5wzljz****ks92").status_code == 503
        assert client.get(LIST_URLS["huawei"]).status_code == 200  # another vendor
        entry = client.get("/_mock/requests").json()["requests"][-2]
        assert entry["fault"]["window"] == f"{opens}/{closes}"
        app.clock.advance(539)
        assert client.get(LIST_URLS["pai"]).status_code == 503  # 599 s: still inside
        app.clock.advance(1)
        assert client.get(LIST_URLS["pai"]).status_code == 200  # closed at 600 s
        assert client.get("/_mock/faults").json()["faults"] == []  # and retired


def test_a_window_without_an_end_is_an_outage_until_switched_off(own: TestClient) -> None:
    rule = add(own, vendor="huawei", workspace="default", status=502, from_s=0)
    assert rule["window"]["until"] is None
    body = own.get(LIST_URLS["huawei"]).json()
    assert error_code("huawei", body) == "APIG.0201"
    assert own.get("/v1/workspaces/other-ws/models").status_code == 404  # one workspace only
    assert own.delete(f"/_mock/faults/{rule['id']}").status_code == 204
    assert own.get(LIST_URLS["huawei"]).status_code == 200
    assert own.delete(f"/_mock/faults/{rule['id']}").json()["code"] == "NotFound"
    assert own.delete("/_mock/faults/abc").json()["code"] == "InvalidParameter"


def test_a_dashscope_outage_by_the_workspace_header(own: TestClient) -> None:
    rule = add(own, vendor="dashscope", workspace="llm-v71tlv3d***", status=500)
    down = own.get(LIST_URLS["dashscope"], headers={"X-DashScope-WorkSpace": "llm-v71tlv3d***"})
    assert down.status_code == 500
    assert own.get(LIST_URLS["dashscope"]).status_code == 200  # no workspace header
    other = own.get(LIST_URLS["dashscope"], headers={"X-DashScope-WorkSpace": "llm-prodteam01"})
    assert other.status_code == 200
    assert own.delete(f"/_mock/faults/{rule['id']}").status_code == 204


def test_a_path_glob_outage(own: TestClient) -> None:
    add(own, vendor="dreadnode", path="/api/v1/org/*/models/*", status=504)
    assert own.get(LIST_URLS["dreadnode"]).status_code == 504
    assert own.get(LIST_URLS["dashscope"]).status_code == 200


def test_windows_count_toward_the_rule_limit(own: TestClient) -> None:
    for _ in range(MAX_RULES):
        add(own, vendor="pai", status=503, until_s=60)
    refused = own.post("/_mock/faults", json={"vendor": "pai", "status": 503, "until_s": 60})
    assert (refused.status_code, refused.json()["code"]) == (409, "TooManyFaults")


def test_closed_windows_free_their_place() -> None:
    app = create_app(Settings())
    app.clock.freeze()
    with TestClient(app) as client:
        for _ in range(MAX_RULES):
            add(client, vendor="pai", status=503, until_s=60)
        app.clock.advance(60)
        add(client, vendor="pai", status=503, until_s=60)
        assert len(client.get("/_mock/faults").json()["faults"]) == 1


# --- answers a client can parse: bad_json, wrong_type, gateway_page, slow --------------


def test_bad_json_keeps_status_type_and_length(own: TestClient) -> None:
    response = own.get(LIST_URLS["huawei"], headers={"X-Mock-Fault": "bad_json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_a_fault_breaks_an_injected_error_too(own: TestClient) -> None:
    response = own.get(
        LIST_URLS["pai"], headers={"X-Mock-Fault": "wrong_type", "X-Mock-Status": "503"}
    )
    assert (response.status_code, response.headers["content-type"]) == (
        503,
        "text/plain; charset=utf-8",
    )
    assert json.loads(response.content)["Code"] == "ServiceUnavailable"


@pytest.mark.parametrize("status", transport.GATEWAY_STATUSES)
def test_gateway_pages_are_html_for_every_vendor(own: TestClient, status: int) -> None:
    for url in LIST_URLS.values():
        response = own.get(
            url, headers={"X-Mock-Fault": "gateway_page", "X-Mock-Status": str(status)}
        )
        assert response.status_code == status
        assert response.headers["content-type"] == "text/html"
        assert f"<title>{status} {transport.REASONS[status]}</title>" in response.text


def test_gateway_pages_of_each_kind() -> None:
    kinds = {kind: transport.gateway_page(kind, 502).decode() for kind in transport.GATEWAYS}
    assert "Powered by Tengine" in kinds["tengine"]
    assert "<center>nginx</center>" in kinds["nginx"]
    assert "nginx" not in kinds["generic"] and "Tengine" not in kinds["generic"]
    # a vendor that names its gateway answers that gateway's page
    vendors = [replace(v, gateway="tengine") if v.name == "pai" else v for v in VENDORS]
    with TestClient(create_app(Settings(), vendors=vendors)) as client:
        page = client.get(LIST_URLS["pai"], headers={"X-Mock-Fault": "gateway_page"})
        assert page.status_code == 502 and "Powered by Tengine" in page.text


def test_each_vendor_answers_its_own_gateways_page() -> None:
    expected = {"pai": "Tengine", "dashscope": "Tengine", "huawei": "<center>nginx</center>"}
    with TestClient(create_app()) as client:
        for vendor, url in LIST_URLS.items():
            page = client.get(url, headers={"X-Mock-Fault": "gateway_page"}).text
            if vendor in expected:
                assert expected[vendor] in page, vendor
            else:
                assert "Tengine" not in page and "nginx" not in page, vendor


def test_slow_pace_is_bounded() -> None:
    assert transport.pace(100, 10) == (1, 0.1)  # a byte every tenth of a second
    assert transport.pace(10_000, 1000) == (100, 0.1)
    piece, pause = transport.pace(6_000_000, 1)  # would take 69 days at 1 byte/s
    assert 6_000_000 / piece * pause <= transport.MAX_SLOW_S


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"fault": "explode"}, "fault must be one of reset, close, truncate, slow"),
        ({"fault": 3}, "fault must be one of"),
        ({"fault": "reset", "status": 503}, "a reset answers nothing"),
        ({"fault": "gateway_page", "status": 500}, "a gateway_page answers 502, 503, 504"),
        ({"fault": "close", "bytes_per_s": 10}, "bytes_per_s is the pace of the slow fault"),
        ({"fault": "slow", "bytes_per_s": 0}, "bytes_per_s must be at least 1"),
        ({"sequence": []}, f"sequence must be a list of 1 to {MAX_SEQUENCE} steps"),
        ({"sequence": [503] * (MAX_SEQUENCE + 1)}, "not 101 steps"),
        ({"sequence": "503"}, "sequence must be a list"),
        ({"vendor": "pai", "sequence": [503, 418]}, "sequence[1].status 418 is not one pai"),
        (
            {"vendor": "pai", "sequence": [503, 201]},
            "sequence[1].status must be 200 (the usual answer)",
        ),
        ({"sequence": [True]}, "sequence[0] must be a status, a fault name or an object"),
        ({"sequence": [{"fault": "reset", "colour": 1}]}, "unknown field(s) colour in sequence[0]"),
        ({"sequence": ["boom"]}, "sequence[0].fault must be one of"),
        ({"sequence": [503], "times": 2}, "a rule with a sequence takes no times"),
        ({"sequence": [503], "status": 500}, "a rule with a sequence takes no status"),
        ({"status": 500, "repeat": True}, "repeat is for a rule with a sequence"),
        ({"sequence": [503], "repeat": "yes"}, "repeat must be true or false"),
        ({"status": 500, "until_s": 0}, "until_s must be later than from_s (0)"),
        ({"status": 500, "from_s": 10, "until_s": 5}, "until_s must be later than from_s (10)"),
        ({"status": 500, "from_s": -1}, "from_s must be at least 0"),
        ({"status": 500, "until_s": "soon"}, "until_s must be an integer"),
        ({"status": 500, "workspace": ""}, "workspace must be a workspace id"),
        ({"status": 500, "workspace": 7}, "workspace must be a workspace id"),
    ],
)
def test_bad_fault_fields_are_refused_naming_the_field(
    own: TestClient, spec: dict[str, Any], message: str
) -> None:
    response = own.post("/_mock/faults", json=spec)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == "InvalidFault"
    assert message in response.json()["message"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-Mock-Fault": "explode"}, "X-Mock-Fault must be one of"),
        (
            {"X-Mock-Fault": "slow", "X-Mock-Bytes-Per-S": "0"},
            "X-Mock-Bytes-Per-S must be at least 1",
        ),
        ({"X-Mock-Bytes-Per-S": "10"}, "X-Mock-Bytes-Per-S is the pace of the slow fault"),
        ({"X-Mock-Fault": "gateway_page", "X-Mock-Status": "500"}, "not X-Mock-Status 500"),
    ],
)
@pytest.mark.parametrize("vendor", sorted(LIST_URLS))
def test_bad_fault_directives_are_400_in_the_envelope(
    client: TestClient, schemas: Schemas, vendor: str, headers: dict[str, str], message: str
) -> None:
    response = client.get(LIST_URLS[vendor], headers=headers)
    assert response.status_code == 400
    assert_valid(schemas, f"{vendor}/error", response.json())
    assert message in response.text


@pytest.mark.parametrize("fault", sorted(transport.NEEDS_CONNECTION))
def test_an_in_process_client_is_told_it_cannot_break_connections(
    client: TestClient, schemas: Schemas, fault: str
) -> None:
    response = client.get(LIST_URLS["dreadnode"], headers={"X-Mock-Fault": fault})
    assert response.status_code == 400
    assert_valid(schemas, "dreadnode/error", response.json())
    assert "only the mock's own HTTP server" in response.json()["detail"]


# --- on the wire: reset, close, truncate, slow -----------------------------------------


@pytest.fixture(scope="module")
def live() -> Iterator[MockServer]:
    with MockServer(seed=3) as server:
        yield server


def raw_get(server: MockServer, path: str, **headers: str) -> tuple[bytes, BaseException | None]:
    """What a plain socket receives for one GET, and how the connection ended."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as exc:
            return received, exc
    return received, None


def head_and_body(received: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = received.partition(b"\r\n\r\n")
    fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    return {k.lower(): v for k, v in fields.items()}, body


def test_reset_sends_nothing_and_resets(live: MockServer) -> None:
    received, ended = raw_get(live, LIST_URLS["dashscope"], X_Mock_Fault="reset")
    assert received == b""
    assert isinstance(ended, ConnectionResetError)
    entry = live.requests()[-1]
    assert (entry["status"], entry["fault"]["fault"]) == (None, "reset")


def test_close_sends_the_head_only(live: MockServer) -> None:
    received, ended = raw_get(live, LIST_URLS["dashscope"], X_Mock_Fault="close")
    assert ended is None  # an orderly close (FIN)
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    headers, body = head_and_body(received)
    assert int(headers["content-length"]) > 0 and body == b""
    assert live.requests()[-1]["status"] == 200


def test_truncate_cuts_the_body_short_of_its_length(live: MockServer) -> None:
    received, ended = raw_get(
        live, LIST_URLS["huawei"], X_Mock_Fault="truncate", X_Mock_Status="500"
    )
    assert ended is None
    assert received.startswith(b"HTTP/1.1 500 ")
    headers, body = head_and_body(received)
    assert 0 < len(body) < int(headers["content-length"])
    assert body == b'{"error_code":"common.00000500","error_msg":"internal error"}'[: len(body)]


def test_slow_sends_the_head_at_once_and_the_body_at_the_pace(live: MockServer) -> None:
    with httpx.Client(timeout=10) as client:
        started = time.monotonic()
        with client.stream(
            "GET",
            live.url_for(LIST_URLS["dreadnode"]),
            headers={"X-Mock-Fault": "slow", "X-Mock-Bytes-Per-S": "2000"},
        ) as response:
            head_after = time.monotonic() - started
            body = response.read()
        took = time.monotonic() - started
    assert response.status_code == 200 and json.loads(body)["name"] == "example"
    assert head_after < took / 2
    assert took >= len(body) / 2000 * 0.8  # loose: most of the paced time


def test_a_connection_keeps_serving_after_a_body_fault(live: MockServer) -> None:
    with httpx.Client() as client:
        url = live.url_for(LIST_URLS["pai"])
        assert client.get(url, headers={"X-Mock-Fault": "bad_json"}).status_code == 200
        assert client.get(url).json()["TotalCount"] >= 1


def test_reset_fault_rule_through_a_retrying_transport(live: MockServer) -> None:
    """httpx retries a connection refused or reset before any answer only when asked to."""
    live.clear_faults()
    rule = live.fault(vendor="dreadnode", sequence=["reset", 200])
    try:
        with httpx.Client(transport=httpx.HTTPTransport(retries=1)) as client:
            # a read failure is not retried by httpx (httpcore's own error where a pytester
            # run in this worker left httpx mapping another import of httpcore)
            with pytest.raises((httpx.ReadError, httpcore.ReadError)):
                client.get(live.url_for(LIST_URLS["dreadnode"]))
            assert client.get(live.url_for(LIST_URLS["dreadnode"])).status_code == 200
    finally:
        live.remove_fault(rule["id"])


def test_broken_answers_get_their_access_lines_and_no_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A connection cut on purpose is logged as answered (`-` when nothing was), never as
    uvicorn's "ASGI callable returned without completing response"."""
    with MockServer(log_level="info") as served:
        for fault in ("reset", "close", "truncate"):
            raw_get(served, LIST_URLS["dashscope"], X_Mock_Fault=fault)
        httpx.get(served.url_for(LIST_URLS["dashscope"]))
        deadline, err = time.monotonic() + 10, ""
        while err.count("dashscope.ListDeployments") < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
            err += capsys.readouterr().err
    err += capsys.readouterr().err
    statuses = [
        line.split('HTTP/1.1" ')[1].split()[0]
        for line in err.splitlines()
        if "dashscope.ListDeployments" in line
    ]
    assert statuses == ["-", "200", "200", "200"]
    assert "without completing" not in err and "Traceback" not in err


def test_the_listing_shows_a_transport_rule_with_its_pace(own: TestClient) -> None:
    rule = add(own, vendor="huawei", fault="slow", times=2)
    listed = own.get("/_mock/faults").json()["faults"]
    assert listed == [rule]
    assert (rule["fault"], rule["bytes_per_s"], rule["times"]) == (
        "slow",
        transport.DEFAULT_RATE,
        2,
    )
    assert "sequence" not in rule and "window" not in rule


def test_reset_restarts_a_script_given_at_start() -> None:
    script = {"vendor": "pai", "sequence": [503, 429]}
    with MockServer(faults=[script]) as server, httpx.Client() as client:
        assert client.get(server.url_for(LIST_URLS["pai"])).status_code == 503
        assert server.faults()[0]["next_step"] == 2
        server.reset()
        assert server.faults()[0]["next_step"] == 1
        assert client.get(server.url_for(LIST_URLS["pai"])).status_code == 503
