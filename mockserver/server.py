"""uvicorn, set up for the mock: our logger beside uvicorn's, and a 'listening on' line."""

from __future__ import annotations

import logging
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

log = logging.getLogger("mockserver")


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's own logging set-up, with the `mockserver` logger added."""
    config: dict[str, Any] = {**LOGGING_CONFIG, "loggers": dict(LOGGING_CONFIG["loggers"])}
    config["loggers"]["mockserver"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


class Server(uvicorn.Server):
    """uvicorn's server, saying where the mock listens once the socket is bound."""

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            log.info("mockserver listening on %s (health: %s/_mock/health)", self.url, self.url)

    @property
    def url(self) -> str:
        host, port = self.config.host, self.config.port
        if self.servers and self.servers[0].sockets:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"
