"""JSON written once: records are serialised when the data is loaded, not per request.

A backend keeps each public record's bytes beside the record (`Raw`); a handler builds
its body around them with `dumps`, which copies `Raw` bytes as they are and serialises
only the small envelope (request id, totals) on each request.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Raw(bytes):
    """JSON text, already serialised."""

    @classmethod
    def of(cls, value: Any) -> Raw:
        return cls(_encode(value).encode())


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON; Raw parts are copied, not serialised again."""
    if isinstance(value, Raw):
        return value
    if isinstance(value, dict):
        parts = (
            _encode(str(k)).encode() + b":" + (v if isinstance(v, Raw) else dumps(v))
            for k, v in value.items()
        )
        return b"{" + b",".join(parts) + b"}"
    if isinstance(value, list | tuple):
        return b"[" + b",".join(v if isinstance(v, Raw) else dumps(v) for v in value) + b"]"
    return _encode(value).encode()


class RawCache:
    """Each record's JSON, made on first use and kept (records never change in place).

    Keyed by identity: the backend holding the cache also holds the records, so an id
    cannot be reused while the cache lives. Lazy, so loading many records stays fast.
    """

    def __init__(self) -> None:
        self._raw: dict[int, Raw] = {}

    def __call__(self, record: Any) -> Raw:
        raw = self._raw.get(id(record))
        if raw is None:
            raw = self._raw[id(record)] = Raw.of(record)
        return raw


def prepend(key: str, value: Any, raw_object: Raw) -> bytes:
    """`{key: value, ...raw_object}` without serialising raw_object again."""
    head = b"{" + _encode(key).encode() + b":" + dumps(value)
    return head + (b"}" if raw_object == b"{}" else b"," + raw_object[1:])


def respond(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response written with `dumps`."""
    return Response(
        dumps(value), status_code=status, headers=headers, media_type="application/json"
    )
