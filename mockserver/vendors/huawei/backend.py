"""Huawei DataArts Fabric: data rules (collections, links, defaults) and the backend.

The store builds the backend once from the loaded records, then changes it one record
at a time (`add`, `remove`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockserver.core import listing
from mockserver.core.bounded import Bounded, size_of
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.jsonbytes import Bodies, RawCache
from mockserver.vendors.huawei.errors import NOT_FOUND, Error

NAME = "huawei"  # what the store files this vendor's records and backend under


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _check_times(record: Record) -> Iterable[tuple[str, str]]:
    if _time(record["update_time"]) < _time(record["create_time"]):
        yield "$.update_time", "must not be earlier than create_time"
    version = record.get("current_version")
    if version and _time(version["create_time"]) < _time(record["create_time"]):
        yield "$.current_version.create_time", "must not be earlier than the model's create_time"


COLLECTIONS = (
    Collection("workspaces", "huawei/workspace.record", key=("id",)),
    Collection(
        "models",
        "huawei/model.record",
        key=("id",),
        link=Link("workspace_id", "workspaces", "id"),
        checks=(_check_times,),
    ),
)
MODELS = COLLECTIONS[1]

RESULTS_BUDGET = 2**20  # bytes of filtered lists kept per workspace, keys included
SORT_KEYS: dict[str, Callable[[Record], Any]] = {
    "CREATE_TIME": lambda m: _time(m["create_time"]),
    "UPDATE_TIME": lambda m: _time(m["update_time"]),
    "NAME": lambda m: m["name"],
}


@dataclass
class Workspace:
    caller: str  # user_id of whom the mock takes the caller to be
    models: list[Record]  # in fixture order
    # (sort_by, order_by) -> models, sorted on first use (start-up stays quick)
    orderings: dict[tuple[str, str], list[Record]] = field(default_factory=dict)
    # filtered lists by their whole query; identical queries are common in tests. Bounded
    # in bytes (a list of a hundred thousand models is 800 KB of references)
    results: Bounded[tuple[Any, ...], list[Record]] = field(
        default_factory=lambda: Bounded(RESULTS_BUDGET, lambda k, v: size_of(k) + 8 * len(v))
    )
    # (sort_by, order_by, visibility) -> (models, their names in lower case), made on use
    views: dict[tuple[str, str, str | None], tuple[list[Record], list[str]]] = field(
        default_factory=dict
    )

    def view(
        self, sort_by: str, order_by: str, visibility: str | None
    ) -> tuple[list[Record], list[str]]:
        key = (sort_by, order_by, visibility)
        if key not in self.views:
            visible = _visible(self.caller, visibility)
            models = [m for m in self.ordering(sort_by, order_by) if visible(m)]
            self.views[key] = (models, [m["name"].lower() for m in models])
        return self.views[key]

    def ordering(self, sort_by: str, order_by: str) -> list[Record]:
        if (sort_by, order_by) not in self.orderings:
            self.orderings[(sort_by, order_by)] = listing.ordered(
                self.models, SORT_KEYS[sort_by], descending=order_by == "DESC"
            )
        return self.orderings[(sort_by, order_by)]

    def add(self, model: Record) -> None:
        """A model more, last in fixture order: placed in every ordering and view made."""
        self.models.append(model)
        for (sort_by, order_by), models in self.orderings.items():
            listing.insert_ordered(models, model, SORT_KEYS[sort_by], order_by == "DESC")
        for (sort_by, order_by, visibility), (models, names) in self.views.items():
            if _visible(self.caller, visibility)(model):
                at = listing.insert_ordered(models, model, SORT_KEYS[sort_by], order_by == "DESC")
                names.insert(at, model["name"].lower())
        self.results.clear()

    def remove(self, probe: Record) -> Record:
        """The held model with `probe`'s id taken out of everything; it is returned."""
        at = next(i for i in range(len(self.models) - 1, -1, -1) if _same(self.models[i], probe))
        model = self.models.pop(at)
        for (sort_by, order_by), models in self.orderings.items():
            del models[listing.locate(models, model, SORT_KEYS[sort_by], order_by == "DESC")]
        for (sort_by, order_by, visibility), (models, names) in self.views.items():
            if _visible(self.caller, visibility)(model):
                at = listing.locate(models, model, SORT_KEYS[sort_by], order_by == "DESC")
                del models[at], names[at]
        self.results.clear()
        return model

    def matching(self, q: Mapping[str, Any]) -> list[Record]:
        """Every model the query's filters keep, in its order (pages are cut later)."""
        key = tuple(q[p] for p in ("sort_by", "order_by", "visibility", "name", "id", "type"))
        kept = self.results.get(key)
        if kept is not None:
            return kept
        models, names = self.view(q["sort_by"], q["order_by"], q["visibility"])
        found: list[Record] = models
        if q["name"] is not None:  # the fuzzy filter, over names lowered once
            term = q["name"].lower()
            found = [m for m, name in zip(models, names, strict=True) if term in name]
        if q["id"] is not None or q["type"] is not None:
            found = listing.where(
                found,
                None if q["id"] is None else (lambda m: m["id"] == q["id"]),
                None if q["type"] is None else (lambda m: m["type"] == q["type"]),
            )
        return self.results.put(key, found)


@dataclass
class Backend:
    """Workspaces and their models, changed in place one record at a time.

    A change touches one workspace's lists (each ordering and view already made gets the
    model at its place) and starts a new answer cache, so nothing drifts from the data.
    """

    workspaces: dict[str, Workspace]
    raw: RawCache = field(default_factory=RawCache)
    bodies: Bodies = field(default_factory=Bodies)  # ListModels bodies, by request

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "workspaces":
            self.workspaces[record["id"]] = Workspace(record["current_user"]["user_id"], [])
        else:
            self.workspaces[record["workspace_id"]].add(MODELS.public(record))
        self.bodies = Bodies()

    def remove(self, collection: str, record: Record) -> None:
        """One record less (a workspace only once its models are gone)."""
        if collection == "workspaces":
            if self.workspaces[record["id"]].models:
                raise ValueError(f"workspace {record['id']} still has models")
            del self.workspaces[record["id"]]
        else:
            self.raw.forget(self.workspaces[record["workspace_id"]].remove(record))
        self.bodies = Bodies()

    def list_models(self, workspace_id: str, q: Mapping[str, Any]) -> listing.Page[Record]:
        workspace = self.workspaces.get(workspace_id)
        if workspace is None:
            raise Error(
                404,
                "common.01000001",
                NOT_FOUND,
                solution=f"Check the workspace ID: workspace {workspace_id} does not exist.",
            )
        return listing.by_offset(workspace.matching(q), q["offset"], q["limit"])


def _same(held: Record, probe: Record) -> bool:
    return bool(held["id"] == probe["id"])


def _visible(caller: str, visibility: str | None) -> Callable[[Record], bool]:
    """The documented visibility filter; others' PRIVATE models are never visible."""

    def mine(m: Record) -> bool:
        return bool(m["create_user"]["user_id"] == caller)

    if visibility == "PRIVATE":
        return lambda m: mine(m) and m["visibility"] == "PRIVATE"
    if visibility == "PUBLIC":
        return lambda m: m["visibility"] == "PUBLIC"
    if visibility == "ALL":
        return lambda m: mine(m) or m["visibility"] == "PUBLIC"
    return mine  # blank: the caller's own, PRIVATE and PUBLIC


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    by_workspace: dict[str, list[Record]] = {w["id"]: [] for w in records.get("workspaces", [])}
    for model in records.get("models", []):
        by_workspace[model["workspace_id"]].append(MODELS.public(model))
    workspaces = {
        w["id"]: Workspace(w["current_user"]["user_id"], by_workspace[w["id"]])
        for w in records.get("workspaces", [])
    }
    return Backend(workspaces)
