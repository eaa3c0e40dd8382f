"""Credentials and the signing primitives the vendors' auth checks share.

Modes: `off` accepts any or no credentials; `check` requires each vendor's credential to
be present and well formed; `verify` also checks it against configured test credentials
(`VENDOR:KEY_ID:SECRET`), recomputing request signatures where the vendor signs requests.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
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


@dataclass(frozen=True)
class AuthConfig:
    mode: str = "off"
    credentials: tuple[Credential, ...] = ()
    skew: timedelta = CLOCK_SKEW
    used_nonces: dict[str, datetime] = field(default_factory=dict, compare=False)

    def secret(self, vendor: str, key_id: str) -> str | None:
        return next(
            (c.secret for c in self.credentials if c.vendor == vendor and c.key_id == key_id),
            None,
        )

    def secrets(self, vendor: str) -> set[str]:
        return {c.secret for c in self.credentials if c.vendor == vendor}

    def first_use(self, nonce: str, now: datetime) -> bool:
        """Remember a signature nonce for the skew window; False if seen within it."""
        for old, seen in list(self.used_nonces.items()):
            if now - seen > self.skew:
                del self.used_nonces[old]
        if nonce in self.used_nonces:
            return False
        self.used_nonces[nonce] = now
        return True


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
    """A YAML file: `credentials: [{vendor, key_id, secret}, ...]`."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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
