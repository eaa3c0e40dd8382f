"""The lifecycle core: a declared table read by one machine, timed by reads or a clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest

from mockserver.core.clock import Clock
from mockserver.core.fixtures import Record
from mockserver.core.lifecycle import (
    Kind,
    Lifecycle,
    LifecycleError,
    Row,
    Table,
    Timing,
    outcomes,
)
from mockserver.core.store import Change

TABLE = Table(
    states=("NEW", "BUSY", "UP", "BROKEN", "ENDING"),
    rows=(
        Row(None, "make", "NEW"),
        Row("NEW", "made", "UP", "later"),
        Row("NEW", "broke", "BROKEN", "later"),
        Row("UP", "resize", "BUSY"),
        Row("BUSY", "resized", "UP", "later"),
        Row("UP", "drop", "ENDING"),
        Row("ENDING", "dropped", None, "later"),
    ),
)


def becomes(record: Record, state: str, now: datetime) -> Record:
    return {**record, "state": state, "at": now.timestamp()}


KIND = Kind("thing", "things", "id", "state", TABLE, becomes)


class FakeStore:
    """Records by key and the store's change set, nothing else."""

    def __init__(self, *records: Record) -> None:
        self.records: dict[str, dict[str, dict[tuple[Any, ...], Record]]] = {
            "v": {"things": {(r["id"],): r for r in records}}
        }
        self.applied: list[Change] = []

    def apply(self, vendor: str, changes: Sequence[Change], source: str = "request") -> None:
        held = self.records[vendor]["things"]
        for change in changes:
            if change.old is not None:
                del held[(change.old["id"],)]
            if change.new is not None:
                held[(change.new["id"],)] = change.new
            self.applied.append(change)

    def get(self, key: str) -> Record | None:
        return self.records["v"]["things"].get((key,))


def machine(timing: str, *records: Record) -> tuple[Lifecycle, FakeStore, Clock]:
    clock = Clock(wall=lambda: 1000.0)
    store = FakeStore(*records)
    return Lifecycle(store, clock, Timing.parse(timing), {"v": (KIND,)}), store, clock


def create(life: Lifecycle, store: FakeStore, key: str, outcome: str | None = None) -> Record:
    """What a vendor's create handler does: the row, the record, the report."""
    row = life.on(KIND, key, None, "make")
    assert row.next is not None
    record = {"id": key, "state": row.next}
    store.apply("v", [Change("things", None, record)])
    life.entered("v", KIND, key, None, row.next, "make", outcome)
    return record


def read(life: Lifecycle, store: FakeStore, key: str) -> str | None:
    record = store.get(key)
    assert record is not None
    settled = life.settle("v", KIND, record)
    return None if settled is None else str(settled["state"])


def test_the_table_refuses_rows_naming_unknown_states() -> None:
    with pytest.raises(ValueError, match="not one of"):
        Table(("A",), (Row("A", "go", "B"),))
    with pytest.raises(ValueError, match="starts from a state"):
        Table(("A",), (Row(None, "go", "A", "later"),))
    with pytest.raises(ValueError, match="two rows"):
        Table(("A", "B"), (Row("A", "go", "B"), Row("A", "go", "A")))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("immediate", "immediate"),
        ("manual", "manual"),
        ("reads:3", "reads:3"),
        ("seconds:600", "seconds:600"),
        ("seconds:0.5", "seconds:0.5"),
    ],
)
def test_timing_modes_read_back(text: str, shown: str) -> None:
    assert str(Timing.parse(text)) == shown


@pytest.mark.parametrize("text", ["", "soon", "reads", "reads:-1", "seconds:1e9", "reads:x"])
def test_bad_timing_modes_say_what_is_taken(text: str) -> None:
    with pytest.raises(ValueError, match="reads:N"):
        Timing.parse(text)


def test_immediate_the_first_read_sees_the_end() -> None:
    life, store, _ = machine("immediate")
    assert create(life, store, "a")["state"] == "NEW"
    assert read(life, store, "a") == "UP"
    assert read(life, store, "a") == "UP"


def test_after_n_reads() -> None:
    life, store, _ = machine("reads:2")
    create(life, store, "a")
    assert [read(life, store, "a") for _ in range(4)] == ["NEW", "NEW", "UP", "UP"]


def test_after_seconds_of_the_clock_only() -> None:
    life, store, clock = machine("seconds:600")
    create(life, store, "a")
    assert [read(life, store, "a") for _ in range(5)] == ["NEW"] * 5
    clock.advance(599)
    assert read(life, store, "a") == "NEW"
    clock.advance(1)
    assert read(life, store, "a") == "UP"


def test_manual_waits_to_be_told() -> None:
    life, store, clock = machine("manual")
    create(life, store, "a")
    clock.advance(10**6)
    assert [read(life, store, "a") for _ in range(5)] == ["NEW"] * 5
    told = life.force("v", KIND, "a", None)
    assert told is not None and told["state"] == "UP"


def test_a_chosen_outcome_ends_the_state_there() -> None:
    life, store, _ = machine("immediate")
    create(life, store, "a", outcome="BROKEN")
    assert read(life, store, "a") == "BROKEN"
    assert life.transitions()[-1]["why"] == "broke: immediate"


def test_an_outcome_the_state_cannot_end_in_is_ignored() -> None:
    life, store, _ = machine("immediate")
    create(life, store, "a", outcome="ENDING")
    assert read(life, store, "a") == "UP"


def test_a_later_row_to_nothing_removes_the_resource() -> None:
    life, store, _ = machine("reads:1", {"id": "a", "state": "UP"})
    row = life.on(KIND, "a", "UP", "drop")
    assert row.next == "ENDING"
    old = store.get("a")
    assert old is not None
    store.apply("v", [Change("things", old, becomes(old, "ENDING", datetime.now()))])
    life.entered("v", KIND, "a", "UP", "ENDING", "drop")
    assert read(life, store, "a") == "ENDING"
    assert read(life, store, "a") is None
    assert store.get("a") is None
    assert life.transitions()[-1] == {
        "time": life.transitions()[-1]["time"],
        "vendor": "v",
        "kind": "thing",
        "resource": "a",
        "from": "ENDING",
        "to": None,
        "why": "dropped: 1 read(s) showed it",
    }


def test_an_event_the_state_does_not_take_is_refused_naming_those_it_takes() -> None:
    life, _, _ = machine("immediate")
    with pytest.raises(LifecycleError, match="NEW, which does not take resize") as caught:
        life.on(KIND, "a", "NEW", "resize")
    assert caught.value.allowed == ()
    with pytest.raises(LifecycleError, match=r"takes: resize, drop"):
        life.on(KIND, "a", "UP", "make")


def test_seeded_resources_start_their_timer_when_first_seen() -> None:
    life, store, clock = machine("seconds:60", {"id": "s", "state": "BUSY"})
    clock.advance(3600)
    assert read(life, store, "s") == "BUSY"
    clock.advance(60)
    assert read(life, store, "s") == "UP"


def test_a_resource_in_a_settled_state_is_neither_tracked_nor_changed() -> None:
    life, store, _ = machine("immediate", {"id": "s", "state": "UP"})
    assert read(life, store, "s") == "UP"
    assert life.pending == {}
    assert store.applied == []


def test_force_into_any_state_and_the_timer_starts_there() -> None:
    life, store, _ = machine("reads:1", {"id": "s", "state": "UP"})
    forced = life.force("v", KIND, "s", "BUSY")
    assert forced is not None and forced["state"] == "BUSY"
    assert read(life, store, "s") == "BUSY"
    assert read(life, store, "s") == "UP"
    assert [(t["from"], t["to"], t["why"]) for t in life.transitions()] == [
        ("UP", "BUSY", "forced"),
        ("BUSY", "UP", "resized: 1 read(s) showed it"),
    ]


def test_force_refuses_unknown_states_and_resources() -> None:
    life, _, _ = machine("immediate", {"id": "s", "state": "UP"})
    with pytest.raises(LifecycleError, match="not a state of thing; known: NEW, BUSY"):
        life.force("v", KIND, "s", "GONE")
    with pytest.raises(LifecycleError, match="no thing 'x'"):
        life.force("v", KIND, "x", "UP")
    with pytest.raises(LifecycleError, match="leaves only on a request"):
        life.force("v", KIND, "s", None)


def test_kinds_are_found_by_vendor_and_name() -> None:
    life, _, _ = machine("immediate")
    assert life.kind("v") is KIND
    assert life.kind("v", "thing") is KIND
    with pytest.raises(LifecycleError, match="known: v/thing"):
        life.kind("w")
    assert life.states() == {"v": {"thing": list(TABLE.states)}}
    assert outcomes([KIND]) == {"UP", "BROKEN"}


def test_reset_forgets_what_is_pending_and_the_mode_set_since() -> None:
    life, store, _ = machine("reads:5")
    create(life, store, "a")
    life.timing = Timing.parse("manual")
    life.reset()
    assert (life.pending, life.transitions(), str(life.timing)) == ({}, [], "reads:5")


def test_the_log_is_bounded() -> None:
    life, store, _ = machine("immediate")
    for i in range(1100):
        create(life, store, f"r{i}")
    assert len(life.transitions()) == 1000
    assert life.transitions()[0]["resource"] == "r100"


def test_the_core_names_no_vendor() -> None:
    from pathlib import Path

    import mockserver.core.lifecycle as module

    text = Path(module.__file__).read_text().lower()
    assert not [v for v in ("dashscope", "huawei", "pai", "dreadnode") if v in text]
