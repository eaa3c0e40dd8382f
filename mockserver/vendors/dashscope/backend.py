"""DashScope: data rules (collections, links, defaults) and the backend.

The store builds the backend once from the loaded records, then changes it one record
at a time (`add`, `remove`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockserver.core import listing
from mockserver.core.errors import clip
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.jsonbytes import Bodies, RawCache
from mockserver.vendors.dashscope.errors import Error

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


COLLECTIONS = (
    Collection("workspaces", "dashscope/workspace.record", key=("id",)),
    Collection(
        "deployments",
        "dashscope/deployment",
        key=("deployed_model",),
        link=Link("workspace_id", "workspaces", "id", private=False),
        checks=(_check_plan, _check_consistency),
    ),
)


@dataclass
class Backend:
    """Deployments by workspace, changed in place one record at a time.

    A change touches one workspace's list and starts a new answer cache.
    """

    default: str | None  # the first workspace of the fixtures
    deployments: dict[str, list[Record]]  # workspace id -> newest gmt_create first
    raw: RawCache = field(default_factory=RawCache)
    bodies: Bodies = field(default_factory=Bodies)  # ListDeployments bodies, by request

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "workspaces":
            self.deployments[record["id"]] = []
            if self.default is None:
                self.default = record["id"]
        else:
            deployments = self.deployments[record["workspace_id"]]
            listing.insert_ordered(deployments, record, _newest, True)
        self.bodies = Bodies()

    def remove(self, collection: str, record: Record) -> None:
        """One record less (a workspace only once its deployments are gone)."""
        if collection == "workspaces":
            if self.deployments[record["id"]]:
                raise ValueError(f"workspace {record['id']} still has deployments")
            del self.deployments[record["id"]]
            if self.default == record["id"]:
                self.default = next(iter(self.deployments), None)
        else:
            deployments = self.deployments[record["workspace_id"]]
            at = listing.locate(deployments, record, _newest, True, _same)
            self.raw.forget(deployments.pop(at))
        self.bodies = Bodies()

    def list_deployments(self, workspace: str | None, q: Mapping[str, Any]) -> listing.Page[Record]:
        chosen = workspace or self.default
        if chosen is None or chosen not in self.deployments:
            raise Error(
                403,
                "AccessDenied",
                f"Access denied: workspace {clip(str(chosen))} does not exist or is not yours.",
            )
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
    return Backend(workspaces[0] if workspaces else None, ordered)
