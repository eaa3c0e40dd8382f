"""Declarative query-parameter specs and one parser for all vendors.

A vendor lists its parameters as `Param`s; `parse` turns the query string into typed
values with defaults applied, or raises `ParamError` saying what is wrong and why.
The vendor decides how that reads in its own envelope (code, wording, status).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import parse_qsl

from mockserver.core.errors import shown
from mockserver.core.provenance import Source

Kind = Literal["int", "str", "enum"]
# ASCII digits only: int() also reads '٣', '５', ' 1' and '1_0', which no vendor does
INTEGER = re.compile(r"[+-]?[0-9]+")
BEYOND = 10**30  # past every bound a spec sets; what a longer number reads as
Reason = Literal["type", "range", "choice", "length", "pattern", "repeated", "count"]


@dataclass(frozen=True)
class Param:
    """One query parameter as the vendor documents it."""

    name: str
    kind: Kind = "str"
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None  # full match
    description: str = ""
    blank_is_absent: bool = True  # `?Name=` counts as not given
    location: str = "query"  # or "path" or "header" (documentation only for headers)
    example: Any = None  # shown in the OpenAPI document; Swagger UI pre-fills it
    source: Source | None = None  # where the docs (or SDK, or a decision) say so

    def origin(self) -> Source | None:
        """The effective source: `source`, its `field` defaulting to the parameter's name."""
        return self.source.with_field(self.name) if self.source else None

    # the key repeats, once per value (`versions=a&versions=b`): parsed as a tuple of
    # distinct values, `minimum`/`maximum` bounding how many
    repeated: bool = False

    def allowed(self) -> str:
        """What the parameter accepts, in words, for error messages."""
        if self.kind == "int":
            if self.maximum is None:
                return f"an integer of at least {self.minimum}"
            return f"an integer from {self.minimum} to {self.maximum}"
        if self.kind == "enum":
            return "one of " + ", ".join(self.choices)
        parts = []
        if self.min_length is not None or self.max_length is not None:
            parts.append(f"{self.min_length or 0} to {self.max_length} characters")
        if self.pattern:
            parts.append(f"matching {self.pattern}")
        return "a string" + (" of " + ", ".join(parts) if parts else "")


class ParamError(Exception):
    """A query value the spec does not allow."""

    def __init__(self, param: Param, value: str, reason: Reason) -> None:
        self.param = param
        self.value = value
        self.reason = reason
        super().__init__(self.describe())

    def describe(self) -> str:
        if self.reason == "count":
            low, high = self.param.minimum or 0, self.param.maximum
            times = f"{low} to {high}" if high is not None else f"at least {low}"
            return f"{self.param.name} must be given {times} times, with distinct values"
        if self.reason == "repeated":
            return f"{self.param.name} is given more than once; it takes a single value"
        return f"{self.param.name} must be {self.param.allowed()}, not {self.shown}"

    @property
    def shown(self) -> str:
        """The value as a message repeats it: quoted, and cut short when long."""
        return shown(self.value)


def sourced(source: Source, *params: Param) -> tuple[Param, ...]:
    """`params`, each without a source of its own given `source` (one page's table)."""
    return tuple(p if p.source else replace(p, source=source) for p in params)


def read_int(text: str) -> int | None:
    """The integer `text` spells in ASCII digits (sign allowed), else None.

    A magnitude past 10**30 reads as +-10**30: still out of every range, and never fed to
    int(), which refuses more than 4,300 digits and costs quadratic time below that.
    """
    if not INTEGER.fullmatch(text):
        return None
    negative = text.startswith("-")
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 30:
        return -BEYOND if negative else BEYOND
    return -int(digits) if negative else int(digits)


def _convert(param: Param, raw: str) -> Any:
    if param.kind == "int":
        value = read_int(raw)
        if value is None:
            raise ParamError(param, raw, "type")
        if abs(value) >= BEYOND:
            raise ParamError(param, raw, "range")
        too_low = param.minimum is not None and value < param.minimum
        too_high = param.maximum is not None and value > param.maximum
        if too_low or too_high:
            raise ParamError(param, raw, "range")
        return value
    if param.kind == "enum":
        if raw not in param.choices:
            raise ParamError(param, raw, "choice")
        return raw
    if (param.min_length is not None and len(raw) < param.min_length) or (
        param.max_length is not None and len(raw) > param.max_length
    ):
        raise ParamError(param, raw, "length")
    if param.pattern is not None and not re.fullmatch(param.pattern, raw):
        raise ParamError(param, raw, "pattern")
    return raw


def parse_path(values: dict[str, Any], specs: Sequence[Param]) -> dict[str, Any]:
    """Checked path parameters (always present, so no defaults)."""
    return {p.name: _convert(p, str(values[p.name])) for p in specs}


def parse_query(query_string: bytes, specs: Sequence[Param]) -> dict[str, Any]:
    """`parse` of a raw ASGI query string, read as starlette's QueryParams reads it."""
    items = (
        parse_qsl(query_string.decode("latin-1"), keep_blank_values=True) if query_string else ()
    )
    return parse(items, specs)


def parse(items: Iterable[tuple[str, str]], specs: Sequence[Param]) -> dict[str, Any]:
    """Typed values for every spec (default when absent); unknown names are ignored."""
    seen: dict[str, list[str]] = {}
    for key, value in items:
        seen.setdefault(key, []).append(value)
    values: dict[str, Any] = {}
    for param in specs:
        raw = seen.get(param.name)
        if param.repeated:
            values[param.name] = _repeated(param, raw or [])
            continue
        if raw and len(raw) > 1:
            raise ParamError(param, raw[-1], "repeated")
        if raw is None or (raw[0] == "" and param.blank_is_absent):
            values[param.name] = param.default
        else:
            values[param.name] = _convert(param, raw[0])
    return values


def _repeated(param: Param, raw: list[str]) -> tuple[Any, ...]:
    """The distinct values of a repeated key, each checked, their count in bounds."""
    given = tuple(_convert(param, v) for v in raw if v != "" or not param.blank_is_absent)
    few = param.minimum is not None and len(given) < param.minimum
    many = param.maximum is not None and len(given) > param.maximum
    if few or many or len(set(given)) != len(given):
        raise ParamError(param, "&".join(raw), "count")
    return given
