"""Alibaba Cloud PAI: data rules (collections, links, defaults) and the backend.

The store builds the backend once from the loaded records, then changes it one record
at a time (`add`, `remove`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockserver.core import listing
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.jsonbytes import Bodies, Raw, RawCache
from mockserver.vendors.pai.errors import model_not_found

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
        checks=(_check_times, _check_options, _check_label_bytes),
    ),
)
VERSIONS = COLLECTIONS[1]


@dataclass
class Backend:
    """Models and their versions, changed in place one record at a time.

    Each change updates exactly what depends on it (the model's version list and its
    filter indexes) and starts a new answer cache, so nothing can drift from the data.
    """

    models: dict[str, Record]
    versions: dict[str, list[Record]]  # by ModelId, oldest first (the default order)
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

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "models":
            self.models[record["ModelId"]] = record
            self.versions[record["ModelId"]] = []
        else:
            model_id, version = record["ModelId"], _with_defaults(VERSIONS.public(record))
            listing.insert_ordered(self.versions[model_id], version, _created, False)
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
            del self.versions[model_id]
            self.newest_first.pop(model_id, None)
            self.raw.forget(self.models.pop(model_id))
            self.index.pop(model_id, None)
            self.index_desc.pop(model_id, None)
        else:
            model_id, probe = record["ModelId"], VERSIONS.public(record)
            versions = self.versions[model_id]
            held = versions.pop(listing.locate(versions, probe, _created, False, _same_version))
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

    def model(self, model_id: str) -> Record:
        if model_id not in self.models:
            raise model_not_found(model_id)
        return self.models[model_id]

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
    for version in records.get("versions", []):
        versions[version["ModelId"]].append(_with_defaults(VERSIONS.public(version)))
    for items in versions.values():
        # newest last; ties keep their fixture order, in both directions of the list
        items.sort(key=_created)
    return Backend(models, versions)


def _with_defaults(version: Record) -> Record:
    """The version as served: `SourceType` is documented to default to Custom, so a version
    stored without it is served (and filtered) as Custom."""
    if "SourceType" in version:
        return version
    return {**version, "SourceType": "Custom"}
