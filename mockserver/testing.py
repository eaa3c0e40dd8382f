"""MockServer: the mock in a background thread, for scripts, unittest and pytest.

with MockServer(seed=1) as server:
    httpx.get(server.url + "/api/v1/deployments")
    server.add("dashscope", "deployments", [...])
    assert server.requests()[-1]["status"] == 200
    server.reset()
    server.snapshot("golden"); ...; server.restore("golden")
    server.assert_called("dashscope.ListDeployments", where={"page_size": "10"}, times=1)

Resources with a lifecycle (DashScope deployments) move as the timing mode says:
    MockServer(lifecycle="manual")           only when told: server.transition(...)
    server.clock.freeze(); server.clock.advance(600)   the mock's time, for seconds:S
"""

from __future__ import annotations

import asyncio
import copy
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from mockserver import assertions
from mockserver.admin import reset_state
from mockserver.app import MockApp, create_app
from mockserver.assertions import Call, Expected, Step, Where
from mockserver.core.auth import Credential
from mockserver.core.auth import credentials as parse_credentials
from mockserver.core.clock import Clock
from mockserver.core.faults import rate_limits as parse_rate_limits
from mockserver.core.lifecycle import Timing
from mockserver.core.state import document, from_document, save_dir
from mockserver.server import Server, options
from mockserver.settings import Settings

START_TIMEOUT = 30.0
T = TypeVar("T")


class MockServer:
    """A live server on 127.0.0.1 and a free port, with handles on its state."""

    def __init__(
        self,
        fixtures: str | Path | None = None,
        seed: int | None = None,
        *,
        generate: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        journal_size: int = 1000,
        log_level: str = "warning",
        auth: str = "off",
        credentials: Iterable[str | Credential | Sequence[str]] = (),
        faults: Iterable[Mapping[str, Any]] = (),
        rate_limits: Mapping[str, float] | Iterable[str] = (),
        lifecycle: str = Settings.lifecycle,
        state_dir: str | Path | None = None,
    ) -> None:
        self.settings = Settings(
            host=host,
            port=port,
            fixtures=Path(fixtures) if fixtures is not None else None,
            log_level=log_level,
            seed=seed,
            generate=generate,
            journal_size=journal_size,
            auth=auth,
            credentials=parse_credentials(credentials),
            faults=tuple(dict(f) for f in faults),
            rate_limits=tuple(parse_rate_limits(rate_limits).items()),
            lifecycle=lifecycle,
            state_dir=Path(state_dir) if state_dir is not None else None,
        )
        self.app: MockApp = create_app(self.settings)  # fixtures are checked here, not later
        self._socket: socket.socket | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> MockServer:
        if self._thread is not None:
            raise RuntimeError("this MockServer is already running")
        # Bind here, so the port is known before the server thread starts.
        self._socket = socket.create_server((self.settings.host, self.settings.port))
        config = uvicorn.Config(self.app, lifespan="off", **options(self.settings.log_level))
        self._server = Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"mockserver:{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the mock server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving; no thread or socket is left behind. With a `state_dir`, the
        records are saved there, as `serve --state-dir` does on a clean shutdown."""
        running = self._thread is not None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
            if self._thread.is_alive():
                raise RuntimeError("the mock server thread did not stop")
        if running and self.settings.state_dir is not None:
            save_dir(self.app.store.dataset(), self.settings.state_dir)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- where -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the mock server is not running")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (vendor paths go after it)."""
        return f"http://{self.settings.host}:{self.port}"

    def url_for(self, path: str) -> str:
        return self.url + (path if path.startswith("/") else "/" + path)

    # --- state -----------------------------------------------------------------------

    def _on_loop(self, change: Callable[[], T]) -> T:
        """Run a state change on the server's event loop, between two requests.

        Backends are changed in place, so a change made from this (the caller's) thread
        could be seen half-done by a request the server thread is answering.
        """
        servers = self._server.servers if self._server is not None and self.running else []
        if not servers:
            return change()

        async def on_loop() -> T:
            return change()

        loop = servers[0].get_loop()
        return asyncio.run_coroutine_threadsafe(on_loop(), loop).result(START_TIMEOUT)

    def reset(self) -> None:
        """Records and random source back to how they were at start; an empty journal."""
        self._on_loop(lambda: reset_state(self.app))
        self.app.journal.clear()

    def requests(self) -> list[dict[str, Any]]:
        """The request journal, oldest first (as GET /_mock/requests)."""
        return self.app.journal.list()

    def clear_requests(self) -> None:
        self.app.journal.clear()

    def add(
        self, vendor: str, collection: str, records: Sequence[dict[str, Any]] | dict[str, Any]
    ) -> int:
        """Add records validated like fixtures, all or none; raises mockserver.FixtureError."""
        batch = [records] if isinstance(records, dict) else list(records)
        return self._on_loop(lambda: self.app.store.add(vendor, collection, batch, source="add()"))

    def fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (the fields of POST /_mock/faults: vendor, operation, path,
        workspace, status, fault, delay_ms, bytes_per_s, times, probability, sequence,
        repeat, from_s, until_s). Returns the rule with its id; raises FaultSpecError."""
        return self._on_loop(lambda: self.app.faults.add(rule).describe())

    def remove_fault(self, rule_id: int) -> bool:
        """Retire one fault rule (an outage switched off); False if there is none."""
        return self._on_loop(lambda: self.app.faults.remove(rule_id))

    def faults(self) -> list[dict[str, Any]]:
        """The live fault rules, with their remaining counts (as GET /_mock/faults)."""
        return self.app.faults.listing()

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def data(self) -> dict[str, Any]:
        """Every record by vendor and collection (as GET /_mock/data)."""
        return self.app.store.dataset()

    # --- time and lifecycles (core/clock.py, core/lifecycle.py) -----------------------

    @property
    def clock(self) -> Clock:
        """The mock's clock: `freeze()`, `advance(600)`, `set(epoch)`, `reset()` (as
        POST /_mock/clock); every timestamp and timed transition reads it."""
        return self.app.clock

    def set_timing(self, mode: str) -> None:
        """When resources leave their passing states until the next reset: "immediate",
        "reads:N", "seconds:S" or "manual"; raises ValueError for another text."""
        timing = Timing.parse(mode)

        def change() -> None:
            self.app.lifecycle.timing = timing

        self._on_loop(change)

    def transition(
        self, vendor: str, resource: str, state: str | None = None, *, kind: str | None = None
    ) -> dict[str, Any] | None:
        """Move one resource now: into `state` (any the vendor documents), or along its
        usual way (PENDING -> RUNNING) when `state` is None. Returns the record as it is
        now (None once it is gone); raises LifecycleError for what cannot be done."""
        lifecycle = self.app.lifecycle
        found = lifecycle.kind(vendor, kind)
        return self._on_loop(lambda: lifecycle.force(vendor, found, resource, state))

    def transitions(self) -> list[dict[str, Any]]:
        """Every change of state so far, oldest first: time, vendor, kind, resource, from,
        to, why (as GET /_mock/transitions)."""
        return self.app.lifecycle.transitions()

    # --- snapshots and the state as a document ---------------------------------------

    def snapshot(self, name: str) -> dict[str, Any]:
        """Keep the records now as snapshot `name` (replacing one of that name); raises
        SnapshotError for a bad name or past the limits. Its description."""
        app = self.app
        taken, _ = self._on_loop(lambda: app.snapshots.take(name, app.store, app.clock))
        return taken.describe()

    def restore(self, name: str) -> None:
        """The records back to snapshot `name` (SnapshotError if there is none); costs the
        changes made since it, not the records held."""
        snapshot = self.app.snapshots.get(name)
        self._on_loop(lambda: self.app.store.restore(snapshot.mark))

    def snapshots(self) -> list[dict[str, Any]]:
        """The snapshots held (as GET /_mock/snapshots)."""
        return self.app.snapshots.listing()

    def delete_snapshot(self, name: str) -> None:
        self._on_loop(lambda: self.app.snapshots.delete(name))

    def state(self) -> dict[str, Any]:
        """The records as a state document `{version, records}` (GET /_mock/state?format=
        json): a copy, to keep, compare or hand to `load_state` later."""
        return copy.deepcopy(document(self.app.store.dataset()))

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Replace every record by those of a state document, checked as fixtures are,
        all or none (FixtureError); they become what a reset returns to."""
        vendors = {v.name: v.collections for v in self.app.vendors}
        dataset = from_document(copy.deepcopy(dict(state)), vendors, self.app.store.schemas)
        self._on_loop(lambda: self.app.store.reload(dataset))

    def save_state(self, folder: str | Path | None = None) -> Path:
        """Write the records as a fixtures folder (atomically): to `folder`, else to the
        server's `state_dir`. Returns where."""
        target = Path(folder) if folder is not None else self.settings.state_dir
        if target is None:
            raise ValueError("no folder given and the server has no state_dir")
        dataset = self._on_loop(self.app.store.dataset)
        save_dir(dataset, target)
        return target

    # --- assertions in vendor terms (mockserver/assertions.py) ----------------------

    def calls(
        self,
        operation: str | None = None,
        *,
        vendor: str | None = None,
        where: Where | None = None,
        status: int | None = None,
    ) -> list[Call]:
        """The journaled calls that match, oldest first; `operation` may be
        `vendor.Operation`, `where` maps `path.`, `query.`, `body.` fields (or bare
        names) to values or predicates."""
        expected = Expected.of(operation, vendor=vendor, where=where, status=status)
        return assertions.select(self._calls(), expected)

    def assert_called(
        self,
        operation: str | None = None,
        *,
        vendor: str | None = None,
        where: Where | None = None,
        status: int | None = None,
        times: int | None = None,
    ) -> list[Call]:
        """At least one matching call (exactly `times`); the message on failure shows the
        nearest calls that did not match, and why."""
        expected = Expected.of(operation, vendor=vendor, where=where, status=status)
        return assertions.assert_called(self._calls(), expected, times)

    def assert_not_called(
        self,
        operation: str | None = None,
        *,
        vendor: str | None = None,
        where: Where | None = None,
        status: int | None = None,
    ) -> None:
        expected = Expected.of(operation, vendor=vendor, where=where, status=status)
        assertions.assert_not_called(self._calls(), expected)

    def assert_sequence(self, steps: Sequence[Step]) -> list[Call]:
        """Calls matching `steps` in this order, others allowed between; a step is
        `"vendor.Operation"` or a mapping `{"operation": ..., "where": ..., "status": ...}`."""
        return assertions.assert_sequence(self._calls(), steps)

    def assert_signed(self) -> None:
        """Every call to an emulated operation passed the credential check (the server
        runs with auth "check" or "verify")."""
        assertions.assert_signed(self._calls(), self.settings.auth)

    def strict_problems(self, known_rules: Iterable[int] = ()) -> list[str]:
        """Unknown routes hit, requests refused as invalid, and fault rules (other than
        `known_rules`) never used: what the pytest plugin's strict mode fails a test for."""
        return assertions.strict_problems(self._calls(), self.faults(), known_rules)

    def _calls(self) -> list[Call]:
        return [Call.of(entry) for entry in self.app.journal.list()]
