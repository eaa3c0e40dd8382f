"""Memory bounded in bytes: request heads, the journal, every cache and index keyed by
what clients send, fault rules and rate-limit buckets (bench/memory.py measures it)."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from mockserver import MockServer, create_app
from mockserver.core.schemas import Schemas
from mockserver.server import MAX_HEAD, HttpTools
from mockserver.vendors import VENDORS
from tests.conftest import assert_valid

# vendor -> (its error code field, the code of its 400)
BAD_REQUEST = {
    "pai": ("Code", "InvalidParameter"),
    "huawei": ("error_code", "common.01000001"),
    "dreadnode": ("type", "bad_request_error"),
    "dashscope": ("code", "InvalidParameter"),
}


@pytest.fixture(scope="module")
def served() -> Any:
    with MockServer() as server:
        yield server


def exchange(port: int, request: bytes) -> tuple[bytes, Any]:
    """Send raw bytes, read the one answer until the server closes (bounded by a timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head, json.loads(body)


def padded(path: str, header_bytes: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\nX-Pad: {'a' * header_bytes}\r\n\r\n".encode()


# --- request heads -----------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda vendor: vendor.name)
def test_a_head_over_the_limit_gets_the_vendors_400(
    served: MockServer, schemas: Schemas, vendor: Any
) -> None:
    path = f"{vendor.prefixes[0]}/anything"
    head, body = exchange(served.port, padded(path, MAX_HEAD))
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\ncontent-type: application/json" in head
    assert b"\r\nconnection: close" in head
    assert_valid(schemas, vendor.error_schema, body)
    field, code = BAD_REQUEST[vendor.name]
    assert body[field] == code
    assert str(MAX_HEAD) in json.dumps(body)

    journal = httpx.get(served.url_for("/_mock/requests")).json()["requests"]
    assert (journal[-1]["path"], journal[-1]["status"]) == (path, 400)
    assert journal[-1]["vendor"] == vendor.name


def test_a_head_just_under_the_limit_is_answered(served: MockServer) -> None:
    request = padded("/api/v1/deployments", MAX_HEAD - 200)
    assert len(request) < MAX_HEAD
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as conn:
        conn.sendall(request)
        assert conn.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_long_url_outside_the_vendors_gets_the_neutral_431(served: MockServer) -> None:
    head, body = exchange(served.port, f"GET /{'x' * MAX_HEAD} HTTP/1.1\r\n\r\n".encode())
    assert head.startswith(b"HTTP/1.1 431 ")
    assert body["code"] == "RequestHeaderFieldsTooLarge"
    assert set(body) == {"code", "message"}


class Transport:
    """What the protocol writes, and how much of the request it was fed before closing."""

    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 1) if name in ("peername", "sockname") else None


@pytest.mark.anyio
async def test_an_endless_header_is_refused_before_it_is_all_read() -> None:
    config = Config(app=create_app(), http=HttpTools, ws="none")
    protocol = HttpTools(config, ServerState(), {}, _loop=asyncio.get_running_loop())
    transport = Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    chunk = b"b" * 16384
    protocol.data_received(b"GET /api/v1/deployments HTTP/1.1\r\nX-Pad: ")
    fed = 0
    while not transport.closed and fed < 64 * MAX_HEAD:  # bounded: 4 MB at most
        protocol.data_received(chunk)
        fed += len(chunk)
    assert transport.closed
    assert fed <= MAX_HEAD + len(chunk)
    assert transport.written.startswith(b"HTTP/1.1 400 ")
    body = json.loads(transport.written.partition(b"\r\n\r\n")[2])
    assert body["code"] == "InvalidParameter"
