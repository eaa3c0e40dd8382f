"""Shared fixtures: an in-process client on the bundled data, and schema checks."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.core.schemas import Schemas, bundled
from mockserver.settings import data_dir

# No memo of valid records from earlier runs (see ValidMemo): each run validates every
# record it loads, and the user's cache folder is left alone. tests/core covers the memo.
os.environ["MOCKSERVER_CACHE_DIR"] = "-"

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def schemas() -> Schemas:
    return bundled()


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """The mock on its bundled fixtures, in process (read-only tests share it); resources
    move only when told, so that reads leave the seed's states as they are."""
    with TestClient(create_app(Settings(lifecycle="manual"))) as test_client:
        yield test_client


def example(name: str) -> Any:
    """A response example copied from the vendor's docs into tests/data."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def bundled_records(vendor: str, collection: str) -> list[dict[str, Any]]:
    """The raw records of the bundled fixture files: an oracle independent of the server."""
    records: list[dict[str, Any]] = []
    for path in sorted((data_dir("fixtures") / vendor).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        records += (yaml.load(text, Loader=yaml.BaseLoader) or {}).get(collection, [])
    return records


def assert_valid(schemas: Schemas, name: str, body: Any) -> None:
    errors = schemas.errors(name, body)
    assert not errors, f"{name}: {errors}"


# A working URL per vendor (the docs' examples) for tests that go over every vendor.
LIST_URLS = {
    "pai": "/api/v1/models/model-rbvg5wzljz****ks92/versions",
    "huawei": "/v1/workspaces/default/models",
    "dreadnode": "/api/v1/org/example/models/example/versions",
    "dashscope": "/api/v1/deployments",
}


def error_code(vendor: str, body: dict[str, Any]) -> Any:
    """The machine-readable code of a vendor's error body."""
    field = {"pai": "Code", "huawei": "error_code", "dreadnode": "type", "dashscope": "code"}
    return body.get(field[vendor])


# the code of each vendor's 400 (a bad parameter, a request the server refuses to read)
BAD_REQUEST_CODE = {
    "pai": "InvalidParameter",
    "huawei": "common.01000001",
    "dreadnode": "bad_request_error",
    "dashscope": "InvalidParameter",
}


def assert_refused_with_400(schemas: Schemas, vendor: Any, head: bytes, body: Any) -> None:
    """A request refused before the app read it: the vendor's JSON 400, connection closed."""
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\ncontent-type: application/json" in head
    assert b"\r\nconnection: close" in head
    assert_valid(schemas, vendor.error_schema, body)
    assert error_code(vendor.name, body) == BAD_REQUEST_CODE[vendor.name]
