"""Assertions in vendor terms, over the request journal: what the code under test called.

    server.calls(vendor="pai", operation="CreateModel", where={"ModelName": "m"})
    server.assert_called("pai.CreateModel", where={"body.Labels.0.Key": "team"}, times=1)
    server.assert_not_called("dashscope.DeleteDeployment")
    server.assert_sequence(["pai.CreateModel", "pai.CreateModelVersion"])
    server.assert_signed()  # with auth "check" or "verify"

A call is one journal entry, parsed: its path parameters, query, JSON body (writes,
masked, at most 16 KiB), status and error code. `where` maps a field to the value it
must have (or a predicate): `path.<name>`, `query.<name>`, `body.<a>.<b>.<0>`, `status`,
`error`, `method`; a bare name is looked up in the path parameters, then the query, then
the body's top level. A failure names what was expected, what was seen, and the nearest
calls that did not match with why. The journal keeps the latest `journal_size` requests
(1000 by default): assertions see those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NEAREST = 3  # calls shown that did not match, nearest first
TAIL = 10  # journal entries shown by strict mode
SHOWN = 80  # characters of a value a message repeats
_MISSING = object()

Where = Mapping[str, Any]


@dataclass(frozen=True)
class Call:
    """One request to the mock as the code under test made it, and how it was answered."""

    vendor: str | None
    operation: str | None
    method: str
    path: str
    path_params: dict[str, Any]
    query: dict[str, Any]
    body: Any
    status: int
    error: str | None = None  # the vendor's error code, when the answer was an error
    auth: str | None = None  # "ok", "refused", or None where no credential check ran
    fault: dict[str, Any] | None = None
    time: str = ""
    request_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> Call:
        """A call from a journal entry (GET /_mock/requests, MockServer.requests())."""
        return cls(
            vendor=entry.get("vendor"),
            operation=entry.get("operation"),
            method=entry["method"],
            path=entry["path"],
            path_params=dict(entry.get("path_params") or {}),
            query=dict(entry.get("query") or {}),
            body=entry.get("body"),
            status=entry["status"],
            error=entry.get("error"),
            auth=entry.get("auth"),
            fault=entry.get("fault"),
            time=entry.get("time", ""),
            request_id=entry.get("request_id"),
            headers=dict(entry.get("headers") or {}),
        )

    @property
    def name(self) -> str:
        """`vendor.Operation`, or what is known of it (`pai.-`, `-`)."""
        if self.vendor is None:
            return "-"
        return f"{self.vendor}.{self.operation or '-'}"

    def __str__(self) -> str:
        query = "&".join(
            f"{k}={x}" for k, v in self.query.items() for x in (v if isinstance(v, list) else [v])
        )
        target = self.path + ("?" + query if query else "")
        answer = f"{self.status}" + (f" {self.error}" if self.error else "")
        extra = f" [fault {self.fault}]" if self.fault else ""
        return f"{self.method} {_clip(target)} -> {answer} ({self.name}){extra}"

    def value(self, key: str) -> Any:
        """The value `where` compares for `key` (see the module's doc), or _MISSING."""
        head, _, rest = key.partition(".")
        if head in ("status", "error", "method", "auth") and not rest:
            return getattr(self, head)
        if rest and head in ("path", "query", "body", "headers"):
            source = {
                "path": self.path_params,
                "query": self.query,
                "body": self.body,
                "headers": self.headers,
            }[head]
            return _dig(source, rest)
        for source in (self.path_params, self.query):
            if key in source:
                return source[key]
        return _dig(self.body, key)


def _dig(value: Any, dotted: str) -> Any:
    """`value` at the dotted path (`Labels.0.Key`), or _MISSING."""
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _shown(value: Any) -> str:
    if value is _MISSING:
        return "missing"
    if callable(value):
        return getattr(value, "__name__", "a predicate")
    return _clip(repr(value))


# --- matching -------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a call must be: vendor, operation, `where` fields, status."""

    vendor: str | None = None
    operation: str | None = None
    where: Where = field(default_factory=dict)
    status: int | None = None

    @classmethod
    def of(
        cls,
        operation: str | None = None,
        *,
        vendor: str | None = None,
        where: Where | None = None,
        status: int | None = None,
    ) -> Expected:
        """`operation` may be `vendor.Operation`; `vendor` alone matches all its calls."""
        if operation is not None and "." in operation and vendor is None:
            vendor, operation = operation.split(".", 1)
        return cls(vendor, operation, dict(where or {}), status)

    def __str__(self) -> str:
        name = f"{self.vendor or '*'}.{self.operation or '*'}"
        parts = [name]
        if self.where:
            parts.append(
                "where {" + ", ".join(f"{k}: {_shown(v)}" for k, v in self.where.items()) + "}"
            )
        if self.status is not None:
            parts.append(f"status {self.status}")
        return " ".join(parts)

    def misses(self, call: Call, *, fields: bool = True) -> list[str]:
        """Why `call` is not this (empty when it is), most telling first; a call of
        another operation is told by that alone unless `fields`."""
        found: list[str] = []
        if self.vendor is not None and call.vendor != self.vendor:
            found.append(f"vendor {call.vendor or '(none)'}, not {self.vendor}")
        if self.operation is not None and call.operation != self.operation:
            found.append(
                f"operation {call.operation or '(none: no such route)'}, not {self.operation}"
            )
        if found and not fields:
            return found
        if self.status is not None and call.status != self.status:
            found.append(f"status {call.status}, not {self.status}")
        for key, wanted in self.where.items():
            got = call.value(key)
            if callable(wanted):
                ok = got is not _MISSING and bool(wanted(got))
                if not ok:
                    found.append(f"{key}: {_shown(got)} does not satisfy {_shown(wanted)}")
            elif got is _MISSING or got != wanted:
                found.append(f"{key}: {_shown(got)}, not {_shown(wanted)}")
        return found

    def kind_misses(self, call: Call) -> int:
        """1 when the vendor or operation differs: such calls rank after the others."""
        return int(
            (self.vendor is not None and call.vendor != self.vendor)
            or (self.operation is not None and call.operation != self.operation)
        )


def select(calls: Iterable[Call], expected: Expected) -> list[Call]:
    return [c for c in calls if not expected.misses(c)]


def nearest(calls: Sequence[Call], expected: Expected, limit: int = NEAREST) -> list[str]:
    """The calls closest to matching, newest first among equals, each with why not."""
    ranked = sorted(
        ((expected.kind_misses(c), len(expected.misses(c)), -i, c) for i, c in enumerate(calls)),
        key=lambda item: item[:3],
    )
    lines: list[str] = []
    for _, count, _, call in ranked:
        if count and len(lines) < limit:
            lines.append(f"  - {call}: " + "; ".join(expected.misses(call, fields=False)))
    return lines


class MockAssertionError(AssertionError):
    """An assertion about the calls that failed; the message says what was seen."""


def _times(n: int) -> str:
    return f"{n} time" + ("" if n == 1 else "s")


def _nearest_block(calls: Sequence[Call], expected: Expected) -> str:
    if not calls:
        return "\nNo calls were journaled."
    lines = nearest(calls, expected)
    if not lines:
        return ""
    return "\nNearest calls that did not match:\n" + "\n".join(lines)


def assert_called(
    calls: Sequence[Call], expected: Expected, times: int | None = None
) -> list[Call]:
    """The matching calls; MockAssertionError unless there is at least one (exactly
    `times`, when given)."""
    found = select(calls, expected)
    if (times is None and found) or (times is not None and len(found) == times):
        return found
    wanted = "at least once" if times is None else _times(times)
    message = f"expected {expected} to be called {wanted}; it was called {_times(len(found))}."
    if found:
        message += "\nMatching calls:\n" + "\n".join(f"  - {c}" for c in found[: NEAREST * 3])
    raise MockAssertionError(message + _nearest_block(calls, expected))


def assert_not_called(calls: Sequence[Call], expected: Expected) -> None:
    found = select(calls, expected)
    if found:
        raise MockAssertionError(
            f"expected {expected} not to be called; it was called {_times(len(found))}:\n"
            + "\n".join(f"  - {c}" for c in found[: NEAREST * 3])
        )


Step = str | Mapping[str, Any] | Expected


def step_of(step: Step) -> Expected:
    """A step of a sequence: `"vendor.Operation"`, an Expected, or a mapping of
    Expected.of's keywords (`{"operation": "pai.CreateModel", "where": {...}}`)."""
    if isinstance(step, Expected):
        return step
    if isinstance(step, str):
        return Expected.of(step)
    return Expected.of(**dict(step))


def assert_sequence(calls: Sequence[Call], steps: Sequence[Step]) -> list[Call]:
    """The calls matching `steps` in this order (others may come between); else which
    step was not found after the previous one, and the calls after it with why not."""
    expected = [step_of(s) for s in steps]
    matched: list[Call] = []
    position = 0
    for number, step in enumerate(expected, 1):
        index = next((i for i in range(position, len(calls)) if not step.misses(calls[i])), None)
        if index is None:
            after = f"after {matched[-1]}" if matched else "at all"
            rest = calls[position:]
            earlier = select(calls[:position], step)
            message = (
                f"expected the sequence {' -> '.join(map(str, expected))}; step {number} "
                f"({step}) was not called {after}."
            )
            if earlier:
                message += f"\nIt was called before that: {earlier[-1]}"
            raise MockAssertionError(message + _nearest_block(rest, step))
        matched.append(calls[index])
        position = index + 1
    return matched


def assert_signed(calls: Sequence[Call], auth_mode: str) -> None:
    """Every call to an emulated operation passed the credential check (auth `check` or
    `verify`); calls answered by an injected fault never reached it and are left out."""
    if auth_mode == "off":
        raise MockAssertionError(
            "assert_signed needs the server's credential check: start it with "
            "auth='check' or auth='verify' (it is 'off')"
        )
    checked = [c for c in calls if c.operation is not None and c.fault is None]
    unsigned = [c for c in checked if c.auth != "ok"]
    if unsigned:
        raise MockAssertionError(
            f"expected every request to be signed ({auth_mode}); {len(unsigned)} of "
            f"{len(checked)} were refused by the credential check:\n"
            + "\n".join(f"  - {c}" for c in unsigned[: NEAREST * 3])
        )


# --- strict mode ----------------------------------------------------------------------


def strict_problems(
    calls: Sequence[Call], rules: Sequence[Mapping[str, Any]], known_rules: Iterable[int] = ()
) -> list[str]:
    """What a strict test fails for: a call to no emulated route, a request refused as
    invalid (a 400 or 422 that no fault or credential check caused), a fault rule added
    during the test (not in `known_rules`) that no request used."""
    problems = []
    for call in calls:
        if call.operation is None:
            problems.append(f"unknown route: {call}")
        elif call.status in (400, 422) and call.fault is None and call.auth != "refused":
            problems.append(f"invalid request: {call}")
    used = {c.fault.get("rule") for c in calls if c.fault}
    skip = set(known_rules)
    for rule in rules:
        if rule["id"] not in used and rule["id"] not in skip:
            shown = {k: v for k, v in rule.items() if v is not None and k != "id"}
            problems.append(f"fault rule {rule['id']} was never used: {shown}")
    return problems


def tail(calls: Sequence[Call], n: int = TAIL) -> str:
    """The last `n` calls, one a line, for a failure message."""
    if not calls:
        return "(the journal is empty)"
    shown = calls[-n:]
    lines = [f"  {c.time} {c}" for c in shown]
    if len(calls) > n:
        lines.insert(0, f"  ... {len(calls) - n} earlier")
    return "\n".join(lines)


def strict_failure(problems: Sequence[str], calls: Sequence[Call]) -> str:
    return (
        "mockserver strict mode: "
        + f"{len(problems)} problem(s)\n"
        + "\n".join(f"  - {p}" for p in problems)
        + "\nThe journal's last requests:\n"
        + tail(calls)
    )
