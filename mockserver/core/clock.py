"""The mock's one clock: every timestamp the mock writes and every timed change reads it.

Real time by default. Tests can freeze it, set it or move it forward, so that what
takes the real services minutes (a deployment, an outage window) takes no waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime


class Clock:
    """Wall time plus an offset, or a frozen instant.

    `time()` is seconds since the epoch (float), `now()` the same as an aware UTC
    datetime. Moving the clock never moves it backwards unless `set` is asked to.
    """

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._offset = 0.0
        self._frozen: float | None = None

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    @property
    def offset(self) -> float:
        """Seconds the clock reads ahead of wall time (behind when negative)."""
        return self.time() - self._wall()

    def time(self) -> float:
        return self._frozen if self._frozen is not None else self._wall() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def freeze(self) -> None:
        """Stop the clock at its current reading."""
        self._frozen = self.time()

    def unfreeze(self) -> None:
        """Run again from the frozen reading (wall time keeps the offset that gives it)."""
        if self._frozen is not None:
            self._offset = self._frozen - self._wall()
            self._frozen = None

    def set(self, at: float) -> None:
        """Read `at` now; a frozen clock stays frozen there, a running one runs on from it."""
        if self._frozen is not None:
            self._frozen = at
        else:
            self._offset = at - self._wall()

    def advance(self, seconds: float) -> None:
        """Move forward by `seconds` (>= 0)."""
        if seconds < 0:
            raise ValueError("the clock only advances: seconds must be >= 0")
        self.set(self.time() + seconds)

    def reset(self) -> None:
        """Back to real time."""
        self._offset, self._frozen = 0.0, None
