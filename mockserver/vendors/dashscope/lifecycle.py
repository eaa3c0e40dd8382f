"""DashScope: a deployment's lifecycle, declared (core/lifecycle.py moves it).

The six documented states (deployment object page): PENDING while it is being created,
UPDATING while a scale is applied, RUNNING, STOPPED (reached only through the control
plane: no API stops one), DELETING, and FAILED (a create or scale that failed: a fault
rule's `outcome`, or the control plane). Deleting ends in the record's removal.
"""

from __future__ import annotations

from datetime import datetime

from mockserver.core.fixtures import Record
from mockserver.core.lifecycle import Kind, Row, Table

STATES = ("PENDING", "UPDATING", "RUNNING", "STOPPED", "DELETING", "FAILED")
TABLE = Table(
    states=STATES,
    rows=(
        Row(None, "create", "PENDING"),
        Row("PENDING", "deployed", "RUNNING", "later"),
        Row("PENDING", "failed", "FAILED", "later"),
        Row("RUNNING", "scale", "UPDATING"),
        Row("UPDATING", "scaled", "RUNNING", "later"),
        Row("UPDATING", "failed", "FAILED", "later"),
        # throttling changes no state; a deployment on its way out takes none
        *(Row(state, "update", state) for state in ("PENDING", "UPDATING", "RUNNING")),
        *(Row(state, "delete", "DELETING") for state in STATES),
        Row("DELETING", "deleted", None, "later"),
    ),
)
MOVING = frozenset(state for state in STATES if TABLE.later(state))  # left by themselves


def stamp(now: datetime) -> str:
    """A time as Model Studio writes it: no zone, whole seconds (2025-06-17T11:00:38)."""
    return now.strftime("%Y-%m-%dT%H:%M:%S")


def modified(record: Record, now: datetime) -> str:
    """gmt_modified for a change now, never before gmt_create (the clock may be set back)."""
    return max(stamp(now), str(record["gmt_create"]))


def becomes(record: Record, state: str, now: datetime) -> Record:
    """The deployment once in `state`: serving its capacity when RUNNING, none when
    PENDING or STOPPED; what was ready stays so otherwise (a failed scale keeps serving
    what it served)."""
    new = {**record, "status": state, "gmt_modified": modified(record, now)}
    if state == "RUNNING":
        new["ready_capacity"] = record["capacity"]
    elif state in ("PENDING", "STOPPED"):
        new["ready_capacity"] = 0
    return new


DEPLOYMENT = Kind("deployment", "deployments", "deployed_model", "status", TABLE, becomes)
