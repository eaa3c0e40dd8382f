"""Alibaba Cloud PAI: data rules (collections, links, defaults) and the backend.

The store builds the backend once from the loaded records, then changes it one record
at a time (`add`, `remove`, `replace`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockserver.core import listing
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.jsonbytes import Bodies, Raw, RawCache
from mockserver.vendors.pai.errors import model_not_found, version_not_found

NAME = "pai"  # what the store files this vendor's records and backend under

FORMAT_TYPES = (
    "OfflineModel",
    "SavedModel",
    "Keras H5",
    "Frozen Pb",
    "Caffe Prototxt",
    "TorchScript",
    "XGBoost",
    "PMML",
    "AlinkModel",
    "ONNX",
)
FRAMEWORK_TYPES = ("Pytorch", "XGBoost", "Keras", "Caffe", "Alink", "Xflow", "TensorFlow")


MODEL_FIELDS = (
    "ModelId",
    "ModelName",
    "ModelDescription",
    "GmtCreateTime",
    "GmtModifiedTime",
    "UserId",
    "OwnerId",
    "Origin",
    "Provider",
    "Domain",
    "Task",
    "ModelDoc",
    "Labels",
    "WorkspaceId",
    "Accessibility",
    "LatestVersion",
    "ModelType",
    "ExtraInfo",
    "OrderNumber",
    "ParameterSize",
    "GmtLatestVersionModifiedTime",
)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _check_times(record: Record) -> Iterable[tuple[str, str]]:
    if _time(record["GmtModifiedTime"]) < _time(record["GmtCreateTime"]):
        yield "$.GmtModifiedTime", "must not be earlier than GmtCreateTime"


def _check_options(record: Record) -> Iterable[tuple[str, str]]:
    if "Options" in record:
        try:
            json.loads(record["Options"])
        except ValueError as exc:
            yield "$.Options", f"must be a JSON document as text: {exc}"


def _check_label_bytes(record: Record) -> Iterable[tuple[str, str]]:
    for i, label in enumerate(record.get("Labels", [])):
        for part in ("Key", "Value"):
            if len(label[part].encode()) > 128:
                yield f"$.Labels[{i}].{part}", "must be at most 128 bytes"


METRICS_BYTES = 8192  # the docs' limit on Metrics, as JSON


def _check_metrics(record: Record) -> Iterable[tuple[str, str]]:
    if "Metrics" in record:
        size = len(
            json.dumps(record["Metrics"], ensure_ascii=False, separators=(",", ":")).encode()
        )
        if size > METRICS_BYTES:
            yield "$.Metrics", f"must be at most {METRICS_BYTES:,} bytes as JSON, not {size:,}"


COLLECTIONS = (
    Collection(
        "models",
        "pai/model.record",
        key=("ModelId",),
        checks=(_check_times, _check_label_bytes),
        derived=("LatestVersion", "GmtLatestVersionModifiedTime"),
    ),
    Collection(
        "versions",
        "pai/version.record",
        key=("ModelId", "VersionName"),
        link=Link("ModelId", "models", "ModelId"),
        checks=(_check_times, _check_options, _check_label_bytes, _check_metrics),
    ),
)
VERSIONS = COLLECTIONS[1]


@dataclass
class Backend:
    """Models and their versions, changed in place one record at a time.

    Each change updates exactly what depends on it (the model's version list and its
    filter indexes, the models' ordering) and starts a new answer cache, so nothing can
    drift from the data.
    """

    models: dict[str, Record]
    versions: dict[str, list[Record]]  # by ModelId, oldest first (the default order)
    named: dict[str, dict[str, Record]]  # ModelId -> VersionName -> version as served
    # ModelId -> the highest x.y.z among its version names (None: no versions); a model
    # missing here is worked out again on demand (its highest version was deleted)
    top: dict[str, tuple[int, int, int] | None]
    raw: RawCache = field(default_factory=RawCache)
    bodies: Bodies = field(default_factory=Bodies)  # whole answers, by operation and request
    # ModelId -> field -> {value: versions}, made on first use from the data alone: an
    # entry per value the data holds, none for the values clients ask about. By model
    # first, so a write to one model touches that model's lists only.
    index: dict[str, dict[str, dict[str, list[Record]]]] = field(default_factory=dict)
    # the same lists newest first, equal times in fixture order (docs/decisions.md), which
    # a reversed list would turn round: made on first use, then kept up to date
    newest_first: dict[str, list[Record]] = field(default_factory=dict)  # by ModelId
    index_desc: dict[str, dict[str, dict[str, list[Record]]]] = field(default_factory=dict)
    # the models by GmtCreateTime (ListModels), ASC and DESC, made on first use
    model_order: dict[bool, list[Record]] = field(default_factory=dict)

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "models":
            model_id = record["ModelId"]
            self.models[model_id] = record
            self.versions[model_id], self.named[model_id], self.top[model_id] = [], {}, None
            for descending, models in self.model_order.items():
                listing.insert_ordered(models, record, _created, descending)
        else:
            model_id, version = record["ModelId"], _with_defaults(VERSIONS.public(record))
            listing.insert_ordered(self.versions[model_id], version, _created, False)
            self.named[model_id][version["VersionName"]] = version
            if model_id in self.top:
                self.top[model_id] = max_name(self.top[model_id], version["VersionName"])
            if model_id in self.newest_first:
                listing.insert_ordered(self.newest_first[model_id], version, _created, True)
            for name, by_value in self.index.get(model_id, {}).items():
                value = version.get(name)
                if isinstance(value, str):
                    found = by_value.setdefault(value, [])
                    listing.insert_ordered(found, version, _created, False)
            for name, by_value in self.index_desc.get(model_id, {}).items():
                value = version.get(name)
                if isinstance(value, str) and value in by_value:
                    listing.insert_ordered(by_value[value], version, _created, True)
        self.bodies = Bodies()

    def remove(self, collection: str, record: Record) -> None:
        """One record less (a model only once its versions are gone)."""
        if collection == "models":
            model_id = record["ModelId"]
            if self.versions[model_id]:
                raise ValueError(f"model {model_id} still has versions")
            del self.versions[model_id], self.named[model_id]
            self.top.pop(model_id, None)
            self.newest_first.pop(model_id, None)
            held = self.models.pop(model_id)
            self.raw.forget(held)
            for descending, models in self.model_order.items():
                del models[listing.locate(models, held, _created, descending, _same_model)]
            self.index.pop(model_id, None)
            self.index_desc.pop(model_id, None)
        else:
            model_id, probe = record["ModelId"], VERSIONS.public(record)
            versions = self.versions[model_id]
            held = versions.pop(listing.locate(versions, probe, _created, False, _same_version))
            del self.named[model_id][held["VersionName"]]
            if self.top.get(model_id) == version_number(held["VersionName"]):
                del self.top[model_id]  # the highest left is found when next needed
            if model_id in self.newest_first:
                newest = self.newest_first[model_id]
                del newest[listing.locate(newest, held, _created, True)]
            for descending, index in ((False, self.index), (True, self.index_desc)):
                for name, by_value in index.get(model_id, {}).items():
                    value = held.get(name)
                    if isinstance(value, str) and value in by_value:
                        found = by_value[value]
                        del found[listing.locate(found, held, _created, descending)]
                        if not found:  # one entry per value the data holds, no more
                            del by_value[value]
            self.raw.forget(held)
        self.bodies = Bodies()

    def replace(self, collection: str, old: Record, new: Record) -> None:
        """`new` in `old`'s place (same key): a model keeps its versions, and a record
        keeps its place among equal times, as a rebuild from the records would."""
        if _created(old) != _created(new):  # not what the API's updates do
            self.remove(collection, old)
            self.add(collection, new)
            return
        if collection == "models":
            held = self.models[new["ModelId"]]
            self.models[new["ModelId"]] = new
            for descending, models in self.model_order.items():
                models[listing.locate(models, held, _created, descending, _same_model)] = new
            self.raw.forget(held)
        else:
            self._replace_version(new["ModelId"], _with_defaults(VERSIONS.public(new)))
        self.bodies = Bodies()

    def _replace_version(self, model_id: str, version: Record) -> None:
        held = self.named[model_id][version["VersionName"]]
        self.named[model_id][version["VersionName"]] = version
        versions = self.versions[model_id]
        versions[listing.locate(versions, held, _created, False, _same_version)] = version
        if model_id in self.newest_first:
            newest = self.newest_first[model_id]
            newest[listing.locate(newest, held, _created, True)] = version
        for descending, index in ((False, self.index), (True, self.index_desc)):
            for name, by_value in index.get(model_id, {}).items():
                before, after = held.get(name), version.get(name)
                if isinstance(before, str) and before in by_value:
                    found = by_value[before]
                    at = listing.locate(found, held, _created, descending)
                    if before == after:
                        found[at] = version
                        continue
                    del found[at]
                    if not found:
                        del by_value[before]
                if isinstance(after, str) and before != after:
                    if descending and after not in by_value:
                        continue  # made from the ascending list when first asked
                    self._insert_ranked(
                        model_id, by_value.setdefault(after, []), version, descending
                    )
        self.raw.forget(held)

    def _insert_ranked(
        self, model_id: str, items: list[Record], version: Record, descending: bool
    ) -> None:
        """Insert among equal times by stored order (the model's oldest-first list), as a
        filtered rebuild would; equal times are rare, so the walk is short."""
        at = listing.insert_ordered(items, version, _created, descending)
        order = self.versions[model_id]
        rank = listing.locate(order, version, _created, False, _same_version)
        while at > 0 and _created(items[at - 1]) == _created(version):
            if listing.locate(order, items[at - 1], _created, False, _same_version) < rank:
                break
            items[at - 1], items[at] = items[at], items[at - 1]
            at -= 1

    def model(self, model_id: str) -> Record:
        if model_id not in self.models:
            raise model_not_found(model_id)
        return self.models[model_id]

    def version(self, model_id: str, version_name: str) -> Record:
        """The version as served (404 for an unknown model, then an unknown version)."""
        self.model(model_id)
        found = self.named[model_id].get(version_name)
        if found is None:
            raise version_not_found(model_id, version_name)
        return found

    def next_version_name(self, model_id: str) -> str:
        """0.1.0 for a model's first version, else the highest x.y.z's x.(y+1).0."""
        if model_id not in self.top:
            highest = None
            for name in self.named[model_id]:
                highest = max_name(highest, name)
            self.top[model_id] = highest
        top = self.top[model_id]
        return "0.1.0" if top is None else f"{top[0]}.{top[1] + 1}.0"

    def get_model_body(self, model_id: str) -> Raw:
        """GetModel's body without RequestId, serialised once per model."""
        return self.bodies(("GetModel", model_id), lambda: Raw.of(self.get_model(model_id)))

    def get_model(self, model_id: str) -> Record:
        model = dict(self.model(model_id))
        versions = self.versions[model_id]
        if versions:
            model["LatestVersion"] = versions[-1]
            model["GmtLatestVersionModifiedTime"] = versions[-1]["GmtModifiedTime"]
        return {k: model[k] for k in MODEL_FIELDS if k in model}

    def listed_model(self, model_id: str) -> Record:
        """A model as ListModels shows it: GetModel's fields plus Tags (the SDK's Model)."""
        model = self.get_model(model_id)
        tags = self.models[model_id].get("Tags")
        return model if tags is None else {**model, "Tags": tags}

    def list_models(self, q: Mapping[str, Any]) -> listing.Page[Record]:
        """ListModels: every model matching the filters, by GmtCreateTime."""
        descending = q["Order"] == "DESC"
        if descending not in self.model_order:
            self.model_order[descending] = listing.ordered(
                list(self.models.values()), _created, descending
            )
        found = listing.where(self.model_order[descending], *model_tests(q))
        return listing.by_page(found, q["PageNumber"], q["PageSize"])

    def list_versions(self, model_id: str, q: Mapping[str, Any]) -> listing.Page[Record]:
        self.model(model_id)
        exact = [(f, q[f]) for f in EXACT_FILTERS if q[f] is not None]
        descending = q["Order"] == "DESC"
        found: Sequence[Record] = (
            self._descending(model_id) if descending else self.versions[model_id]
        )
        if exact:  # start from the index of the first exact filter, in stored order
            field_name, value = exact.pop(0)
            found = (
                self._indexed_desc(model_id, field_name, value)
                if descending
                else self._indexed(model_id, field_name, value)
            )
        if exact or q["Label"] is not None:
            found = listing.where(
                found, *(_equals(f, v) for f, v in exact), _label_contains(q["Label"])
            )
        return listing.by_page(found, q["PageNumber"], q["PageSize"])

    def _descending(self, model_id: str) -> list[Record]:
        """Newest first with equal times in fixture order (docs/decisions.md), which a
        reversed oldest-first list would turn round; made once per model."""
        if model_id not in self.newest_first:
            self.newest_first[model_id] = listing.ordered(self.versions[model_id], _created, True)
        return self.newest_first[model_id]

    def _indexed_desc(self, model_id: str, field_name: str, value: str) -> list[Record]:
        """`_indexed`, newest first: sorted once per value the data holds, then kept."""
        by_value = self.index_desc.setdefault(model_id, {}).setdefault(field_name, {})
        if value not in by_value:
            found = self._indexed(model_id, field_name, value)
            if not found:
                return []  # nothing kept for a value the data does not hold
            by_value[value] = listing.ordered(found, _created, True)
        return by_value[value]

    def _indexed(self, model_id: str, field_name: str, value: str) -> list[Record]:
        by_field = self.index.setdefault(model_id, {})
        by_value = by_field.get(field_name)
        if by_value is None:
            by_value = by_field[field_name] = {}
            for version in self.versions[model_id]:
                found = version.get(field_name)
                if isinstance(found, str):
                    by_value.setdefault(found, []).append(version)
        return by_value.get(value, [])


EXACT_FILTERS = (
    "VersionName",
    "FormatType",
    "FrameworkType",
    "SourceType",
    "SourceId",
    "ApprovalStatus",
)


def _equals(field: str, wanted: str | None) -> Any:
    return None if wanted is None else (lambda v: v.get(field) == wanted)


def _label_contains(text: str | None) -> Any:
    if text is None:
        return None
    return lambda v: any(text in lb["Key"] or text in lb["Value"] for lb in v.get("Labels", []))


def _created(version: Record) -> datetime:
    return _time(version["GmtCreateTime"])


def _same_version(held: Record, probe: Record) -> bool:
    return bool(held["VersionName"] == probe["VersionName"])


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    models = {m["ModelId"]: m for m in records.get("models", [])}
    versions: dict[str, list[Record]] = {model_id: [] for model_id in models}
    named: dict[str, dict[str, Record]] = {model_id: {} for model_id in models}
    for record in records.get("versions", []):
        version = _with_defaults(VERSIONS.public(record))
        versions[record["ModelId"]].append(version)
        named[record["ModelId"]][version["VersionName"]] = version
    for items in versions.values():
        # newest last; ties keep their fixture order, in both directions of the list
        items.sort(key=_created)
    # the highest version name per model is found when a version is first created there
    return Backend(models, versions, named, top={})


VERSION_NUMBER = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def version_number(name: str) -> tuple[int, int, int] | None:
    """x.y.z of a version name (`2.3.4_beta` -> (2, 3, 4)); None for another form."""
    found = VERSION_NUMBER.match(name)
    return None if found is None else (int(found[1]), int(found[2]), int(found[3]))


def max_name(highest: tuple[int, int, int] | None, name: str) -> tuple[int, int, int] | None:
    number = version_number(name)
    if number is None or (highest is not None and highest >= number):
        return highest
    return number


def _same_model(held: Record, probe: Record) -> bool:
    return bool(held["ModelId"] == probe["ModelId"])


def _labels_of(model: Record) -> list[Record]:
    return [*model.get("Labels", ()), *model.get("Tags", ())]


def model_tests(q: Mapping[str, Any]) -> list[Any]:
    """ListModels' filters as tests over stored models (docs/decisions.md)."""
    tests: list[Any] = [_equals(f, q[f]) for f in MODEL_EXACT_FILTERS]
    provider = q["Provider"]
    if provider is not None:
        tests.append(lambda m: m.get("Provider") == provider and m["Accessibility"] == "PUBLIC")
    label = q["Label"]
    if label is not None:
        tests.append(
            lambda m: any(label in lb["Key"] or label in lb["Value"] for lb in _labels_of(m))
        )
    text = q["Query"]
    if text is not None:
        folded = text.casefold()

        def fuzzy(m: Record) -> bool:
            fields = [m["ModelName"], m.get("Domain", ""), m.get("Task", "")]
            fields += [part for lb in _labels_of(m) for part in (lb["Key"], lb["Value"])]
            return any(folded in value.casefold() for value in fields)

        tests.append(fuzzy)
    for tag in q["Tag"] or ():
        tests.append(_has_tag(tag.get("Key"), tag.get("Value")))
    for condition in q["Conditions"] or ():
        tests.append(_condition(condition))
    if q["Collections"] is not None:  # the mock's models belong to no collection
        tests.append(lambda m: False)
    return tests


MODEL_EXACT_FILTERS = ("WorkspaceId", "ModelName", "Domain", "Task", "Origin", "ModelType")
CONDITION_COLUMNS = ("ParameterSize", "OrderNumber")
OPERATORS: dict[str, Any] = {
    "Equal": lambda a, b: a == b,
    "NotEqual": lambda a, b: a != b,
    "LessThan": lambda a, b: a < b,
    "LessThanOrEqual": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanOrEqual": lambda a, b: a >= b,
}


def _has_tag(key: Any, value: Any) -> Any:
    """A model holding a tag (or label) with this Key, and this Value when one is given."""
    return lambda m: any(
        lb["Key"] == key and (not value or lb["Value"] == value) for lb in _labels_of(m)
    )


def _condition(condition: Mapping[str, Any]) -> Any:
    """{Column, Operator, Value} (checked by the handler) as a test; a model without the
    column does not match."""
    column, compare, value = (
        condition["Column"],
        OPERATORS[condition["Operator"]],
        int(condition["Value"]),
    )
    return lambda m: isinstance(m.get(column), int) and compare(m[column], value)


def _with_defaults(version: Record) -> Record:
    """The version as served: `SourceType` is documented to default to Custom, so a version
    stored without it is served (and filtered) as Custom."""
    if "SourceType" in version:
        return version
    return {**version, "SourceType": "Custom"}
