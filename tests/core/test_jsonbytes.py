from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.responses import Response

from mockserver.core.bounded import ENTRY_OVERHEAD
from mockserver.core.jsonbytes import Bodies, JSONBytes, Raw, RawCache, dumps, prepend

VALUES: list[Any] = [
    {"a": 1, "b": [1, 2.5, 'x\u00e9"\\\n'], "c": None, "d": True, "e": False},
    {"nested": {"deep": [{"k": "v"}, []]}, "empty": {}, "n": -7, "big": 2**70},
    [],
    {},
    "plain",
    "\u2028 and emoji \U0001f600",
    0,
    (1, "two"),
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_writes_what_the_json_module_writes(value: Any) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    assert dumps(value) == expected


def test_dumps_copies_raw_parts_as_they_are() -> None:
    raw = Raw.of({"z": [1, 2]})
    assert dumps({"id": "x", "item": raw, "items": [raw, raw]}) == (
        b'{"id":"x","item":{"z":[1,2]},"items":[{"z":[1,2]},{"z":[1,2]}]}'
    )


def test_dumps_non_string_keys_as_json_does() -> None:
    assert json.loads(dumps({1: "a", 2: "b"})) == {"1": "a", "2": "b"}


def test_prepend_puts_the_key_first() -> None:
    assert prepend("RequestId", "R1", Raw(b'{"a":1}')) == b'{"RequestId":"R1","a":1}'
    assert prepend("RequestId", "R1", Raw(b"{}")) == b'{"RequestId":"R1"}'


def test_raw_cache_serialises_each_record_once() -> None:
    cache = RawCache()
    record = {"a": 1}
    first = cache(record)
    assert first == b'{"a":1}'
    assert cache(record) is first


def test_bodies_keep_answers_by_key_and_not_errors() -> None:
    bodies = Bodies()
    calls: list[str] = []

    def make(text: str) -> Raw:
        calls.append(text)
        return Raw(text.encode())

    assert bodies("k", lambda: make("one")) == b"one"
    assert bodies("k", lambda: make("two")) == b"one"
    assert calls == ["one"]

    def fail() -> Raw:
        raise ValueError("bad query")

    with pytest.raises(ValueError):
        bodies("bad", fail)
    assert bodies("bad", lambda: make("later")) == b"later"


def test_bodies_start_over_past_their_byte_budget() -> None:
    bodies = Bodies(budget=2 * ENTRY_OVERHEAD + 10)
    bodies("a", lambda: Raw(b"123456"))
    assert bodies("a", lambda: Raw(b"again!")) == b"123456"
    bodies("b", lambda: Raw(b"123456"))  # over budget: "a" is dropped
    assert bodies("a", lambda: Raw(b"again!")) == b"again!"


def test_bodies_count_their_keys_against_the_budget() -> None:
    """Padded queries (an ignored parameter of 2 KB) with small bodies: the keys are
    what fills the memory, and they are counted."""
    budget = 2**20
    bodies = Bodies(budget=budget)
    for n in range(5000):  # 10 MB of keys
        key = ("ListModelVersions", "model", b"_pad=" + b"x" * 2048 + b"%d" % n)
        bodies(key, lambda: Raw(b"{}"))
        assert bodies.size <= budget
    assert bodies(key, lambda: Raw(b"again")) == b"{}"  # and it does keep answers


@pytest.mark.parametrize("headers", [None, {"X-Request-Id": "abc"}, {"x-acs-request-id": "ABC"}])
def test_json_bytes_sends_the_headers_starlette_would(headers: dict[str, str] | None) -> None:
    body = b'{"a":1}'
    ours = JSONBytes(body, headers=headers)
    theirs = Response(body, media_type="application/json", headers=headers)
    assert ours.status_code == theirs.status_code == 200
    assert ours.body == theirs.body
    assert sorted(ours.raw_headers) == sorted(theirs.raw_headers)
