"""Resources that change state by themselves: one declared table per kind, one machine.

A vendor declares, for each kind of resource, a table of rows (state, event, next state,
when) and how a record shows a state (`Kind.becomes`); nothing about timing. A "now"
row is taken by the write that fires its event (create -> PENDING, delete -> DELETING);
a "later" row is taken by the mock itself once the timing mode says it is due:

    immediate    at the first read after the state began
    reads:N      after N reads have shown the state (a get, or a list page holding it)
    seconds:S    once S seconds of the mock's clock have passed since the state began
    manual       only when told (POST /_mock/transitions, MockServer.transition)

Nothing runs in the background: a read settles the resource it shows first (`settle`),
at the cost of that one resource, so a read sees the state the clock and the reads say.
From a state with several "later" rows the first is the usual end, the others are
outcomes a fault rule or a test can choose (PENDING -> FAILED instead of RUNNING).
Every change of state is logged: resource, from, to, and why.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal, Protocol

from mockserver.core.clock import Clock
from mockserver.core.fixtures import Record
from mockserver.core.store import Change

When = Literal["now", "later"]
LOG_SIZE = 1000  # transitions kept for GET /_mock/transitions, oldest out first


class LifecycleError(ValueError):
    """A request the lifecycle refuses (an event its state does not take, an unknown
    resource or state); the message says why, `allowed` what would have been taken."""

    def __init__(self, message: str, allowed: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.allowed = tuple(allowed)


@dataclass(frozen=True)
class Row:
    """One transition: from `state` (None: not there yet) on `event` to `next` (None:
    removed), taken by the event's own write ("now") or by the timing mode ("later")."""

    state: str | None
    event: str
    next: str | None
    when: When = "now"


@dataclass(frozen=True)
class Table:
    """The declared transitions of one kind of resource, checked once when declared."""

    states: tuple[str, ...]
    rows: tuple[Row, ...]

    def __post_init__(self) -> None:
        seen: set[tuple[str | None, str]] = set()
        for row in self.rows:
            for end in (row.state, row.next):
                if end is not None and end not in self.states:
                    raise ValueError(f"row {row}: {end!r} is not one of {self.states}")
            if row.when == "later" and row.state is None:
                raise ValueError(f"row {row}: a 'later' row starts from a state")
            if row.when == "now":
                if (row.state, row.event) in seen:
                    raise ValueError(f"row {row}: two rows for one state and event")
                seen.add((row.state, row.event))

    @cached_property
    def _now(self) -> dict[tuple[str | None, str], Row]:
        return {(r.state, r.event): r for r in self.rows if r.when == "now"}

    @cached_property
    def _later(self) -> dict[str, tuple[Row, ...]]:
        found: dict[str, list[Row]] = {}
        for row in self.rows:
            if row.when == "later" and row.state is not None:
                found.setdefault(row.state, []).append(row)
        return {state: tuple(rows) for state, rows in found.items()}

    def on(self, state: str | None, event: str) -> Row | None:
        """The row `event` takes from `state` now, if the table has one."""
        return self._now.get((state, event))

    def events(self, state: str | None) -> list[str]:
        """The events `state` takes (for a refusal's message)."""
        return [r.event for r in self.rows if r.when == "now" and r.state == state]

    def later(self, state: str) -> tuple[Row, ...]:
        """The rows the mock takes by itself from `state`; the first is the usual end."""
        return self._later.get(state, ())

    def outcome(self, state: str, chosen: str | None) -> Row | None:
        """The 'later' row out of `state` ending in `chosen` (None: the usual one)."""
        rows = self.later(state)
        if chosen is None:
            return rows[0] if rows else None
        return next((r for r in rows if r.next == chosen), None)


@dataclass(frozen=True)
class Kind:
    """A vendor's resource with a lifecycle: where its records are and how a state shows.

    `becomes(record, state, now)` is the record as it is once in `state` from `now` on
    (a new dict: its state field, its modified time, what the state implies).
    """

    name: str  # e.g. "deployment"
    collection: str  # the store collection holding its records
    key: str  # the field holding its id (the collection's one-field key)
    state: str  # the field holding its state
    table: Table
    becomes: Callable[[Record, str, datetime], Record]


TIMING = re.compile(r"(immediate|manual)|(reads):([0-9]{1,6})|(seconds):([0-9]{1,7}(?:\.[0-9]+)?)")
TIMING_HELP = "immediate, reads:N (N reads first), seconds:S (of the mock's clock) or manual"


@dataclass(frozen=True)
class Timing:
    """When 'later' rows are due (see the module's docstring)."""

    mode: Literal["immediate", "reads", "seconds", "manual"]
    amount: float = 0

    @classmethod
    def parse(cls, text: str) -> Timing:
        """`immediate`, `reads:N`, `seconds:S` or `manual`; ValueError otherwise."""
        found = TIMING.fullmatch(text.strip()) if isinstance(text, str) else None
        if found is None:
            shown = text[:64] if isinstance(text, str) else type(text).__name__
            raise ValueError(f"a timing mode is {TIMING_HELP}, not {shown!r}")
        simple, reads, n, seconds, s = found.groups()
        if simple:
            return cls("immediate" if simple == "immediate" else "manual")
        if reads:
            return cls("reads", int(n))
        return cls("seconds", float(s))

    def __str__(self) -> str:
        if self.mode in ("immediate", "manual"):
            return self.mode
        return f"{self.mode}:{self.amount:g}"

    def due(self, since: float, reads: int, now: float) -> bool:
        if self.mode == "immediate":
            return True
        if self.mode == "reads":
            return reads >= self.amount
        if self.mode == "seconds":
            return now >= since + self.amount
        return False

    def why(self) -> str:
        """The reason a transition due by this mode is logged with."""
        if self.mode == "reads":
            return f"{self.amount:g} read(s) showed it"
        if self.mode == "seconds":
            return f"{self.amount:g} s of the mock's clock passed"
        return "immediate"


@dataclass
class Pending:
    """A resource in a state the mock leaves by itself: since when, read how often."""

    state: str
    since: float
    reads: int = 0
    outcome: str | None = None  # the end a fault or a test chose; None: the usual one


class Records(Protocol):
    """What the machine needs of the store (core.store.Store): records by key, changes."""

    records: dict[str, dict[str, dict[tuple[Any, ...], Record]]]

    def apply(self, vendor: str, changes: Sequence[Change], source: str = ...) -> None: ...


Key = tuple[str, str, str]  # vendor, kind, resource id


@dataclass
class Lifecycle:
    """The machine: every kind's table, the timing mode, what is pending, the log.

    Pending entries exist only for resources seen in a state with a 'later' row (one
    per such record the store holds, at most), each found by its key in O(1).
    """

    store: Records
    clock: Clock
    timing: Timing
    kinds: Mapping[str, Sequence[Kind]]  # vendor -> its kinds
    initial: Timing = field(init=False)
    pending: dict[Key, Pending] = field(default_factory=dict)
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))

    def __post_init__(self) -> None:
        self.initial = self.timing

    def reset(self) -> None:
        """Back to the timing mode given at start, nothing pending, an empty log."""
        self.timing = self.initial
        self.pending.clear()
        self.log.clear()

    def kind(self, vendor: str, name: str | None = None) -> Kind:
        """A vendor's kind by name (the only one when `name` is None); LifecycleError."""
        kinds = self.kinds.get(vendor, ())
        names = [k.name for k in kinds]
        found = [k for k in kinds if name in (None, k.name)]
        if len(found) != 1:
            what = "a kind" if name is None and kinds else f"kind {name!r}"
            raise LifecycleError(
                f"{vendor!r} has no lifecycle of {what}; known: "
                + (", ".join(f"{v}/{k.name}" for v, ks in self.kinds.items() for k in ks)),
                names,
            )
        return found[0]

    # --- writes -----------------------------------------------------------------------

    def on(self, kind: Kind, key: str, state: str | None, event: str) -> Row:
        """The row `event` takes from `state` (the write then makes the record so, and
        reports it with `entered`); LifecycleError if the table has none."""
        row = kind.table.on(state, event)
        if row is None:
            allowed = kind.table.events(state)
            raise LifecycleError(
                f"{kind.name} {key} is {state}, which does not take {event}"
                + (f" (it takes: {', '.join(allowed)})" if allowed else ""),
                allowed,
            )
        return row

    # --- reads ------------------------------------------------------------------------

    def settle(self, vendor: str, kind: Kind, record: Record) -> Record | None:
        """`record` as a read must show it now: a due 'later' row is taken first (the
        store changes), else the read is counted. None: the resource is gone."""
        key = record[kind.key]
        state = record[kind.state]
        held = (vendor, kind.name, key)
        pending = self.pending.get(held)
        if pending is None or pending.state != state:
            if not kind.table.later(state):
                return record
            pending = self.pending[held] = Pending(state, self.clock.time())
        if not self.timing.due(pending.since, pending.reads, self.clock.time()):
            pending.reads += 1
            return record
        return self.take(vendor, kind, record, pending.outcome, self.timing.why())

    def take(
        self, vendor: str, kind: Kind, record: Record, outcome: str | None, why: str
    ) -> Record | None:
        """Take the 'later' row out of the record's state now (the usual one, or the one
        ending in `outcome`); the record unchanged if its state has none."""
        row = kind.table.outcome(record[kind.state], outcome)
        if row is None:
            return record
        return self._become(vendor, kind, record, row.next, f"{row.event}: {why}")

    def force(
        self, vendor: str, kind: Kind, key: str, state: str | None, why: str = "forced"
    ) -> Record | None:
        """Move a held resource into `state` (any of the table's), or along its usual
        'later' row when `state` is None (what `manual` waits for)."""
        record = self.store.records[vendor][kind.collection].get((key,))
        if record is None:
            raise LifecycleError(f"no {kind.name} {key!r} is held by {vendor}")
        if state is None:
            pending = self.pending.get((vendor, kind.name, key))
            outcome = pending.outcome if pending and pending.state == record[kind.state] else None
            if not kind.table.later(record[kind.state]):
                raise LifecycleError(
                    f"{kind.name} {key} is {record[kind.state]}, which it leaves only on a "
                    "request; name a state to force it into one",
                    kind.table.states,
                )
            return self.take(vendor, kind, record, outcome, "told")
        if state not in kind.table.states:
            raise LifecycleError(
                f"{state!r} is not a state of {kind.name}; known: {', '.join(kind.table.states)}",
                kind.table.states,
            )
        return self._become(vendor, kind, record, state, why)

    # --- in common ----------------------------------------------------------------------

    def _become(
        self, vendor: str, kind: Kind, record: Record, state: str | None, why: str
    ) -> Record | None:
        new = None if state is None else kind.becomes(record, state, self.clock.now())
        self.store.apply(vendor, [Change(kind.collection, record, new)], source="lifecycle")
        self.entered(vendor, kind, record[kind.key], record[kind.state], state, why)
        return new

    def entered(
        self,
        vendor: str,
        kind: Kind,
        key: str,
        before: str | None,
        after: str | None,
        why: str,
        outcome: str | None = None,
    ) -> None:
        """Note a change made (the log, and what is pending from now on); `outcome`
        chooses the end of the state entered (a fault rule's FAILED), if it has that end."""
        held = (vendor, kind.name, key)
        self.pending.pop(held, None)
        if after is not None and kind.table.later(after):
            chosen = outcome if kind.table.outcome(after, outcome) is not None else None
            self.pending[held] = Pending(after, self.clock.time(), outcome=chosen)
        if before != after:
            self.log.append(
                {
                    "time": self.clock.now().isoformat(timespec="milliseconds"),
                    "vendor": vendor,
                    "kind": kind.name,
                    "resource": key,
                    "from": before,
                    "to": after,
                    "why": why,
                }
            )

    def transitions(self) -> list[dict[str, Any]]:
        """The log, oldest first (at most LOG_SIZE)."""
        return list(self.log)

    def states(self) -> dict[str, dict[str, list[str]]]:
        """vendor -> kind -> its states (what a force may name)."""
        return {v: {k.name: list(k.table.states) for k in ks} for v, ks in self.kinds.items()}


def outcomes(kinds: Iterable[Kind]) -> frozenset[str]:
    """The states a 'later' row can end in: what a fault rule's `outcome` may name."""
    return frozenset(r.next for k in kinds for r in k.table.rows if r.when == "later" and r.next)
