"""DashScope: data rules (collections, links, defaults) and the backend.

The store builds the backend once from the loaded records, then changes it one record
at a time (`add`, `remove`, `replace`). Besides the lists it keeps what writes look up
in O(1): the catalogue by name, the (workspace, model, suffix) names taken, and how
many deployments of each workspace are in a passing state (a list settles its page
only when there are some).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockserver.core import listing
from mockserver.core.errors import clip
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.jsonbytes import Bodies, RawCache
from mockserver.vendors.dashscope.errors import Error
from mockserver.vendors.dashscope.lifecycle import MOVING

NAME = "dashscope"  # what the store files this vendor's records and backend under

MU_FIELDS = ("model_unit_spec", "enable_thinking", "max_context_length", "rpm_limit", "tpm_limit")
PTU_FIELDS = ("ptu_capacity",)


def _check_plan(record: Record) -> Iterable[tuple[str, str]]:
    """Plan-specific fields appear with their plan only, and all of them."""
    plan = record.get("plan")
    for fields, owner in ((MU_FIELDS, "mu"), (PTU_FIELDS, "ptu")):
        for name in fields:
            if plan == owner and name not in record:
                yield "$", f"'{name}' is a required property of a '{owner}' deployment"
            if plan != owner and name in record:
                yield f"$.{name}", f"only a '{owner}' deployment has this field"


def _check_consistency(record: Record) -> Iterable[tuple[str, str]]:
    if record["gmt_modified"] < record["gmt_create"]:
        yield "$.gmt_modified", "must not be earlier than gmt_create"
    if record["ready_capacity"] > record["capacity"]:
        yield "$.ready_capacity", "must not exceed capacity"
    if not record["deployed_model"].startswith(record["model_name"] + "-"):
        yield "$.deployed_model", "must start with model_name and a hyphen"


COLLECTIONS = (  # the parent first, the leaf (what most changes touch) last
    Collection("workspaces", "dashscope/workspace.record", key=("id",)),
    Collection("models", "dashscope/deployable_model.record", key=("model_name",)),
    Collection(
        "deployments",
        "dashscope/deployment",
        key=("deployed_model",),
        link=Link("workspace_id", "workspaces", "id", private=False),
        checks=(_check_plan, _check_consistency),
    ),
)

ID_TAIL = re.compile(r"[0-9a-f]{8}(?:-(.+))?")


def suffix_of(deployment: Record) -> str:
    """The suffix a deployment was created with ('' for none): its id is
    `{model_name}-{8 hex}[-{suffix}]`; an id of another form counts whole as its suffix."""
    tail = deployment["deployed_model"][len(deployment["model_name"]) + 1 :]
    found = ID_TAIL.fullmatch(tail)
    return (found.group(1) or "") if found else tail


Name = tuple[str, str, str]  # workspace, model_name, suffix


@dataclass
class Backend:
    """Deployments by workspace, changed in place one record at a time.

    A change touches one workspace's list and starts a new answer cache.
    """

    default: str | None  # the first workspace of the fixtures
    deployments: dict[str, list[Record]]  # workspace id -> newest gmt_create first
    raw: RawCache = field(default_factory=RawCache)
    bodies: Bodies = field(default_factory=Bodies)  # ListDeployments bodies, by request
    models: list[Record] = field(default_factory=list)  # the catalogue, in fixture order
    models_by_name: dict[str, Record] = field(default_factory=dict)
    # (workspace, model, suffix) -> the deployments holding it (create's Conflict)
    names: dict[Name, set[str]] = field(default_factory=dict)
    moving: dict[str, int] = field(default_factory=dict)  # workspace -> passing deployments

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "workspaces":
            self.deployments[record["id"]] = []
            if self.default is None:
                self.default = record["id"]
        elif collection == "models":
            self.models.append(record)
            self.models_by_name[record["model_name"]] = record
        else:
            deployments = self.deployments[record["workspace_id"]]
            listing.insert_ordered(deployments, record, _newest, True)
            self._note(record, 1)
        self.bodies = Bodies()

    def remove(self, collection: str, record: Record) -> None:
        """One record less (a workspace only once its deployments are gone)."""
        if collection == "workspaces":
            if self.deployments[record["id"]]:
                raise ValueError(f"workspace {record['id']} still has deployments")
            del self.deployments[record["id"]]
            if self.default == record["id"]:
                self.default = next(iter(self.deployments), None)
        elif collection == "models":
            self.models.pop(self._model_at(record))
            del self.models_by_name[record["model_name"]]
        else:
            deployments = self.deployments[record["workspace_id"]]
            at = listing.locate(deployments, record, _newest, True, _same)
            self.raw.forget(deployments.pop(at))
            self._note(record, -1)
        self.bodies = Bodies()

    def replace(self, collection: str, old: Record, new: Record) -> None:
        """`new` in `old`'s place (same key): a catalogue model keeps its place in the list."""
        if collection == "models":
            self.models[self._model_at(old)] = new
            self.models_by_name[new["model_name"]] = new
            self.bodies = Bodies()
        elif collection == "workspaces":
            self.bodies = Bodies()  # only its id is held, and the id is its key
        else:
            self.remove(collection, old)
            self.add(collection, new)

    def _model_at(self, record: Record) -> int:
        """Where a catalogue model is (the catalogue is a few dozen models)."""
        return next(i for i, held in enumerate(self.models) if held is record)

    def _note(self, deployment: Record, sign: int) -> None:
        """Count a deployment in (1) or out (-1) of the name and moving-state indexes."""
        workspace = deployment["workspace_id"]
        if deployment["status"] in MOVING:
            self.moving[workspace] = self.moving.get(workspace, 0) + sign
        name = (workspace, deployment["model_name"], suffix_of(deployment))
        holders = self.names.setdefault(name, set())
        if sign > 0:
            holders.add(deployment["deployed_model"])
        else:
            holders.discard(deployment["deployed_model"])
            if not holders:
                del self.names[name]

    def taken(self, workspace: str, model: str, suffix: str) -> str | None:
        """A deployment of `model` with `suffix` in the workspace, if there is one."""
        holders = self.names.get((workspace, model, suffix))
        return min(holders) if holders else None

    def workspace(self, header: str | None) -> str:
        """The workspace a request acts in: its header's, else the default; 403 if unknown."""
        chosen = header or self.default
        if chosen is None or chosen not in self.deployments:
            raise Error(
                403,
                "AccessDenied",
                f"Access denied: workspace {clip(str(chosen))} does not exist or is not yours.",
            )
        return chosen

    def list_deployments(self, workspace: str | None, q: Mapping[str, Any]) -> listing.Page[Record]:
        chosen = self.workspace(workspace)
        return listing.by_page(self.deployments[chosen], q["page_no"], q["page_size"])


def _newest(deployment: Record) -> tuple[str, str]:
    return deployment["gmt_create"], deployment["deployed_model"]


def _same(held: Record, probe: Record) -> bool:
    return bool(held["deployed_model"] == probe["deployed_model"])


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    workspaces = [w["id"] for w in records.get("workspaces", [])]
    by_workspace: dict[str, list[Record]] = {w: [] for w in workspaces}
    for deployment in records.get("deployments", []):
        by_workspace[deployment["workspace_id"]].append(deployment)
    ordered = {
        w: listing.ordered(items, key=_newest, descending=True) for w, items in by_workspace.items()
    }
    models = list(records.get("models", []))
    built = Backend(
        workspaces[0] if workspaces else None,
        ordered,
        models=models,
        models_by_name={m["model_name"]: m for m in models},
    )
    for deployment in records.get("deployments", []):
        built._note(deployment, 1)
    return built
