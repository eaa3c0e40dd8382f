"""Credentials and the signing primitives the vendors' auth checks share.

Modes: `off` accepts any or no credentials; `check` requires each vendor's credential to
be present and well formed; `verify` also checks it against configured test credentials
(`VENDOR:KEY_ID:SECRET`), recomputing request signatures where the vendor signs requests.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import yaml

MODES = ("off", "check", "verify")
CLOCK_SKEW = timedelta(minutes=15)  # both Alibaba and Huawei allow 15 minutes


@dataclass(frozen=True)
class Credential:
    vendor: str
    key_id: str
    secret: str

    @classmethod
    def parse(cls, text: str) -> Credential:
        """`VENDOR:KEY_ID:SECRET`; the secret may itself hold colons."""
        parts = text.split(":", 2)
        if len(parts) != 3 or not parts[0] or not parts[2]:
            raise ValueError(f"a credential is VENDOR:KEY_ID:SECRET, not {text!r}")
        return cls(parts[0], parts[1], parts[2])


NONCES_KEPT = 200_000  # signature nonces remembered within the skew window, at most...
NONCE_BYTES_KEPT = 16 * 1024 * 1024  # ...and this many bytes of nonce text
NONCE_MAX_LENGTH = 128  # characters of one nonce (the SDKs send 32 or 36)

NonceUse = Literal["new", "used", "full"]


class NonceStore:
    """Nonces seen within the skew window, oldest first, bounded in entries and bytes.

    Nonces arrive in time order, so expiry pops from the front of a deque: each verified
    request costs O(1), however many nonces are held (a full scan per request made
    throughput fall as the store grew). At the bound a new nonce is refused ("full")
    rather than an old one forgotten, so a replay inside the window is never accepted.
    """

    def __init__(
        self,
        window: timedelta = CLOCK_SKEW,
        max_entries: int = NONCES_KEPT,
        max_bytes: int = NONCE_BYTES_KEPT,
    ) -> None:
        self.window = window.total_seconds()
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._order: deque[tuple[float, str]] = deque()
        self._seen: set[str] = set()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._order)

    @property
    def bytes(self) -> int:
        return self._bytes

    def use(self, nonce: str, now: datetime) -> NonceUse:
        """Remember `nonce` at `now`: "new", "used" (seen within the window) or "full"."""
        moment = now.timestamp()
        self._expire(moment)
        if nonce in self._seen:
            return "used"
        size = len(nonce.encode())
        if len(self._order) >= self.max_entries or self._bytes + size > self.max_bytes:
            return "full"
        self._order.append((moment, nonce))
        self._seen.add(nonce)
        self._bytes += size
        return "new"

    def retry_after(self, now: datetime) -> float:
        """Seconds until the oldest nonce expires and makes room (0 when there is room)."""
        if not self._order:
            return 0.0
        return max(0.0, self._order[0][0] + self.window - now.timestamp())

    def _expire(self, moment: float) -> None:
        order, horizon = self._order, moment - self.window
        # `seen` stays in the window even if a clock step puts a later nonce first
        while order and order[0][0] < horizon:
            _, old = order.popleft()
            self._seen.discard(old)
            self._bytes -= len(old.encode())


@dataclass(frozen=True)
class AuthConfig:
    mode: str = "off"
    credentials: tuple[Credential, ...] = ()
    skew: timedelta = CLOCK_SKEW
    nonces: NonceStore = field(default_factory=NonceStore, compare=False)

    def secret(self, vendor: str, key_id: str) -> str | None:
        return next(
            (c.secret for c in self.credentials if c.vendor == vendor and c.key_id == key_id),
            None,
        )

    def secrets(self, vendor: str) -> set[str]:
        return {c.secret for c in self.credentials if c.vendor == vendor}


def credentials(values: Iterable[str | Credential | Sequence[str]]) -> tuple[Credential, ...]:
    """Credentials from strings, triples or Credential objects."""
    found = []
    for value in values:
        if isinstance(value, Credential):
            found.append(value)
        elif isinstance(value, str):
            found.append(Credential.parse(value))
        else:
            found.append(Credential(*value))
    return tuple(found)


def load_credentials(path: Path) -> tuple[Credential, ...]:
    """A file of credentials: one `VENDOR:KEY_ID:SECRET` a line (as `--credential`), blank
    lines and `#` comments allowed; or YAML `credentials: [{vendor, key_id, secret}, ...]`.

    A file is the way to hand secrets over without showing them in `ps`.
    """
    text = path.read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if lines and not lines[0].startswith("credentials:"):
        found = []
        for number, line in enumerate(lines, 1):
            try:
                found.append(Credential.parse(line))
            except ValueError:
                raise ValueError(
                    f"{path}: credential {number} is not VENDOR:KEY_ID:SECRET "
                    "(one a line, '#' for comments)"
                ) from None
        return tuple(found)
    try:
        data: Any = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:  # its text would quote the line, which may hold a secret
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{path}: not valid YAML{where}") from None
    items = data.get("credentials", []) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(
            f"{path}: expected 'credentials:' with a list of {{vendor, key_id, secret}}"
        )
    try:
        return tuple(
            Credential(str(i["vendor"]), str(i["key_id"]), str(i["secret"])) for i in items
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: each credential needs vendor, key_id and secret") from exc


# --- signing primitives ------------------------------------------------------------------


def bearer(headers: Any) -> str:
    """The token of `Authorization: Bearer <token>`, or "" when there is none."""
    value: str = headers.get("authorization", "")
    return value[7:].strip() if value.startswith("Bearer ") else ""


def now() -> datetime:
    return datetime.now(UTC)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hmac_sha256_hex(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def encode(text: str) -> str:
    """RFC 3986 percent-encoding, as both vendors' canonical requests use it."""
    return quote(text, safe="~")


def canonical_query(items: Iterable[tuple[str, str]]) -> str:
    """Sorted `key=value` pairs, each part percent-encoded, joined by '&'."""
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(items))


def canonical_headers(headers: Any, names: Sequence[str]) -> str:
    """`name:value` lines for the signed headers (values trimmed, repeats sorted and joined)."""
    lines = []
    for name in names:
        values = sorted(v.strip() for v in headers.getlist(name))
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)
