"""JSON written once: records are serialised when the data is loaded, not per request.

A backend keeps each public record's bytes beside the record (`Raw`); a handler builds
its body around them with `dumps`, which copies `Raw` bytes as they are and serialises
only the small envelope (request id, totals) on each request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from starlette.responses import Response

from mockserver.core.bounded import Bounded

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Raw(bytes):
    """JSON text, already serialised."""

    @classmethod
    def of(cls, value: Any) -> Raw:
        return cls(_encode(value).encode())


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON; Raw parts are copied, not serialised again."""
    kind = type(value)
    if kind is Raw:
        return value  # type: ignore[no-any-return]
    if kind is str:
        return _string(value).encode()
    if kind is int:
        return int.__repr__(value).encode()
    if kind is dict:
        return b"{" + b",".join([_key(k) + dumps(v) for k, v in value.items()]) + b"}"
    if kind is list or kind is tuple:
        return b"[" + b",".join([dumps(v) for v in value]) + b"]"
    return _encode(value).encode()


def _key(name: Any) -> bytes:
    """An object key and its colon, made once per distinct key (keys repeat endlessly)."""
    found = _KEYS.get(name)
    if found is None:
        found = _encode(str(name)).encode() + b":"
        if len(_KEYS) < _KEYS_KEPT:  # bounded, whatever keys the data brings
            _KEYS[name] = found
    return found


_KEYS: dict[Any, bytes] = {}
_KEYS_KEPT = 4096
_string = json.encoder.encode_basestring  # what _encode does for a str, minus dispatch


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

    def forget(self, record: Any) -> None:
        """Drop a record leaving the backend: once it is freed, its id can be reused."""
        self._raw.pop(id(record), None)


class Bodies:
    """Whole answers, made once per distinct request while the data stays as it is.

    A backend holds one, and any data change builds a new backend, so an answer can
    never outlive the data it was made from. What varies per request (a request id) is
    added around the kept bytes. Errors raised while making an answer are not kept.
    Bounded by bytes, keys (the client's query string) included: past the budget it
    starts over, so a scan over many distinct pages cannot grow memory, while a test
    suite's few repeated requests stay cheap.
    """

    BUDGET = 4 * 2**20  # per backend: four vendors, 16 MB at most in all

    def __init__(self, budget: int = BUDGET) -> None:
        self._bodies: Bounded[Hashable, Raw] = Bounded(budget)

    def __call__(self, key: Hashable, make: Callable[[], Raw]) -> Raw:
        body = self._bodies.get(key)
        if body is None:
            body = self._bodies.put(key, make())
        return body

    @property
    def size(self) -> int:
        """Bytes counted for the answers kept now, keys included."""
        return self._bodies.size


def prepend(key: str, value: Any, raw_object: Raw) -> bytes:
    """`{key: value, ...raw_object}` without serialising raw_object again."""
    if raw_object == b"{}":
        return b"{" + _key(key) + dumps(value) + b"}"
    return b"".join((b"{", _key(key), dumps(value), b",", memoryview(raw_object)[1:]))


class JSONBytes(Response):
    """An operation's answer: JSON bytes already made, status 200.

    The headers go straight to their raw form; starlette's constructor re-derives them
    (lower-casing, encoding, scanning for duplicates) on every response, which shows on
    the hot path. Same headers as `Response(body, media_type="application/json")`.
    """

    media_type = "application/json"

    def __init__(self, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        raw = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()
        ]
        raw += ((b"content-length", b"%d" % len(body)), (b"content-type", b"application/json"))
        self.raw_headers = raw
