"""Control-plane bodies, fault rules, directives and rate limits: whatever is sent, a
clear 4xx in the right envelope, nothing stored unless the answer is 2xx, and errors
that repeat the input only cut short."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockServer, Settings, create_app
from mockserver.cli import main
from mockserver.core.bodies import MAX_BODY, MAX_DEPTH
from mockserver.core.faults import FaultSpecError, parse_rate_limit, rate_limits
from mockserver.core.schemas import Schemas
from mockserver.vendors import VENDORS
from tests.conftest import LIST_URLS, assert_valid, error_code

BY_NAME = {v.name: v for v in VENDORS}
# every JSON type, as raw JSON text, with the awkward cases of each
JSON_VALUES = {
    "null": "null",
    "true": "true",
    "zero": "0",
    "negative": "-1",
    "fraction": "0.5",
    "500": "500",
    "huge": "1" + "0" * 40,
    "400 digits": "1" + "0" * 400,  # no float can hold it
    "float-huge": "1e308",
    "string": '"x"',
    "empty": '""',
    "digits": '"503"',
    "long digits": '"' + "9" * 5000 + '"',
    "surrogate": '"/\\ud800"',
    "array": '["pai"]',
    "empty array": "[]",
    "object": '{"a": 1}',
}
FIELDS = ("vendor", "operation", "path", "status", "delay_ms", "times", "probability")


@pytest.fixture
def own() -> Iterator[TestClient]:
    # control-plane writes are JSON (the guard refuses any other content type)
    json_type = {"Content-Type": "application/json"}
    with TestClient(create_app(Settings(seed=3)), headers=json_type) as client:
        yield client


def _neutral(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) >= {"code", "message"}
    assert body["code"] == code
    return dict(body)


@pytest.mark.parametrize("value", JSON_VALUES.values(), ids=JSON_VALUES.keys())
@pytest.mark.parametrize("name", FIELDS)
def test_every_rule_field_with_every_json_type(own: TestClient, name: str, value: str) -> None:
    other = '"delay_ms": 5' if name == "status" else '"status": 500'
    response = own.post("/_mock/faults", content=f'{{"{name}": {value}, {other}}}')
    assert response.status_code in (201, 400), response.text
    assert response.headers["content-type"] == "application/json"
    if response.status_code == 400:
        assert response.json()["code"] in ("InvalidFault", "InvalidJSON")
        assert len(response.content) < 600
    listed = own.get("/_mock/faults")
    assert listed.status_code == 200
    assert len(listed.json()["faults"]) == (1 if response.status_code == 201 else 0)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ('{"path": "/\\ud800", "status": 500}', "InvalidJSON", "surrogate"),
        ('{"vendor": ["pai"], "status": 500}', "InvalidFault", "vendor must be a string"),
        ('{"vendor": {"pai": 1}, "status": 500}', "InvalidFault", "vendor must be a string"),
        ('{"operation": [], "status": 500}', "InvalidFault", "operation must be a string"),
        ('{"path": 5, "status": 500}', "InvalidFault", "path must be a glob"),
        ('{"path": "/' + "a" * 3000 + '", "status": 500}', "InvalidFault", "at most 2048"),
        ('{"status": 500.0}', "InvalidFault", "status must be an integer"),
        ('{"status": "5_03"}', "InvalidFault", "status must be an integer"),
        ('{"status": 500, "times": 1e3}', "InvalidFault", "times must be an integer"),
        ('{"status": 500, "times": 4294967296}', "InvalidFault", "times must be from 1"),
        ('{"status": 500, "probability": NaN}', "InvalidJSON", "NaN"),
        ('{"status": 500, "probability": Infinity}', "InvalidJSON", "Infinity"),
        ('{"status": 500, "probability": 1e400}', "InvalidJSON", "too large"),
        ('{"status": 500, "probability": "1"}', "InvalidFault", "probability"),
        ("[" * 1000 + "]" * 1000, "InvalidJSON", f"more than {MAX_DEPTH} levels"),
        ('{"a": ' * 40 + "1" + "}" * 40, "InvalidJSON", f"more than {MAX_DEPTH} levels"),
        ("[1, 2]", "InvalidFault", "a fault rule is a JSON object"),
        ("\xff", "InvalidJSON", "not JSON"),
    ],
)
def test_bad_rules_answer_400_and_store_nothing(
    own: TestClient, body: str, code: str, message: str
) -> None:
    response = own.post("/_mock/faults", content=body.encode("utf-8", "surrogatepass"))
    assert message in _neutral(response, 400, code)["message"]
    listed = own.get("/_mock/faults")
    assert listed.status_code == 200
    assert listed.json() == {"faults": []}


def test_null_fields_count_as_not_given(own: TestClient) -> None:
    spec = dict.fromkeys(FIELDS) | {"status": 500}
    response = own.post("/_mock/faults", json=spec)
    assert response.status_code == 201
    assert response.json()["delay_ms"] == 0
    assert response.json()["probability"] == 1.0
    assert own.get(LIST_URLS["pai"]).status_code == 500


def test_many_unknown_fields_are_listed_briefly(own: TestClient) -> None:
    spec = {f"{'k' * 1000}{i}": 1 for i in range(100)} | {"status": 500}
    response = own.post("/_mock/faults", json=spec)
    message = _neutral(response, 400, "InvalidFault")["message"]
    assert "and 80 more" in message
    assert len(message) < 3000


def test_a_bad_record_is_refused_and_nothing_else_breaks(own: TestClient) -> None:
    before = own.get("/_mock/data").json()
    bodies = [
        '{"deployed_model": "\\udfff"}',  # a lone surrogate
        '{"deployed_model": NaN}',
        '{"deployed_model": "x", "capacity": -1e400}',  # reads as -inf
        "[" * 100 + "]" * 100,
        "[" + "{}," * 50 + "{" + '"a":' * 50 + "1" + "}" * 50 + "]",
    ]
    for body in bodies:
        response = own.post("/_mock/data/dashscope/deployments", content=body)
        _neutral(response, 400, "InvalidJSON")
    after = own.get("/_mock/data")
    assert after.status_code == 200
    assert after.json() == before


def test_record_errors_repeat_values_cut_short(own: TestClient) -> None:
    value = "x" * 100_000
    response = own.post("/_mock/data/dashscope/deployments", json={"deployed_model": value})
    body = _neutral(response, 400, "InvalidRecord")
    assert len(response.content) < 10_000
    assert any("more characters" in p for p in body["problems"])
    assert any("does not match" in p for p in body["problems"])  # the point survives the cut


def test_at_most_twenty_problems_are_listed(own: TestClient) -> None:
    response = own.post("/_mock/data/dashscope/deployments", json=[{"a": 1}] * 100)
    problems = _neutral(response, 400, "InvalidRecord")["problems"]
    assert len(problems) == 21
    assert problems[-1].startswith("and ") and problems[-1].endswith(" more")


def test_an_unknown_vendor_in_the_path_is_echoed_cut_short(own: TestClient) -> None:
    response = own.post(f"/_mock/data/{'v' * 5000}/models", json={})
    message = _neutral(response, 404, "NotFound")["message"]
    assert "unknown vendor" in message
    assert len(message) < 600


@pytest.mark.parametrize("path", ["/_mock/faults", "/_mock/data/dashscope/deployments"])
def test_a_body_over_the_limit_is_413(own: TestClient, path: str) -> None:
    body = json.dumps({"status": 500, "path": "/" + "a" * MAX_BODY}).encode()
    response = own.post(path, content=body)
    assert "1,048,576 bytes" in _neutral(response, 413, "PayloadTooLarge")["message"]
    assert response.headers["connection"] == "close"
    assert own.get("/_mock/faults").json() == {"faults": []}


def test_a_body_at_the_limit_is_read(own: TestClient) -> None:
    body = b'{"status": 500, "path": "/a"}'
    response = own.post("/_mock/faults", content=body + b" " * (MAX_BODY - len(body)))
    assert response.status_code == 201


def _exchange(port: int, head: bytes, body: bytes = b"") -> bytes:
    """What the server answers before the client sends the rest of a huge body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_huge_body_is_refused_before_it_is_all_sent() -> None:
    with MockServer() as server:
        declared = (
            b"POST /_mock/faults HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000000\r\n\r\n"
        )
        assert _exchange(server.port, declared).startswith(b"HTTP/1.1 413 ")
        chunked = (
            b"POST /_mock/faults HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (MAX_BODY // 4, b" " * (MAX_BODY // 4))
        answer = _exchange(server.port, chunked, chunk * 5)  # no last chunk: never complete
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b'"PayloadTooLarge"' in answer


# --- directives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Mock-Status", "9" * 5000),
        ("X-Mock-Status", "\uff15\uff10\uff13".encode()),  # full-width 503, as UTF-8
        ("X-Mock-Status", "5_03"),
        ("X-Mock-Delay-Ms", "x" * 10_000),
        ("X-Mock-Delay-Ms", "1" * 5000),
    ],
)
@pytest.mark.parametrize("vendor", sorted(BY_NAME))
def test_a_bad_directive_is_the_vendors_400_cut_short(
    client: TestClient, schemas: Schemas, vendor: str, header: str, value: str | bytes
) -> None:
    response = client.get(LIST_URLS[vendor], headers={header: value})  # type: ignore[dict-item]
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert_valid(schemas, BY_NAME[vendor].error_schema, response.json())
    assert error_code(vendor, response.json()) is not None
    assert header in response.text
    assert len(response.content) < 1500


# --- rate limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "pai=1e-320/s",
        "pai=1e-300/s",
        "pai=inf/s",
        "pai=nan/s",
        "pai=0.0001/s",
        "pai=2000000/s",
        "pai=1e999/s",
        "pai=\uff15/s",
        "pai=1_0/s",
        "pai=-1/s",
        "pai=",
        "=5/s",
        "pai=" + "9" * 5000,
    ],
)
def test_absurd_rate_limits_are_refused(text: str) -> None:
    with pytest.raises(FaultSpecError, match="0.001 to 1,000,000") as info:
        parse_rate_limit(text)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize(
    ("text", "rate"),
    [("pai=0.001/s", 0.001), ("pai=5/s", 5.0), ("pai=1e6", 1e6), ("pai=.5/s", 0.5)],
)
def test_sensible_rate_limits_are_taken(text: str, rate: float) -> None:
    assert parse_rate_limit(text) == ("pai", rate)


@pytest.mark.parametrize("rate", [float("inf"), float("nan"), 1e-320, 0, 10**400, "5", True])
def test_absurd_rates_are_refused_from_python_too(rate: Any) -> None:
    with pytest.raises(FaultSpecError, match="0.001 to 1,000,000"):
        rate_limits({"pai": rate})
    with pytest.raises(ValueError, match="0.001 to 1,000,000"):
        create_app(Settings(rate_limits=(("pai", rate),)))


def test_the_cli_refuses_an_absurd_rate_as_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        # fixtures that do not exist: should the rate pass, the server still does not start
        main(["serve", "--rate-limit", "pai=1e-320/s", "--fixtures", "/nonexistent"])
    assert info.value.code == 2
    assert "--rate-limit" in capsys.readouterr().err


def test_the_slowest_rate_lets_one_request_through_then_429(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(rate_limits=(("pai", 0.001),)))) as client:
        assert client.get(LIST_URLS["pai"]).status_code == 200
        limited = client.get(LIST_URLS["pai"])
        assert limited.status_code == 429
        assert_valid(schemas, "pai/error", limited.json())
        assert 999 <= int(limited.headers["retry-after"]) <= 1000
