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
    Collection("base_models", "huawei/base_model", key=("base_model_type",)),
    Collection(
        "models",
        "huawei/model.record",
        key=("id",),
        link=Link("workspace_id", "workspaces", "id"),
        checks=(_check_times,),
    ),
    Collection(
        "versions", "huawei/version.record", key=("id",), link=Link("model_id", "models", "id")
    ),
    Collection(
        "endpoints",
        "huawei/endpoint.record",
        key=("id",),
        link=Link("workspace_id", "workspaces", "id"),
    ),
)
MODELS, VERSIONS, ENDPOINTS = COLLECTIONS[2], COLLECTIONS[3], COLLECTIONS[4]

ENDPOINT_ORDER: Callable[[Record], Any] = lambda e: (_time(e["create_time"]), e["id"])  # noqa: E731
RESULTS_BUDGET = 2**20  # bytes of filtered lists kept per workspace, keys included
SORT_KEYS: dict[str, Callable[[Record], Any]] = {
    "CREATE_TIME": lambda m: _time(m["create_time"]),
    "UPDATE_TIME": lambda m: _time(m["update_time"]),
    "NAME": lambda m: m["name"],
}


@dataclass
class Workspace:
    user: Record  # whom the mock takes the caller to be (writes are made by this user)
    models: dict[str, Record]  # by id, in fixture order (a replacement keeps its place)
    # rank of each model in fixture order: ties in an ordering follow it
    rank: dict[str, int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)  # lower-cased name -> models
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
    added: int = 0  # ranks given so far
    endpoints: dict[str, Record] = field(default_factory=dict)  # by id
    # newest first: by create_time, then id, so the order is the data's own, whatever
    # order records were added in (a reset re-adds deleted ones last)
    newest: list[Record] = field(default_factory=list)

    def put_endpoint(self, endpoint: Record) -> None:
        """An endpoint in, or instead of the one with its id (a binary search)."""
        self.drop_endpoint(endpoint["id"])
        self.endpoints[endpoint["id"]] = endpoint
        listing.insert_ordered(self.newest, endpoint, ENDPOINT_ORDER, descending=True)

    def drop_endpoint(self, endpoint_id: str) -> None:
        held = self.endpoints.pop(endpoint_id, None)
        if held is not None:
            del self.newest[listing.locate(self.newest, held, ENDPOINT_ORDER, descending=True)]

    def __post_init__(self) -> None:
        for model in self.models.values():
            self._rank(model)
            self._count(model, 1)

    @property
    def caller(self) -> str:
        return str(self.user["user_id"])

    def _rank(self, model: Record) -> None:
        self.rank[model["id"]] = self.added
        self.added += 1

    def _count(self, model: Record, step: int) -> None:
        name = model["name"].lower()
        self.names[name] = self.names.get(name, 0) + step
        if not self.names[name]:
            del self.names[name]

    def named(self, name: str) -> bool:
        """Whether a model of this workspace has `name` (case ignored)."""
        return name.lower() in self.names

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
                list(self.models.values()), SORT_KEYS[sort_by], descending=order_by == "DESC"
            )
        return self.orderings[(sort_by, order_by)]

    def add(self, model: Record) -> None:
        """A model more, last in fixture order: placed in every ordering and view made."""
        self.models[model["id"]] = model
        self._rank(model)
        self._count(model, 1)
        self._place(model)

    def remove(self, probe: Record) -> Record:
        """The held model with `probe`'s id taken out of everything; it is returned."""
        model = self.models.pop(probe["id"])
        self._unplace(model)
        self._count(model, -1)
        del self.rank[model["id"]]
        return model

    def replace(self, new: Record) -> Record:
        """`new` instead of the model with its id, at that model's place in fixture order
        (so among equal sort keys); the model replaced is returned."""
        old = self.models[new["id"]]
        self.models[new["id"]] = new
        self._unplace(old)
        self._count(old, -1)
        self._count(new, 1)
        self._place(new)
        return old

    def _place(self, model: Record) -> None:
        for (sort_by, order_by), models in self.orderings.items():
            self._insert(models, model, sort_by, order_by)
        for (sort_by, order_by, visibility), (models, names) in self.views.items():
            if _visible(self.caller, visibility)(model):
                at = self._insert(models, model, sort_by, order_by)
                names.insert(at, model["name"].lower())
        self.results.clear()

    def _unplace(self, model: Record) -> None:
        for (sort_by, order_by), models in self.orderings.items():
            del models[listing.locate(models, model, SORT_KEYS[sort_by], order_by == "DESC")]
        for (sort_by, order_by, visibility), (models, names) in self.views.items():
            if _visible(self.caller, visibility)(model):
                at = listing.locate(models, model, SORT_KEYS[sort_by], order_by == "DESC")
                del models[at], names[at]
        self.results.clear()

    def _insert(self, models: list[Record], model: Record, sort_by: str, order_by: str) -> int:
        """Put `model` where a stable sort of the models in fixture order puts it: by its
        sort key, then among equal keys by its rank (a binary search)."""
        key, rank, descending = SORT_KEYS[sort_by], self.rank, order_by == "DESC"
        wanted, mine = key(model), rank[model["id"]]
        low, high = 0, len(models)
        while low < high:
            middle = (low + high) // 2
            here = key(models[middle])
            before = (here > wanted if descending else here < wanted) or (
                here == wanted and rank[models[middle]["id"]] < mine
            )
            if before:
                low = middle + 1
            else:
                high = middle
        models.insert(low, model)
        return low

    def matching(self, q: Mapping[str, Any]) -> list[Record]:
        """Every model the query's filters keep, in its order (pages are cut later)."""
        key = tuple(q[p] for p in ("sort_by", "order_by", "visibility", "name", "id", "type"))
        kept = self.results.get(key)
        if kept is not None:
            return kept
        if q["id"] is not None:  # one model at most: the SDK's way of reading one
            model = self.models.get(q["id"])
            models = [model] if model and _visible(self.caller, q["visibility"])(model) else []
            names = [m["name"].lower() for m in models]
        else:
            models, names = self.view(q["sort_by"], q["order_by"], q["visibility"])
        found: list[Record] = models
        if q["name"] is not None:  # the fuzzy filter, over names lowered once
            term = q["name"].lower()
            found = [m for m, name in zip(models, names, strict=True) if term in name]
        if q["type"] is not None:
            found = listing.where(found, lambda m: m["type"] == q["type"])
        return self.results.put(key, found)


VERSION_ORDER: Callable[[Record], Any] = lambda v: (_time(v["create_time"]), v["id"])  # noqa: E731


@dataclass
class Backend:
    """Workspaces, their models and the models' versions, changed one record at a time.

    A change touches one workspace's lists (each ordering and view already made gets the
    model at its place) or one model's versions, and starts a new answer cache, so
    nothing drifts from the data.
    """

    workspaces: dict[str, Workspace]
    # model id -> its versions other than the current one, by id (current_version is in
    # the model); a model's few versions are sorted when listed
    versions: dict[str, dict[str, Record]] = field(default_factory=dict)
    base_models: dict[str, Record] = field(default_factory=dict)  # by type, in order
    # version id -> the endpoints serving it (an ordered set): the version is "in use"
    bound: dict[str, dict[str, None]] = field(default_factory=dict)
    raw: RawCache = field(default_factory=RawCache)
    bodies: Bodies = field(default_factory=Bodies)  # ListModels bodies, by request

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "workspaces":
            self.workspaces[record["id"]] = Workspace(record["current_user"], {})
        elif collection == "base_models":
            self.base_models[record["base_model_type"]] = record
        elif collection == "versions":
            held = self.versions.setdefault(record["model_id"], {})
            held[record["id"]] = VERSIONS.public(record)
        elif collection == "endpoints":
            self.workspaces[record["workspace_id"]].put_endpoint(ENDPOINTS.public(record))
            self._bind(record, 1)
        else:
            self.workspaces[record["workspace_id"]].add(MODELS.public(record))
        self.bodies = Bodies()

    def _bind(self, endpoint: Record, step: int) -> None:
        """Note (step 1) or forget (-1) the version an endpoint serves."""
        version = endpoint["cap"]["version_id"]
        if step > 0:
            self.bound.setdefault(version, {})[endpoint["id"]] = None
            return
        serving = self.bound[version]
        del serving[endpoint["id"]]
        if not serving:
            del self.bound[version]

    def remove(self, collection: str, record: Record) -> None:
        """One record less (a parent only once its children are gone)."""
        if collection == "workspaces":
            if self.workspaces[record["id"]].models or self.workspaces[record["id"]].endpoints:
                raise ValueError(f"workspace {record['id']} still has models or endpoints")
            del self.workspaces[record["id"]]
        elif collection == "base_models":
            del self.base_models[record["base_model_type"]]
        elif collection == "versions":
            held = self.versions[record["model_id"]]
            self.raw.forget(held.pop(record["id"]))
            if not held:
                del self.versions[record["model_id"]]
        elif collection == "endpoints":
            self.workspaces[record["workspace_id"]].drop_endpoint(record["id"])
            self._bind(record, -1)
        else:
            if record["id"] in self.versions:
                raise ValueError(f"model {record['id']} still has versions")
            self.raw.forget(self.workspaces[record["workspace_id"]].remove(record))
        self.bodies = Bodies()

    def replace(self, collection: str, old: Record, new: Record) -> None:
        """A record changed under its key: a model keeps its place and its versions."""
        if collection == "models":
            replaced = self.workspaces[old["workspace_id"]].replace(MODELS.public(new))
            self.raw.forget(replaced)
            self.bodies = Bodies()
            return
        if collection == "endpoints":
            self._bind(old, -1)
            self.workspaces[new["workspace_id"]].put_endpoint(ENDPOINTS.public(new))
            self._bind(new, 1)
            return
        self.remove(collection, old)
        self.add(collection, new)

    def workspace(self, workspace_id: str) -> Workspace:
        """The workspace, or the documented 404."""
        workspace = self.workspaces.get(workspace_id)
        if workspace is None:
            raise Error(
                404,
                "common.01000001",
                NOT_FOUND,
                solution=f"Check the workspace ID: workspace {workspace_id} does not exist.",
            )
        return workspace

    def model(self, workspace_id: str, model_id: str) -> Record:
        """A model of the workspace the caller may see (the API's form), or 404."""
        model = self.workspace(workspace_id).models.get(model_id)
        if model is None or not _visible(self.workspace(workspace_id).caller, "ALL")(model):
            raise Error(
                404,
                "common.01000001",
                NOT_FOUND,
                solution=f"Check the model ID: model {model_id} does not exist in workspace "
                f"{workspace_id}.",
            )
        return model

    def list_models(self, workspace_id: str, q: Mapping[str, Any]) -> listing.Page[Record]:
        workspace = self.workspace(workspace_id)
        return listing.by_offset(workspace.matching(q), q["offset"], q["limit"])

    def all_versions(self, model: Record) -> list[Record]:
        """A model's versions, the current one included, newest first (then by id)."""
        found = list(self.versions.get(model["id"], {}).values())
        if "current_version" in model:
            found.append(model["current_version"])
        return sorted(found, key=VERSION_ORDER, reverse=True)

    def list_versions(
        self, workspace_id: str, model_id: str, q: Mapping[str, Any]
    ) -> listing.Page[Record]:
        found = self.all_versions(self.model(workspace_id, model_id))
        if q["version_id"] is not None:
            found = [v for v in found if v["id"] == q["version_id"]]
        if q["name"] is not None:
            term = q["name"].lower()
            found = [v for v in found if term in v["name"].lower()]
        return listing.by_offset(found, q["offset"], q["limit"])

    def in_use(self, version_ids: Iterable[str]) -> list[str]:
        """The endpoints serving any of these versions (each version's few are looked up)."""
        return [e for v in version_ids for e in self.bound.get(v, {})]

    def endpoint(self, workspace_id: str, endpoint_id: str) -> Record:
        """An endpoint of the workspace (the API's form), or 404."""
        found = self.workspace(workspace_id).endpoints.get(endpoint_id)
        if found is None:
            raise Error(
                404,
                "common.01000001",
                NOT_FOUND,
                solution=f"Check the endpoint ID: endpoint {endpoint_id} does not exist in "
                f"workspace {workspace_id}.",
            )
        return found

    def list_endpoints(self, workspace_id: str, q: Mapping[str, Any]) -> listing.Page[Record]:
        """Newest first (create_time, then id, both descending)."""
        workspace = self.workspace(workspace_id)
        if q["endpoint_id"] is not None:
            one = workspace.endpoints.get(q["endpoint_id"])
            found: list[Record] = [one] if one is not None else []
        else:
            found = workspace.newest
        term = None if q["name"] is None else q["name"].lower()
        visible = _visible(workspace.caller, q["visibility"], "owner")
        found = listing.where(
            found,
            visible,
            None if q["model_id"] is None else (lambda e: e["cap"]["cap_id"] == q["model_id"]),
            None if term is None else (lambda e: term in e["name"].lower()),
            None if q["type"] is None else (lambda e: e["type"] == q["type"]),
        )
        return listing.by_offset(found, q["offset"], q["limit"])

    def list_base_models(self, q: Mapping[str, Any]) -> listing.Page[Record]:
        return listing.by_offset(list(self.base_models.values()), q["offset"], q["limit"])


def _same(held: Record, probe: Record) -> bool:
    return bool(held["id"] == probe["id"])


def _visible(
    caller: str, visibility: str | None, by: str = "create_user"
) -> Callable[[Record], bool]:
    """The documented visibility filter; others' PRIVATE models (or endpoints: `by`
    "owner") are never visible."""

    def mine(m: Record) -> bool:
        return bool(m[by]["user_id"] == caller)

    if visibility == "PRIVATE":
        return lambda m: mine(m) and m["visibility"] == "PRIVATE"
    if visibility == "PUBLIC":
        return lambda m: m["visibility"] == "PUBLIC"
    if visibility == "ALL":
        return lambda m: mine(m) or m["visibility"] == "PUBLIC"
    return mine  # blank: the caller's own, PRIVATE and PUBLIC


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    by_workspace: dict[str, dict[str, Record]] = {
        w["id"]: {} for w in records.get("workspaces", [])
    }
    for model in records.get("models", []):
        by_workspace[model["workspace_id"]][model["id"]] = MODELS.public(model)
    workspaces = {
        w["id"]: Workspace(w["current_user"], by_workspace[w["id"]])
        for w in records.get("workspaces", [])
    }
    backend = Backend(
        workspaces, base_models={b["base_model_type"]: b for b in records.get("base_models", [])}
    )
    for version in records.get("versions", []):
        held = backend.versions.setdefault(version["model_id"], {})
        held[version["id"]] = VERSIONS.public(version)
    for endpoint in records.get("endpoints", []):
        backend.add("endpoints", endpoint)
    return backend
