"""The shared write path: one way to read, check and refuse a write's body."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from mockserver.core.bodies import MAX_BODY
from mockserver.core.fixtures import FixtureError, Problem
from mockserver.core.schemas import bundled
from mockserver.core.writes import WriteError, read_json, refused, write_body


def request(body: bytes, workers: int = 1) -> Request:
    app = SimpleNamespace(
        settings=SimpleNamespace(workers=workers), store=SimpleNamespace(schemas=bundled())
    )
    chunks = [body]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop() if chunks else b"", "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/models",
        "raw_path": b"/api/v1/models",
        "query_string": b"",
        "headers": [(b"content-length", str(len(body)).encode())],
        "app": app,
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
    }
    return Request(scope, receive)


def refusal(body: bytes, schema: str = "pai/label", workers: int = 1) -> WriteError:
    with pytest.raises(WriteError) as caught:
        asyncio.run(write_body(request(body, workers), schema))
    return caught.value


def test_a_valid_body_is_answered_as_parsed() -> None:
    body = {"Key": "k", "Value": "v"}
    assert asyncio.run(write_body(request(json.dumps(body).encode()), "pai/label")) == body


def test_a_field_at_fault_is_named_in_the_fixture_problem_format() -> None:
    error = refusal(b'{"Key": 5, "Value": "v"}')
    assert (error.reason, error.status, error.field) == ("invalid", 400, "$.Key")
    assert error.message.startswith("$.Key: 5 is not of type 'string'")


def test_an_unknown_field_is_a_problem() -> None:
    error = refusal(b'{"Key": "k", "Value": "v", "Colour": "red"}')
    assert error.field == "$.Colour"
    assert "unknown field" in error.message


def test_not_json_and_too_large_are_refused_with_their_reason() -> None:
    assert refusal(b"{not json").reason == "not_json"
    assert refusal(b"[NaN]").reason == "not_json"
    large = refusal(b" " * (MAX_BODY + 1))
    assert (large.reason, large.status) == ("too_large", 413)


def test_an_empty_body_is_allowed_only_where_the_operation_says() -> None:
    assert asyncio.run(read_json(request(b""), empty={})) == {}
    with pytest.raises(WriteError, match="not JSON"):
        asyncio.run(read_json(request(b"")))


def test_several_processes_refuse_a_write_before_reading_it() -> None:
    error = refusal(b'{"Key": "k", "Value": "v"}', workers=3)
    assert (error.reason, error.status) == ("single_process", 409)
    assert "--workers 1" in error.message


def test_a_record_the_store_refused_names_its_field() -> None:
    exc = FixtureError([Problem("request", "#0", "$.ModelId", "duplicate ModelId 'm'")])
    error = refused(exc)
    assert (error.reason, error.field) == ("invalid", "$.ModelId")
    assert error.message == "$.ModelId: duplicate ModelId 'm'"
