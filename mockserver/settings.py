"""Settings and the locations of the bundled data.

The bundled fixtures and schemas sit at the top of the source tree (`fixtures/`,
`schemas/`); the wheel carries copies under `mockserver/_data/`. Both layouts are
found from this file, so an editable checkout and an installed wheel serve the same data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mockserver.core.auth import Credential

_PACKAGE = Path(__file__).resolve().parent
# starlette's TestClient and the pytest plugin's in-process client (mockserver_client)
IN_PROCESS_HOSTS = ("testserver", "mockserver")


def data_dir(name: str) -> Path:
    """The bundled `fixtures` or `schemas` folder, installed or in a checkout."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled {name}/ folder not found next to {_PACKAGE}")


@dataclass(frozen=True)
class Settings:
    """Everything that shapes one server; built by the CLI, the tests or a user."""

    host: str = "127.0.0.1"
    port: int = 8000
    fixtures: Path | None = None  # None: the bundled fixtures
    log_level: str = "info"
    seed: int | None = None  # makes request ids (and anything random) repeat run to run
    generate: int = 0  # synthetic records per generated collection, on top of the fixtures
    journal_size: int = 1000  # requests remembered by GET /_mock/requests
    auth: str = "off"  # off | check | verify
    credentials: tuple[Credential, ...] = ()  # test keys for auth=verify
    faults: tuple[dict[str, Any], ...] = ()  # fault rules active from the start
    rate_limits: tuple[tuple[str, float], ...] = ()  # (vendor, requests per second)
    # when resources leave PENDING, UPDATING, DELETING...: immediate, reads:N, seconds:S
    # or manual (core/lifecycle.py); reads:1 lets a polling client see the state once
    lifecycle: str = "reads:1"
    workers: int = 1  # uvicorn worker processes; control-plane writes are refused above 1
    # Host names the control plane answers besides IP literals, localhost and `host`
    # (mockserver/guard.py); by default the names in-process clients use. `serve` replaces
    # them with its --allowed-host names.
    allowed_hosts: tuple[str, ...] = IN_PROCESS_HOSTS
    admin_token: str | None = None  # when set, every /_mock/ write must carry it
    # records saved here on a clean shutdown and POST /_mock/state/save, loaded at start
    state_dir: Path | None = None

    def to_json(self) -> str:
        """The settings as JSON, to hand them to worker processes."""
        data = asdict(self)
        data["fixtures"] = str(self.fixtures) if self.fixtures is not None else None
        data["state_dir"] = str(self.state_dir) if self.state_dir is not None else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["fixtures"] = Path(data["fixtures"]) if data["fixtures"] is not None else None
        data["state_dir"] = Path(data["state_dir"]) if data.get("state_dir") else None
        data["credentials"] = tuple(Credential(**c) for c in data["credentials"])
        data["faults"] = tuple(data["faults"])
        data["rate_limits"] = tuple(tuple(r) for r in data["rate_limits"])
        data["allowed_hosts"] = tuple(data["allowed_hosts"])
        return cls(**data)

    @property
    def fixtures_dir(self) -> Path:
        return self.fixtures if self.fixtures is not None else data_dir("fixtures")
