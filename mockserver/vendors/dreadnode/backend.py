"""Dreadnode: data rules (collections, links, defaults) and the backend.

The store builds the backend once from the loaded records, then changes it one record
at a time (`add`, `remove`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockserver.core import listing
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.jsonbytes import Bodies, Raw
from mockserver.vendors.dreadnode.errors import Error

NAME = "dreadnode"  # what the store files this vendor's records and backend under

SUMMARY_DEFAULTS: dict[str, Any] = {
    "aliases": None,
    "architecture": None,
    "base_model": None,
    "created_at": None,
    "download_count": 0,
    "framework": "safetensors",
    "id": None,
    "is_public": False,
    "language": None,
    "license": None,
    "name": None,
    "origin": {},
    "pretty_name": None,
    "size_category": None,
    "summary": None,
    "tags": None,
    "task": None,
    "task_categories": None,
    "updated_at": None,
    "version": None,
    "version_count": None,
}


def _org_of(canonical: str) -> str:
    return canonical.split("/", 1)[0]


COLLECTIONS = (
    Collection("orgs", "dreadnode/org.record", key=("slug",)),
    Collection(
        "models",
        "dreadnode/model.record",
        key=("name",),
        link=Link("name", "orgs", "slug", private=False, value=_org_of),
    ),
    Collection(
        "versions",
        "dreadnode/artifact",
        key=("name", "version"),
        link=Link("name", "models", "name", private=False),
    ),
)


def summary(record: Record) -> Record:
    """The artifact as the API shows it: every field, documented defaults filled in."""
    return {k: record.get(k, default) for k, default in SUMMARY_DEFAULTS.items()}


@dataclass
class Backend:
    """Organisations and each model's versions, changed in place one record at a time.

    A change touches one model's list and starts a new answer cache.
    """

    orgs: set[str]
    models: dict[str, list[Record]]  # canonical name -> summaries, newest first
    bodies: Bodies = field(default_factory=Bodies)  # each model's answer, made once

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "orgs":
            self.orgs.add(record["slug"])
        elif collection == "models":
            self.models[record["name"]] = []
        else:
            listing.insert_ordered(self.models[record["name"]], summary(record), _created, True)
        self.bodies = Bodies()

    def remove(self, collection: str, record: Record) -> None:
        """One record less (an organisation or model only once nothing is under it)."""
        if collection == "orgs":
            slug = record["slug"]
            if any(_org_of(name) == slug for name in self.models):
                raise ValueError(f"organisation {slug} still has models")
            self.orgs.remove(slug)
        elif collection == "models":
            if self.models[record["name"]]:
                raise ValueError(f"model {record['name']} still has versions")
            del self.models[record["name"]]
        else:
            versions = self.models[record["name"]]
            del versions[listing.locate(versions, summary(record), _created, True, _same)]
        self.bodies = Bodies()

    def body(self, org: str, name: str) -> Raw:
        return self.bodies((org, name), lambda: Raw.of(self.list_versions(org, name)))

    def list_versions(self, org: str, name: str) -> Record:
        if org not in self.orgs:
            raise Error(404, "not_found_error", f"Organization '{org}' not found")
        versions = self.models.get(f"{org}/{name}")
        if versions is None:
            raise Error(404, "not_found_error", f"Model '{org}/{name}' not found")
        return {
            "name": name,
            "versions": [v["version"] for v in versions],
            "latest": versions[0] if versions else None,
        }


def _created(version: Record) -> datetime:
    return datetime.fromisoformat(version["created_at"])


def _same(held: Record, probe: Record) -> bool:
    return bool(held["version"] == probe["version"])


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    models: dict[str, list[Record]] = {m["name"]: [] for m in records.get("models", [])}
    for version in records.get("versions", []):
        models[version["name"]].append(summary(version))
    for items in models.values():
        # newest created first; equal times keep fixture order
        items.sort(key=_created, reverse=True)
    return Backend({o["slug"] for o in records.get("orgs", [])}, models)
