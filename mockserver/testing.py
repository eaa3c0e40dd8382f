"""MockServer: the mock in a background thread, for scripts, unittest and pytest.

with MockServer(seed=1) as server:
    httpx.get(server.url + "/api/v1/deployments")
    server.add("dashscope", "deployments", [...])
    assert server.requests()[-1]["status"] == 200
    server.reset()

Resources with a lifecycle (DashScope deployments) move as the timing mode says:
    MockServer(lifecycle="manual")           only when told: server.transition(...)
    server.clock.freeze(); server.clock.advance(600)   the mock's time, for seconds:S
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from mockserver.admin import reset_state
from mockserver.app import MockApp, create_app
from mockserver.core.auth import Credential
from mockserver.core.auth import credentials as parse_credentials
from mockserver.core.clock import Clock
from mockserver.core.faults import rate_limits as parse_rate_limits
from mockserver.core.lifecycle import Timing
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
        """Stop serving; no thread or socket is left behind."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
            if self._thread.is_alive():
                raise RuntimeError("the mock server thread did not stop")
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
