"""The state as files: a snapshot of the records is a fixtures folder, and back.

Export writes `<vendor>/<collection>.yaml` per collection (every collection, empty ones
as `[]`) and `mockserver-state.yaml` (the format version) at the top, as one archive
(`.tar.gz`, `.zip`) or a folder; `--fixtures` and `mockserver check` read it as any
fixtures folder. The JSON form is one document `{version, records}`. Import checks every
record as fixtures are checked (FixtureError, all or nothing). YAML and JSON only: a
state file is data, never code (no pickle).

A folder is saved atomically: written beside it under a temporary name, then swapped
in by two renames; `recover` puts the previous save back if a crash fell between them.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mockserver._version import __version__
from mockserver.core.clock import Clock
from mockserver.core.errors import shown
from mockserver.core.fixtures import (
    STATE_FILE,
    STATE_VERSION,
    Collection,
    Dataset,
    Entry,
    FixtureError,
    Problem,
    Validator,
)
from mockserver.core.jsonbytes import Raw
from mockserver.core.schemas import Schemas
from mockserver.core.store import Change, Mark, Store

KINDS = ("tar.gz", "zip", "json")
MEDIA = {"tar.gz": "application/gzip", "zip": "application/zip", "json": "application/json"}
Collections = Mapping[str, Sequence[Collection]]  # vendor -> its collections

# libyaml's emitter when PyYAML was built with it (several times faster), else Python's
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def header(dataset: Dataset) -> dict[str, Any]:
    """What `mockserver-state.yaml` says: the format version (what the loader checks),
    and, for a person reading it, the writer and the record counts."""
    return {
        "version": STATE_VERSION,
        "written_by": f"mockserver {__version__}",
        "records": {v: {c: len(rs) for c, rs in cols.items()} for v, cols in dataset.items()},
    }


def _yaml(value: Any) -> bytes:
    text: str = yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    return text.encode("utf-8")


def files(dataset: Dataset) -> Iterator[tuple[str, bytes]]:
    """(relative path, content) of each file of the fixtures folder of `dataset`."""
    yield STATE_FILE, _yaml(header(dataset))
    for vendor, cols in dataset.items():
        for name, records in cols.items():
            yield f"{vendor}/{name}.yaml", _yaml({name: records})


def archive(dataset: Dataset, kind: str) -> bytes:
    """The fixtures folder of `dataset` as one `tar.gz` or `zip` archive (no top folder:
    unpacked into a folder, that folder is the fixtures folder)."""
    out = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as packed:
            for path, content in files(dataset):
                packed.writestr(path, content)
        return out.getvalue()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, content in files(dataset):
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(content), 0o644
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def document(dataset: Dataset) -> dict[str, Any]:
    """The JSON form: `{version, records: {vendor: {collection: [...]}}}`."""
    return {"version": STATE_VERSION, "records": dataset}


def from_document(doc: Any, vendors: Collections, schemas: Schemas) -> Dataset:
    """The records of a JSON state document, checked as fixture files are; FixtureError
    lists every problem. A vendor or collection left out holds no records, as in a
    fixtures folder without its file."""
    where = "body"
    if not isinstance(doc, dict) or set(doc) != {"version", "records"}:
        raise FixtureError([_whole(where, "a state is an object {version, records}")])
    if doc["version"] != STATE_VERSION or isinstance(doc["version"], bool):
        raise FixtureError([_whole(where, _version_message(doc["version"]))])
    records = doc["records"]
    if not isinstance(records, dict):
        raise FixtureError([_whole(where, "records must map vendors to their collections")])
    problems: list[Problem] = []
    for vendor in records:
        if vendor not in vendors:
            known = ", ".join(vendors)
            problems.append(_whole(where, f"unknown vendor {vendor!r}; known: {known}"))
    dataset: Dataset = {}
    for vendor, collections in vendors.items():
        given = records.get(vendor, {})
        names = [c.name for c in collections]
        if not isinstance(given, dict):
            problems.append(_whole(where, f"records.{vendor} must map collections to lists"))
            given = {}
        entries: dict[str, list[Entry]] = {}
        for name, items in given.items():
            if name not in names:
                message = f"{name!r} is not a collection of {vendor}; known: {', '.join(names)}"
                problems.append(_whole(where, message))
            elif not isinstance(items, list):
                problems.append(_whole(where, f"records.{vendor}.{name} must be a list"))
            else:
                source = f"records.{vendor}"
                entries[name] = [Entry(source, i, r) for i, r in enumerate(items)]
        problems += Validator(vendor, collections, schemas).check(entries)
        dataset[vendor] = {c.name: [e.record for e in entries.get(c.name, [])] for c in collections}
    if problems:
        raise FixtureError(problems)
    return dataset


def _whole(where: str, message: str) -> Problem:
    return Problem(where, "-", "$", message)


def _version_message(version: Any) -> str:
    return f"state format version {version!r} is not one this mockserver reads ({STATE_VERSION})"


# --- a state folder (--state-dir) ------------------------------------------------------


def has_state(folder: Path) -> bool:
    """Whether `folder` holds a saved state (its version file is written last)."""
    return (folder / STATE_FILE).is_file()


def _previous(folder: Path) -> Path:
    return folder.with_name(folder.name + ".previous")


def recover(folder: Path) -> None:
    """After a crash between the two renames of `save_dir`: the previous save back in
    place. Temporary folders of a save that did not finish are removed."""
    previous = _previous(folder)
    if previous.is_dir():
        if has_state(folder):
            shutil.rmtree(previous, ignore_errors=True)  # the swap was done
        elif not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
            if folder.exists():
                folder.rmdir()
            previous.rename(folder)
        # else: a folder the mock did not write; left for the start's check to name
    for leftover in folder.parent.glob(f".{folder.name}.saving-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def save_dir(dataset: Dataset, folder: Path) -> None:
    """Write `dataset` as the fixtures folder `folder`, replacing what it held, so that
    at every moment a complete state is on disk (this one or the one before)."""
    with _SAVING:  # one save at a time (POST /_mock/state/save and the one at shutdown)
        _save_dir(dataset, folder.absolute())


_SAVING = threading.Lock()


def _save_dir(dataset: Dataset, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    recover(folder)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.saving-", dir=folder.parent))
    try:
        written = list(files(dataset))
        for path, content in [*written[1:], written[0]]:  # the version file last
            target = temporary / path
            target.parent.mkdir(exist_ok=True)
            with open(target, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
        _fsync_dir(temporary)
        previous = _previous(folder)
        if folder.exists():
            folder.rename(previous)
        temporary.rename(folder)
        _fsync_dir(folder.parent)
        shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new files, a rename) durable, where the system allows."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


# --- named snapshots in memory ---------------------------------------------------------

MAX_SNAPSHOTS = 100
SNAPSHOT_BYTES = 256 * 2**20  # the records the snapshots hold, as JSON, estimated
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ENTRY_BYTES = 16  # a pointer to a logged change, and its share of the tuple
SIZES_KEPT = 200_000  # changes whose size is remembered (about 100 bytes each)


class SnapshotError(Exception):
    """A snapshot that cannot be made, found or kept: `status` and `code` for the answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Snapshot:
    name: str
    mark: Mark
    created: str  # ISO 8601, UTC
    bytes: int  # estimated: the records of its changes as JSON, and a pointer each

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created": self.created,
            "changes": len(self.mark.log),
            "bytes": self.bytes,
        }


class Snapshots:
    """Named marks of the store, at most MAX_SNAPSHOTS and SNAPSHOT_BYTES of records.

    A snapshot is the store's change log at that moment (shared references, records are
    never changed in place), so taking one costs a pointer per change since loading, and
    restoring one the changes between it and now. Its size counts the JSON of the records
    its changes hold, measured once per change (a memo keyed by the change, which the
    snapshot keeps alive).
    """

    def __init__(self) -> None:
        self.held: dict[str, Snapshot] = {}
        self._sizes: dict[int, int] = {}

    def take(self, name: str, store: Store, clock: Clock) -> tuple[Snapshot, bool]:
        """Snapshot the store as `name` (replacing one of that name); True if it is new."""
        check_name(name)
        mark = store.mark()
        size = sum(self._size(change) for _, change in mark.log)
        replaced = self.held.get(name)
        if replaced is None and len(self.held) >= MAX_SNAPSHOTS:
            raise SnapshotError(
                409,
                "TooManySnapshots",
                f"{MAX_SNAPSHOTS} snapshots are held, the most the mock keeps; "
                "DELETE /_mock/snapshots/{name} one first",
            )
        others = self.bytes() - (replaced.bytes if replaced else 0)
        if others + size > SNAPSHOT_BYTES:
            raise SnapshotError(
                409,
                "SnapshotsTooLarge",
                f"this snapshot holds about {size:,} bytes of records and the others "
                f"{others:,}: more than the {SNAPSHOT_BYTES:,} the mock keeps; delete "
                "snapshots first, or save the state with --state-dir",
            )
        snapshot = Snapshot(name, mark, clock.now().isoformat(timespec="seconds"), size)
        self.held[name] = snapshot
        if len(self._sizes) > SIZES_KEPT:
            self._sizes.clear()  # a memo, not a record: measured again when needed
        return snapshot, replaced is None

    def get(self, name: str) -> Snapshot:
        check_name(name)
        found = self.held.get(name)
        if found is None:
            known = ", ".join(sorted(self.held)) or "none"
            raise SnapshotError(404, "NotFound", f"no snapshot {name!r}; held: {known}")
        return found

    def delete(self, name: str) -> None:
        self.get(name)
        del self.held[name]
        if not self.held:
            self._sizes.clear()

    def bytes(self) -> int:
        return sum(s.bytes for s in self.held.values())

    def listing(self) -> list[dict[str, Any]]:
        return [s.describe() for s in self.held.values()]

    def _size(self, change: Change) -> int:
        size = self._sizes.get(id(change))
        if size is None:
            size = ENTRY_BYTES + sum(
                len(Raw.of(r)) for r in (change.old, change.new) if r is not None
            )
            self._sizes[id(change)] = size
        return size


def check_name(name: str) -> None:
    """A snapshot name: 1-64 letters, digits, '.', '_', '-', starting with a letter or digit."""
    if not NAME.fullmatch(name):
        raise SnapshotError(
            400,
            "InvalidParameter",
            f"snapshot name {shown(name)} must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
