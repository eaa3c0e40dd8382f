"""Fault injection and rate limits: the service misbehaving, on purpose, repeatably.

Three sources, checked in this order for each request to an emulated operation:
  1. the request's own directives, `X-Mock-Status`, `X-Mock-Delay-Ms`, `X-Mock-Fault`
     and `X-Mock-Bytes-Per-S`;
  2. rules added through `POST /_mock/faults` (or `MockServer.fault`, the pytest marker):
     one answer (`status`, `fault`, `delay_ms`) or an ordered `sequence` of them, for some
     requests (`times`, `probability`), within a window of the mock's clock (`from_s`,
     `until_s`), for a vendor, operation, path glob or workspace;
  3. rate limits, a token bucket per vendor and credential (or client address).
Whatever fires is answered by the vendor in its own envelope (or broken as a transport
fault says, core.transport) and noted in the journal.
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
from datetime import UTC, datetime
from typing import Any

from mockserver.core import transport
from mockserver.core.bodies import SURROGATE
from mockserver.core.clock import Clock
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
STEP_FIELDS = ("status", "fault", "delay_ms", "bytes_per_s")
RULE_FIELDS = (
    "vendor",
    "operation",
    "path",
    "workspace",
    *STEP_FIELDS,
    "times",
    "probability",
    "sequence",
    "repeat",
    "from_s",
    "until_s",
    "outcome",
)
MAX_SEQUENCE = 100  # steps of one script
MAX_WINDOW_S = 366 * 86_400  # a window opens and closes within a year of its rule
MAX_WORKSPACE = 128
PASS = 200  # a sequence step answered as usual


class FaultSpecError(ValueError):
    """A fault rule or directive that cannot be applied; the message says why."""


class TooManyRules(FaultSpecError):
    """A rule that would exceed MAX_RULES (the control plane answers 409)."""


@dataclass(frozen=True)
class Step:
    """One answer: an injected status (or the usual answer), a transport fault, a delay."""

    status: int | None = None  # None: the operation's own answer
    fault: str | None = None  # one of core.transport.FAULTS
    delay_ms: int = 0
    bytes_per_s: int | None = None  # the pace of a `slow` body

    def shown(self) -> Any:
        """The step as a sequence lists it: 503, "reset", 200, or an object."""
        fields = {k: v for k, v in asdict(self).items() if v}
        if not fields:
            return PASS
        if len(fields) == 1 and "status" in fields:
            return self.status
        if len(fields) == 1 and "fault" in fields:
            return self.fault
        return fields


@dataclass
class Rule:
    id: int
    vendor: str | None = None
    operation: str | None = None
    path: str | None = None  # a glob over the request path, e.g. /api/v1/models/*
    workspace: str | None = None  # the vendor's workspace of the request (Vendor.workspace)
    status: int | None = None
    fault: str | None = None
    delay_ms: int = 0
    bytes_per_s: int | None = None
    times: int | None = None  # matching requests left before the rule retires; None: no end
    probability: float = 1.0
    sequence: tuple[Step, ...] = ()  # answers in this order, one per matching request
    repeat: bool = False  # after the last step, start over (else retire)
    step: int = 0  # the next step of the sequence
    opens: float | None = None  # the window on the mock's clock, seconds since the epoch
    closes: float | None = None
    outcome: str | None = None  # the state the write it hits ends in (core/lifecycle.py)

    def matches(self, vendor: str, operation: str, path: str, workspace: str | None) -> bool:
        return (
            self.vendor in (None, vendor)
            and self.operation in (None, operation)
            and (self.path is None or fnmatch.fnmatchcase(path, self.path))
            and (self.workspace is None or self.workspace == workspace)
        )

    def describe(self) -> dict[str, Any]:
        """The rule as GET /_mock/faults shows it (times left, the next step, the window)."""
        shown = {
            k: v
            for k, v in asdict(self).items()
            if k not in ("sequence", "repeat", "step", "opens", "closes")
        }
        if self.sequence:
            shown["sequence"] = [step.shown() for step in self.sequence]
            shown["repeat"] = self.repeat
            shown["next_step"] = self.step + 1
        if self.opens is not None or self.closes is not None:
            shown["window"] = {"from": _iso(self.opens), "until": _iso(self.closes)}
        return shown

    def window(self) -> str | None:
        """`from/until` for the journal, if the rule has a window."""
        if self.opens is None and self.closes is None:
            return None
        return f"{_iso(self.opens) or '-'}/{_iso(self.closes) or '-'}"


def _iso(when: float | None) -> str | None:
    if when is None:
        return None
    text = datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


@dataclass(frozen=True)
class Fault:
    """What to do to one request."""

    source: str  # header | rule | rate-limit
    status: int | None = None
    delay_ms: int = 0
    rule: int | None = None
    retry_after_ms: int | None = None
    fault: str | None = None  # a transport fault (core.transport)
    bytes_per_s: int | None = None
    step: str | None = None  # "i/n" of a sequence
    window: str | None = None  # "from/until" of a rule's window
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


def _fault(name: str, value: Any) -> str | None:
    """A transport fault's name, or null."""
    if value is None or (isinstance(value, str) and value in transport.FAULTS):
        return value
    given = shown(value) if isinstance(value, str) else _kind(value)
    raise FaultSpecError(f"{name} must be one of {', '.join(transport.FAULTS)}, not {given}")


def _seconds(name: str, value: Any) -> int | None:
    return None if value is None else _int(name, value, 0, MAX_WINDOW_S)


def _workspace(value: Any) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_WORKSPACE
        or SURROGATE.search(value)
    ):
        given = shown(value) if isinstance(value, str) else _kind(value)
        raise FaultSpecError(
            f"workspace must be a workspace id of 1 to {MAX_WORKSPACE} characters, not {given}"
        )
    return value


@dataclass(frozen=True)
class Names:
    """What the fields of one answer are called where they came from (messages say it)."""

    status: str = "status"
    fault: str = "fault"
    delay_ms: str = "delay_ms"
    bytes_per_s: str = "bytes_per_s"

    @classmethod
    def within(cls, prefix: str) -> Names:
        return cls(*(prefix + name for name in STEP_FIELDS))


HEADERS = Names("X-Mock-Status", "X-Mock-Fault", "X-Mock-Delay-Ms", "X-Mock-Bytes-Per-S")


@dataclass
class Faults:
    """The fault rules and rate-limit buckets of one app."""

    statuses: Mapping[str, tuple[int, ...]]  # vendor -> statuses it can answer
    operations: Mapping[str, tuple[str, ...]]  # vendor -> operation names
    seed: int | None = None
    initial: tuple[Mapping[str, Any], ...] = ()
    rate_limits: Mapping[str, float] = field(default_factory=dict)  # vendor -> requests/s
    clock: Clock = field(default_factory=Clock)  # windows open and close on the mock's time
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
        self._retire_closed()
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
        workspace = _workspace(spec.get("workspace"))
        times = spec.get("times")
        if times is not None:
            times = _int("times", times, 1, MAX_TIMES)
        probability = _probability(spec.get("probability"))
        repeat = spec.get("repeat")
        if repeat is not None and not isinstance(repeat, bool):
            raise FaultSpecError(f"repeat must be true or false, not {_kind(repeat)}")
        opens, closes = self._window(spec.get("from_s"), spec.get("until_s"))
        sequence: tuple[Step, ...] = ()
        step = Step()
        outcome = None
        if spec.get("sequence") is not None:
            clashing = [
                name
                for name in (*STEP_FIELDS, "times", "probability", "outcome")
                if spec.get(name) is not None
            ]
            if clashing:
                raise FaultSpecError(
                    f"a rule with a sequence takes no {clashing[0]}: each step says what it "
                    "answers, and repeat says whether the sequence starts over"
                )
            sequence = self._sequence(spec["sequence"], vendors)
        else:
            if repeat is not None:
                raise FaultSpecError("repeat is for a rule with a sequence")
            step = self._step(spec, vendors, Names())
            outcome = self._outcome(spec.get("outcome"), step)
            if step.status is None and step.fault is None and step.delay_ms == 0 and not outcome:
                raise FaultSpecError("a rule needs a status, a fault, a delay_ms, or a sequence")
        rule = Rule(
            self._next_id,
            vendor,
            operation,
            path,
            workspace,
            step.status,
            step.fault,
            step.delay_ms,
            step.bytes_per_s,
            times,
            probability,
            sequence,
            bool(repeat),
            0,
            opens,
            closes,
            outcome,
        )
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def _outcome(self, value: Any, step: Step) -> str | None:
        """A state a resource's lifecycle can end in (FAILED): the write the rule hits
        succeeds, then the resource ends there instead of its usual end."""
        if value is None:
            return None
        if not isinstance(value, str) or value not in self.outcomes:
            given = shown(value) if isinstance(value, str) else _kind(value)
            known = ", ".join(sorted(self.outcomes)) or "none"
            raise FaultSpecError(f"outcome must be one of {known}, not {given}")
        if step.status is not None or step.fault is not None:
            raise FaultSpecError(
                "a rule with an outcome lets the write succeed: give it no status or fault"
            )
        return value

    def _window(self, from_s: Any, until_s: Any) -> tuple[float | None, float | None]:
        """A window from `from_s` to `until_s` seconds from now on the mock's clock."""
        start = _seconds("from_s", from_s)
        end = _seconds("until_s", until_s)
        if start is None and end is None:
            return None, None
        if end is not None and end <= (start or 0):
            raise FaultSpecError(f"until_s must be later than from_s ({start or 0}), not {end}")
        now = self.clock.time()
        return now + (start or 0), (None if end is None else now + end)

    def _sequence(self, value: Any, vendors: list[str]) -> tuple[Step, ...]:
        if not isinstance(value, list | tuple) or not 1 <= len(value) <= MAX_SEQUENCE:
            given = f"{len(value)} steps" if isinstance(value, list | tuple) else _kind(value)
            raise FaultSpecError(
                f"sequence must be a list of 1 to {MAX_SEQUENCE} steps (statuses such as 503, "
                f"200 for the usual answer, fault names, or objects of {', '.join(STEP_FIELDS)}), "
                f"not {given}"
            )
        steps = []
        for i, item in enumerate(value):
            names = Names.within(f"sequence[{i}].")
            if isinstance(item, Mapping):
                unknown = sorted(str(name) for name in set(item) - set(STEP_FIELDS))
                if unknown:
                    raise FaultSpecError(
                        f"unknown field(s) {', '.join(clip(n) for n in first(unknown))} in "
                        f"sequence[{i}]; a step takes {', '.join(STEP_FIELDS)}"
                    )
                spec: Mapping[str, Any] = item
            elif isinstance(item, str):
                spec = {"fault": item}
            elif isinstance(item, int) and not isinstance(item, bool):
                spec = {"status": item}
            else:
                raise FaultSpecError(
                    f"sequence[{i}] must be a status, a fault name or an object, not {_kind(item)}"
                )
            steps.append(self._step(spec, vendors, names, passing=True))
        return tuple(steps)

    def _step(
        self, spec: Mapping[str, Any], vendors: list[str], names: Names, passing: bool = False
    ) -> Step:
        """One answer; `passing`: status 200 stands for the usual answer (sequence steps)."""
        fault = _fault(names.fault, spec.get("fault"))
        status = spec.get("status")
        if fault == "reset" and status is not None:
            raise FaultSpecError(f"a reset answers nothing: {names.status} does not apply")
        if fault == "gateway_page":
            status = transport.GATEWAY_DEFAULT if status is None else status
            status = _int(names.status, status, 0, 999)
            if status not in transport.GATEWAY_STATUSES:
                raise FaultSpecError(
                    f"a gateway_page answers {', '.join(map(str, transport.GATEWAY_STATUSES))}, "
                    f"not {names.status} {status}"
                )
        elif status is not None:
            status = _int(names.status, status, 200 if passing else 400, 599)
            if status == PASS and passing:
                status = None
            elif status < 400:
                raise FaultSpecError(
                    f"{names.status} must be 200 (the usual answer) or from 400 to 599, "
                    f"not {status}"
                )
            else:
                self._answered(names.status, status, vendors)
        delay = spec.get("delay_ms")
        delay = 0 if delay is None else _int(names.delay_ms, delay, 0, MAX_DELAY_MS)
        rate = spec.get("bytes_per_s")
        if rate is not None and fault != "slow":
            raise FaultSpecError(f"{names.bytes_per_s} is the pace of the slow fault only")
        if fault == "slow":
            rate = (
                transport.DEFAULT_RATE
                if rate is None
                else _int(names.bytes_per_s, rate, transport.MIN_RATE, transport.MAX_RATE)
            )
        return Step(status, fault, delay, rate)

    def _answered(self, name: str, status: int, vendors: list[str]) -> None:
        refusing = [v for v in vendors if status not in self.statuses[v]]
        if refusing:
            raise FaultSpecError(
                f"{name} {status} is not one {refusing[0]} answers; it "
                f"answers {', '.join(map(str, self.statuses[refusing[0]]))}"
            )

    def clear(self) -> None:
        self.rules.clear()

    def remove(self, rule_id: int) -> bool:
        """Retire one rule (an outage switched off); False if there is no such rule."""
        for rule in self.rules:
            if rule.id == rule_id:
                self.rules.remove(rule)
                return True
        return False

    def listing(self) -> list[dict[str, Any]]:
        self._retire_closed()
        return [rule.describe() for rule in self.rules]

    def _retire_closed(self) -> None:
        """Rules whose window has closed on the mock's clock are gone."""
        now = self.clock.time()
        self.rules[:] = [r for r in self.rules if r.closes is None or now < r.closes]

    def from_rules(
        self, vendor: str, operation: str, path: str, workspace: str | None = None
    ) -> Fault | None:
        """The first live rule that matches and fires; retires rules whose count ran out,
        whose sequence ended, or whose window closed."""
        now = None
        for rule in list(self.rules):
            if rule.opens is not None:
                now = self.clock.time() if now is None else now
                if rule.closes is not None and now >= rule.closes:
                    self.rules.remove(rule)
                    continue
                if now < rule.opens:
                    continue
            if not rule.matches(vendor, operation, path, workspace):
                continue
            if rule.sequence:
                return self._next_step(rule)
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
            if rule.probability >= 1 or self.rng.random() < rule.probability:
                return Fault(
                    "rule",
                    rule.status,
                    rule.delay_ms,
                    rule.id,
                    fault=rule.fault,
                    bytes_per_s=rule.bytes_per_s,
                    window=rule.window(),
                    outcome=rule.outcome,
                )
        return None

    def _next_step(self, rule: Rule) -> Fault:
        index, steps = rule.step, rule.sequence
        step = steps[index]
        rule.step = index + 1
        if rule.step == len(steps):
            if rule.repeat:
                rule.step = 0
            else:
                self.rules.remove(rule)
        return Fault(
            "rule",
            step.status,
            step.delay_ms,
            rule.id,
            fault=step.fault,
            bytes_per_s=step.bytes_per_s,
            step=f"{index + 1}/{len(steps)}",
            window=rule.window(),
        )

    # --- directives ----------------------------------------------------------------

    def from_headers(self, vendor: str, headers: Mapping[str, str]) -> Fault | None:
        raw = {
            "status": headers.get("x-mock-status"),
            "fault": headers.get("x-mock-fault"),
            "delay_ms": headers.get("x-mock-delay-ms"),
            "bytes_per_s": headers.get("x-mock-bytes-per-s"),
        }
        if all(value is None for value in raw.values()):
            return None
        spec = {k: v.strip() for k, v in raw.items() if v is not None}
        step = self._step(spec, [vendor], HEADERS)
        return Fault(
            "header", step.status, step.delay_ms, fault=step.fault, bytes_per_s=step.bytes_per_s
        )

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
