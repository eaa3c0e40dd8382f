"""Dreadnode: data rules (collections, links, defaults) and the backend.

The store builds the backend once from the loaded records, then changes it one record
at a time (`add`, `remove`, `replace`).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import astuple, dataclass, field
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
# what a version's detail holds beyond the summary (the model manifest's fields)
DETAIL_DEFAULTS: dict[str, Any] = {
    "artifacts": {},
    "artifacts_hash": None,
    "metrics": None,
    "description": None,
    "dataset_refs": None,
}


def _org_of(canonical: str) -> str:
    return canonical.split("/", 1)[0]


COLLECTIONS = (
    Collection("orgs", "dreadnode/org.record", key=("slug",)),
    # the registry's blobs (`push_model`'s config blobs), per organisation
    Collection(
        "blobs",
        "dreadnode/blob.record",
        key=("org", "digest"),
        link=Link("org", "orgs", "slug", private=False),
    ),
    Collection(
        "models",
        "dreadnode/model.record",
        key=("name",),
        link=Link("name", "orgs", "slug", private=False, value=_org_of),
    ),
    Collection(
        "versions",
        "dreadnode/version.record",
        key=("name", "version"),
        link=Link("name", "models", "name", private=False),
    ),
)


def summary(record: Record) -> Record:
    """The artifact as the API shows it: every field, documented defaults filled in."""
    return {k: record.get(k, default) for k, default in SUMMARY_DEFAULTS.items()}


def detail(record: Record) -> Record:
    """A version's full detail: the summary and the model manifest's fields."""
    out = summary(record)
    out.update((k, record.get(k, default)) for k, default in DETAIL_DEFAULTS.items())
    return out


def _created(version: Record) -> datetime:
    return datetime.fromisoformat(version["created_at"])


def _same(held: Record, probe: Record) -> bool:
    return bool(held["version"] == probe["version"])


@dataclass(frozen=True)
class ModelQuery:
    """list_models' parsed parameters (list-valued filters match any of their values)."""

    sort_by: str = "created_at"
    sort_dir: str = "desc"
    page: int = 1
    limit: int = 50
    include_public: bool = False
    name: str | None = None
    search: str | None = None
    tags: tuple[str, ...] = ()
    license: tuple[str, ...] = ()
    task_categories: tuple[str, ...] = ()
    framework: tuple[str, ...] = ()
    size_category: tuple[str, ...] = ()


SORT_KEYS: dict[str, Callable[[Record], Any]] = {
    "created_at": _created,
    "updated_at": lambda v: datetime.fromisoformat(v.get("updated_at") or v["created_at"]),
    "name": lambda v: v["name"],
    "download_count": lambda v: v.get("download_count", 0),
}


FACETS = ("tags", "license", "task_categories", "framework", "size_category")


def _matches(query: ModelQuery, latest: Record) -> bool:
    """Whether a model (by its newest version) passes every filter of the query."""
    if query.name is not None and latest["name"].split("/", 1)[1] != query.name:
        return False
    if query.search is not None:
        needle = query.search.casefold()
        text = [latest["name"], latest.get("pretty_name") or "", latest.get("summary") or ""]
        if not any(needle in t.casefold() for t in text):
            return False
    for wanted, held in (
        (query.tags, latest.get("tags") or ()),
        (query.task_categories, latest.get("task_categories") or ()),
        (query.license, (latest.get("license"),)),
        (query.framework, (latest.get("framework", "safetensors"),)),
        (query.size_category, (latest.get("size_category"),)),
    ):
        if wanted and not set(wanted) & set(held):
            return False
    return True


@dataclass
class Backend:
    """Organisations, each model's versions, and the registry's blobs.

    Changed in place one record at a time: a change touches one model's list and its
    indexes (version by number, alias by name), and starts a new answer cache.
    """

    orgs: set[str]
    models: dict[str, list[Record]]  # canonical name -> version records, newest first
    blobs: dict[tuple[str, str], Record] = field(default_factory=dict)  # (org, digest)
    bodies: Bodies = field(default_factory=Bodies)  # answers, made once per data version
    index: dict[tuple[str, str], Record] = field(default_factory=dict)  # (model, version)
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)  # (model, alias) -> version
    blob_bytes: int = 0  # bytes of blobs held (the registry's budget counts them)
    # registry upload sessions started, not finished: id -> (org, name); bounded by the
    # registry, not records (they hold no bytes), so a reset leaves them
    uploads: OrderedDict[str, tuple[str, str]] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        for versions in self.models.values():
            for version in versions:
                self._index(version)
        self.blob_bytes = sum(b["size"] for b in self.blobs.values())

    def _index(self, version: Record) -> None:
        self.index[version["name"], version["version"]] = version
        for alias in version.get("aliases") or ():
            self.aliases[version["name"], alias] = version["version"]

    def _unindex(self, version: Record) -> None:
        del self.index[version["name"], version["version"]]
        for alias in version.get("aliases") or ():
            if self.aliases.get((version["name"], alias)) == version["version"]:
                del self.aliases[version["name"], alias]

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "orgs":
            self.orgs.add(record["slug"])
        elif collection == "models":
            self.models[record["name"]] = []
        elif collection == "blobs":
            self.blobs[record["org"], record["digest"]] = record
            self.blob_bytes += record["size"]
        else:
            listing.insert_ordered(self.models[record["name"]], record, _created, True)
            self._index(record)
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
        elif collection == "blobs":
            del self.blobs[record["org"], record["digest"]]
            self.blob_bytes -= record["size"]
        else:
            versions = self.models[record["name"]]
            del versions[listing.locate(versions, record, _created, True, _same)]
            self._unindex(record)
        self.bodies = Bodies()

    def replace(self, collection: str, old: Record, new: Record) -> None:
        """A version changed under its key: kept at its place while its time stays."""
        if collection != "versions" or _created(old) != _created(new):
            self.remove(collection, old)
            self.add(collection, new)
            return
        versions = self.models[old["name"]]
        versions[listing.locate(versions, old, _created, True, _same)] = new
        self._unindex(old)
        self._index(new)
        self.bodies = Bodies()

    # --- reads -------------------------------------------------------------------------

    def versions_of(self, org: str, name: str) -> list[Record]:
        """The model's versions, newest first; 404 for an unknown organisation or model."""
        if org not in self.orgs:
            raise Error(404, "not_found_error", f"Organization '{org}' not found")
        versions = self.models.get(f"{org}/{name}")
        if versions is None:
            raise Error(404, "not_found_error", f"Model '{org}/{name}' not found")
        return versions

    def version(self, org: str, name: str, version: str | None = None) -> Record:
        """One version (the newest when `version` is None), else 404."""
        versions = self.versions_of(org, name)
        if version is None:
            if not versions:
                raise Error(404, "not_found_error", f"Model '{org}/{name}' has no versions")
            return versions[0]
        found = self.index.get((f"{org}/{name}", version))
        if found is None:
            raise Error(404, "not_found_error", f"Version '{org}/{name}@{version}' not found")
        return found

    def holder(self, canonical: str, alias: str) -> Record | None:
        """The version of a model that holds `alias`, if any."""
        version = self.aliases.get((canonical, alias))
        return None if version is None else self.index[canonical, version]

    def body(self, org: str, name: str) -> Raw:
        return self.bodies((org, name), lambda: Raw.of(self.list_versions(org, name)))

    def list_versions(self, org: str, name: str) -> Record:
        versions = self.versions_of(org, name)
        return {
            "name": name,
            "versions": [v["version"] for v in versions],
            "latest": summary(versions[0]) if versions else None,
        }

    def detail_body(self, org: str, name: str, version: str | None) -> Raw:
        key = ("detail", org, name, version)
        return self.bodies(key, lambda: Raw.of(detail(self.version(org, name, version))))

    def list_models(self, org: str, query: ModelQuery) -> Raw:
        # keyed by plain tuples: the cache counts the bytes of strings and tuples
        key = ("models", org, astuple(query))
        return self.bodies(key, lambda: Raw.of(self._list_models(org, query)))

    def _listed(self, org: str, query: ModelQuery) -> list[Record]:
        """The newest version of each model the query lists (in the models' order)."""
        if org not in self.orgs:
            raise Error(404, "not_found_error", f"Organization '{org}' not found")
        prefix = org + "/"
        return [
            versions[0]
            for canonical, versions in self.models.items()
            if versions
            and (
                canonical.startswith(prefix)
                or (query.include_public and versions[0].get("is_public", False))
            )
            and _matches(query, versions[0])
        ]

    def facets(self, org: str, query: ModelQuery) -> Raw:
        key = ("facets", org, astuple(query))
        return self.bodies(key, lambda: Raw.of(self._facets(org, query)))

    def _facets(self, org: str, query: ModelQuery) -> Record:
        listed = self._listed(org, query)
        out: Record = {"total": len(listed)}
        for name in FACETS:
            counts: dict[str, int] = {}
            for latest in listed:
                held = summary(latest)[name]
                for value in held if isinstance(held, list) else (held,) if held else ():
                    counts[value] = counts.get(value, 0) + 1
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            out[name] = [{"value": value, "count": count} for value, count in ranked]
        return out

    def _list_models(self, org: str, query: ModelQuery) -> Record:
        found = self._listed(org, query)
        found.sort(key=lambda v: v["name"])  # ties by name, in either direction
        found.sort(key=SORT_KEYS[query.sort_by], reverse=query.sort_dir == "desc")
        start = (query.page - 1) * query.limit
        pages = math.ceil(len(found) / query.limit)
        return {
            "models": [
                {**summary(v), "version_count": len(self.models[v["name"]])}
                for v in found[start : start + query.limit]
            ],
            "page": query.page,
            "limit": query.limit,
            "total": len(found),
            "total_pages": pages,
            "has_next": query.page < pages,
            "has_previous": query.page > 1,
        }


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    models: dict[str, list[Record]] = {m["name"]: [] for m in records.get("models", [])}
    for version in records.get("versions", []):
        models[version["name"]].append(version)
    for items in models.values():
        # newest created first; equal times keep fixture order
        items.sort(key=_created, reverse=True)
    blobs = {(b["org"], b["digest"]): b for b in records.get("blobs", [])}
    return Backend({o["slug"] for o in records.get("orgs", [])}, models, blobs)
