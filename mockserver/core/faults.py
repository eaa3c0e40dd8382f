"""Fault injection and rate limits: the service misbehaving, on purpose, repeatably.

Three sources, checked in this order for each request to an emulated operation:
  1. the request's own directives, `X-Mock-Status` and `X-Mock-Delay-Ms`;
  2. rules added through `POST /_mock/faults` (or `MockServer.fault`, the pytest marker);
  3. rate limits, a token bucket per vendor and credential (or client address).
Whatever fires is answered by the vendor in its own envelope and noted in the journal.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import random
import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mockserver.core.bodies import SURROGATE
from mockserver.core.errors import clip, first, shown
from mockserver.core.params import BEYOND, read_int

MAX_DELAY_MS = 60_000
# Every request to an emulated operation tries each rule: past a hundred, a mistake
# (a rule added per test and never cleared) is likelier than a need, and each request
# pays for all of them.
MAX_RULES = 100
# Clients with a rate-limit bucket; past it the least recently seen one starts over
# with a full bucket. A client key longer than KEY_KEPT is kept as its digest.
MAX_BUCKETS = 10_000
KEY_KEPT = 128
MAX_TIMES = 2**31 - 1
MAX_PATH = 2048  # no request path the mock answers is longer
MIN_RATE = 0.001  # requests a second: one in about 17 minutes
MAX_RATE = 1_000_000
RATE = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")  # ASCII, finite
RULE_FIELDS = (
    "vendor",
    "operation",
    "path",
    "status",
    "delay_ms",
    "times",
    "probability",
    "outcome",
)


class FaultSpecError(ValueError):
    """A fault rule or directive that cannot be applied; the message says why."""


class TooManyRules(FaultSpecError):
    """A rule that would exceed MAX_RULES (the control plane answers 409)."""


@dataclass
class Rule:
    id: int
    vendor: str | None = None
    operation: str | None = None
    path: str | None = None  # a glob over the request path, e.g. /api/v1/models/*
    status: int | None = None
    delay_ms: int = 0
    times: int | None = None  # matching requests left before the rule retires; None: no end
    probability: float = 1.0
    outcome: str | None = None  # the state the write it hits ends in (core/lifecycle.py)

    def matches(self, vendor: str, operation: str, path: str) -> bool:
        return (
            self.vendor in (None, vendor)
            and self.operation in (None, operation)
            and (self.path is None or fnmatch.fnmatchcase(path, self.path))
        )


@dataclass(frozen=True)
class Fault:
    """What to do to one request."""

    source: str  # header | rule | rate-limit
    status: int | None = None
    delay_ms: int = 0
    rule: int | None = None
    retry_after_ms: int | None = None
    outcome: str | None = None  # the write goes through, then ends in this state

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _int(name: str, value: Any, low: int, high: int) -> int:
    """A JSON integer or a header's ASCII digits, within [low, high]; else why not."""
    if isinstance(value, str):
        number = read_int(value)
        if number is None:
            raise FaultSpecError(f"{name} must be an integer, not {shown(value)}")
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise FaultSpecError(f"{name} must be an integer, not {_kind(value)}")
    if not low <= number <= high:
        given = shown(value) if isinstance(value, str) else _number(number)
        bound = f"at least {low}" if number < low else f"from {low} to {high}"
        raise FaultSpecError(f"{name} must be {bound}, not {given}")
    return number


def _number(number: int) -> str:
    return str(number) if abs(number) < BEYOND else "a number of more than 30 digits"


def _kind(value: Any) -> str:
    """What a JSON value is, for messages that must not repeat it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    return "an object"


def _name(name: str, value: Any, known: Iterable[str]) -> str | None:
    """`value` if it is null or one of `known` (vendor, operation names); else why not."""
    known = list(known)
    if value is None or (isinstance(value, str) and value in known):
        return value
    if not isinstance(value, str):
        raise FaultSpecError(f"{name} must be a string or null, not {_kind(value)}")
    raise FaultSpecError(f"unknown {name} {shown(value)}; known: {', '.join(known)}")


def _path(value: Any) -> str | None:
    """A glob over request paths: text starting with '/', of a length a path can have."""
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or len(value) > MAX_PATH
        or SURROGATE.search(value)
    ):
        given = shown(value) if isinstance(value, str) else _kind(value)
        raise FaultSpecError(
            f"path must be a glob starting with '/' of at most {MAX_PATH} characters, "
            f"e.g. /api/v1/models/*, not {given}"
        )
    return value


def _probability(value: Any) -> float:
    if value is None:
        return 1.0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= 1  # false for NaN too; no float() of a 400-digit integer
    ):
        given = value if type(value) in (int, float) else _kind(value)
        raise FaultSpecError(f"probability must be a number from 0 to 1, not {given}")
    return float(value)


def check_rate(vendor: str, rate: Any) -> float:
    """A rate limit in requests a second, within the range a token bucket can keep."""
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not MIN_RATE <= rate <= MAX_RATE  # false for NaN too
    ):
        raise FaultSpecError(
            f"the rate limit of {clip(vendor)} must be from {MIN_RATE:g} to {MAX_RATE:,} "
            f"requests a second, not {shown(repr(rate))}"
        )
    return float(rate)


@dataclass
class Faults:
    """The fault rules and rate-limit buckets of one app."""

    statuses: Mapping[str, tuple[int, ...]]  # vendor -> statuses it can answer
    operations: Mapping[str, tuple[str, ...]]  # vendor -> operation names
    seed: int | None = None
    initial: tuple[Mapping[str, Any], ...] = ()
    rate_limits: Mapping[str, float] = field(default_factory=dict)  # vendor -> requests/s
    outcomes: frozenset[str] = frozenset()  # states a rule's `outcome` may name
    rules: list[Rule] = field(default_factory=list)
    _buckets: OrderedDict[tuple[str, str], tuple[float, float]] = field(default_factory=OrderedDict)
    _next_id: int = 1

    def __post_init__(self) -> None:
        for vendor, rate in self.rate_limits.items():
            if vendor not in self.statuses:
                raise FaultSpecError(f"rate limit for unknown vendor {shown(vendor)}")
            check_rate(vendor, rate)
        self.reset()

    def reset(self) -> None:
        """Back to the rules given at start, a fresh random source, full buckets."""
        self.rng = random.Random(self.seed)
        self.rules = []
        self._buckets.clear()
        self._next_id = 1
        for spec in self.initial:
            self.add(spec)

    # --- rules ---------------------------------------------------------------------

    def add(self, spec: Mapping[str, Any]) -> Rule:
        if not isinstance(spec, Mapping):
            raise FaultSpecError(f"a fault rule is a JSON object, not {_kind(spec)}")
        if len(self.rules) >= MAX_RULES:
            raise TooManyRules(
                f"there are already {MAX_RULES} fault rules, the most the mock keeps; "
                "DELETE /_mock/faults (or POST /_mock/reset) first"
            )
        unknown = sorted(str(name) for name in set(spec) - set(RULE_FIELDS))
        if unknown:
            listed = ", ".join(clip(name) for name in first(unknown))
            raise FaultSpecError(
                f"unknown field(s) {listed}; a rule takes {', '.join(RULE_FIELDS)}"
            )
        vendor = _name("vendor", spec.get("vendor"), self.statuses)
        vendors = [vendor] if vendor else list(self.statuses)
        operation = _name(
            "operation",
            spec.get("operation"),
            sorted({op for v in vendors for op in self.operations[v]}),
        )
        path = _path(spec.get("path"))
        status = spec.get("status")
        if status is not None:
            status = _int("status", status, 400, 599)
            refusing = [v for v in vendors if status not in self.statuses[v]]
            if refusing:
                raise FaultSpecError(
                    f"status {status} is not one {refusing[0]} answers; it "
                    f"answers {', '.join(map(str, self.statuses[refusing[0]]))}"
                )
        delay = spec.get("delay_ms")
        delay = 0 if delay is None else _int("delay_ms", delay, 0, MAX_DELAY_MS)
        times = spec.get("times")
        if times is not None:
            times = _int("times", times, 1, MAX_TIMES)
        probability = _probability(spec.get("probability"))
        outcome = self._outcome(spec.get("outcome"), status)
        if status is None and delay == 0 and outcome is None:
            raise FaultSpecError("a rule needs a status, a delay_ms, or both (or an outcome)")
        rule = Rule(
            self._next_id, vendor, operation, path, status, delay, times, probability, outcome
        )
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def _outcome(self, value: Any, status: int | None) -> str | None:
        """A state a resource's lifecycle can end in (FAILED): the write it hits succeeds,
        then the resource ends there instead of its usual end."""
        if value is None:
            return None
        if not isinstance(value, str) or value not in self.outcomes:
            given = shown(value) if isinstance(value, str) else _kind(value)
            known = ", ".join(sorted(self.outcomes)) or "none"
            raise FaultSpecError(f"outcome must be one of {known}, not {given}")
        if status is not None:
            raise FaultSpecError("a rule with an outcome lets the write succeed: give no status")
        return value

    def clear(self) -> None:
        self.rules.clear()

    def listing(self) -> list[dict[str, Any]]:
        return [asdict(rule) for rule in self.rules]

    def from_rules(self, vendor: str, operation: str, path: str) -> Fault | None:
        """The first live rule that matches and fires; retires rules whose count ran out."""
        for rule in list(self.rules):
            if not rule.matches(vendor, operation, path):
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
            if rule.probability >= 1 or self.rng.random() < rule.probability:
                return Fault("rule", rule.status, rule.delay_ms, rule.id, outcome=rule.outcome)
        return None

    # --- directives ----------------------------------------------------------------

    def from_headers(self, vendor: str, headers: Mapping[str, str]) -> Fault | None:
        raw_status = headers.get("x-mock-status")
        raw_delay = headers.get("x-mock-delay-ms")
        if raw_status is None and raw_delay is None:
            return None
        status = None
        if raw_status is not None:
            status = _int("X-Mock-Status", raw_status.strip(), 400, 599)
            if status not in self.statuses[vendor]:
                raise FaultSpecError(
                    f"X-Mock-Status {status} is not one {vendor} answers; it "
                    f"answers {', '.join(map(str, self.statuses[vendor]))}"
                )
        delay = 0
        if raw_delay is not None:
            delay = _int("X-Mock-Delay-Ms", raw_delay.strip(), 0, MAX_DELAY_MS)
        return Fault("header", status, delay)

    # --- rate limits ---------------------------------------------------------------

    def from_rate_limit(self, vendor: str, client: str) -> Fault | None:
        """A token bucket of `rate` tokens refilled each second, per vendor and client."""
        rate = self.rate_limits.get(vendor)
        if rate is None:
            return None
        now = time.monotonic()
        if len(client) > KEY_KEPT:
            client = hashlib.sha256(client.encode()).hexdigest()
        key = (vendor, client)
        buckets = self._buckets
        burst = max(1.0, rate)  # below 1/s a bucket still holds the one request it allows
        tokens, last = buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        spent = tokens >= 1
        buckets[key] = (tokens - 1, now) if spent else (tokens, now)
        buckets.move_to_end(key)
        if len(buckets) > MAX_BUCKETS:
            buckets.popitem(last=False)  # the least recently seen client
        if spent:
            return None
        wait_ms = max(1, math.ceil((1 - tokens) / rate * 1000))
        return Fault("rate-limit", 429, 0, retry_after_ms=wait_ms)


def parse_rate_limit(text: str) -> tuple[str, float]:
    """`VENDOR=N/s` (or `VENDOR=N`) -> (vendor, N), N a plain decimal within the range."""
    vendor, _, rate = text.partition("=")
    rate = rate.strip().removesuffix("/s")
    if not vendor.strip() or not RATE.fullmatch(rate):
        raise FaultSpecError(
            f"a rate limit is VENDOR=N/s with N a number from {MIN_RATE:g} to {MAX_RATE:,}, "
            f"e.g. pai=5/s, not {shown(text)}"
        )
    return vendor.strip(), check_rate(vendor.strip(), float(rate))


def rate_limits(items: Iterable[str] | Mapping[str, float]) -> dict[str, float]:
    if isinstance(items, Mapping):
        return {str(k): check_rate(str(k), v) for k, v in items.items()}
    return dict(parse_rate_limit(item) for item in items)
