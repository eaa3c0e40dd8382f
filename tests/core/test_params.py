from __future__ import annotations

import pytest

from mockserver.core.params import Param, ParamError, parse

SPECS = (
    Param("page", "int", default=1, minimum=1, maximum=10),
    Param("order", "enum", default="ASC", choices=("ASC", "DESC")),
    Param("name", min_length=2, max_length=4, pattern=r"[a-z]+"),
    Param("visibility", "enum", choices=("A", "B"), blank_is_absent=False),
)


def test_defaults_when_absent() -> None:
    assert parse([], SPECS) == {"page": 1, "order": "ASC", "name": None, "visibility": None}


def test_values_are_typed() -> None:
    values = parse([("page", "3"), ("order", "DESC"), ("name", "abc")], SPECS)
    assert values["page"] == 3
    assert values["order"] == "DESC"
    assert values["name"] == "abc"


def test_blank_counts_as_absent_unless_the_spec_says_otherwise() -> None:
    assert parse([("page", "")], SPECS)["page"] == 1
    with pytest.raises(ParamError) as info:
        parse([("visibility", "")], SPECS)
    assert info.value.reason == "choice"


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ([("page", "x")], "type"),
        ([("page", "1.0")], "type"),
        ([("page", " 1")], "type"),
        ([("page", "0")], "range"),
        ([("page", "11")], "range"),
        ([("order", "asc")], "choice"),
        ([("name", "a")], "length"),
        ([("name", "abcde")], "length"),
        ([("name", "AB")], "pattern"),
        ([("page", "1"), ("page", "2")], "repeated"),
    ],
)
def test_errors_say_why(items: list[tuple[str, str]], reason: str) -> None:
    with pytest.raises(ParamError) as info:
        parse(items, SPECS)
    assert info.value.reason == reason
    assert info.value.param.name == items[0][0]
    assert items[0][0] in str(info.value)


def test_allowed_in_words() -> None:
    assert SPECS[0].allowed() == "an integer from 1 to 10"
    assert SPECS[1].allowed() == "one of ASC, DESC"
    assert SPECS[2].allowed() == "a string of 2 to 4 characters, matching [a-z]+"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9" * 5000, "range"),  # int() refuses more than 4,300 digits
        ("-" + "9" * 5000, "range"),
        ("0" * 5000 + "5", None),  # leading zeros are no magnitude
        ("\u0663", "type"),  # Arabic-Indic three: int() reads it, no vendor does
        ("\uff15", "type"),  # full-width five
        ("1_0", "type"),
        ("5\n", "type"),
    ],
)
def test_integers_are_ascii_digits_of_any_length(raw: str, reason: str | None) -> None:
    if reason is None:
        assert parse([("page", raw)], SPECS)["page"] == 5
        return
    with pytest.raises(ParamError) as info:
        parse([("page", raw)], SPECS)
    assert info.value.reason == reason


def test_a_huge_integer_is_out_of_range_even_without_a_maximum() -> None:
    spec = Param("offset", "int", minimum=0)
    with pytest.raises(ParamError) as info:
        parse([("offset", "1" * 40)], (spec,))
    assert info.value.reason == "range"
    assert parse([("offset", "1" * 20)], (spec,))["offset"] == int("1" * 20)


def test_messages_echo_a_long_value_cut_short() -> None:
    with pytest.raises(ParamError) as info:
        parse([("name", "x" * 10_000)], SPECS)
    message = str(info.value)
    assert len(message) < 200
    assert "(9936 more characters)" in message


REPEATED = Param("v", min_length=1, minimum=2, maximum=3, repeated=True, blank_is_absent=False)


def test_a_repeated_key_is_a_tuple_of_its_values() -> None:
    assert parse([("v", "a"), ("x", "1"), ("v", "b")], [REPEATED]) == {"v": ("a", "b")}
    tags = Param("t", repeated=True)
    assert parse([], [tags]) == {"t": ()}
    assert parse([("t", ""), ("t", "a")], [tags]) == {"t": ("a",)}  # blank: not given


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ([("v", "a")], "count"),
        ([("v", "a"), ("v", "b"), ("v", "c"), ("v", "d")], "count"),
        ([("v", "a"), ("v", "a")], "count"),
        ([("v", "a"), ("v", "")], "length"),
    ],
)
def test_a_repeated_key_is_bounded_in_count_and_distinct(
    items: list[tuple[str, str]], reason: str
) -> None:
    with pytest.raises(ParamError) as info:
        parse(items, [REPEATED])
    assert info.value.reason == reason
    if reason == "count":
        assert info.value.describe() == "v must be given 2 to 3 times, with distinct values"
