"""Secrets out of what the mock shows: the journal and the access log.

Whatever form a client sends a secret in (any Authorization scheme and spacing, a token
header, a cookie, a signature or key in the query string), what is shown keeps only what
a test asserts on (the scheme, the key id, the signed headers, a secret's first
characters) and never enough to reuse it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

MASK = "****"
# Headers whose whole value is a secret (an Authorization-style header is parsed instead).
SECRET_HEADERS = frozenset(
    {
        "x-api-key",
        "x-auth-token",
        "x-security-token",
        "x-acs-security-token",
        "x-acs-bearer-token",
        "x-subject-token",
        "x-dashscope-api-key",
        "api-key",
    }
)
AUTHORIZATION_HEADERS = frozenset({"authorization", "proxy-authorization"})
# Signature parameters that identify rather than prove: shown as sent.
READABLE_PARAMS = frozenset({"credential", "access", "signedheaders", "algorithm"})
SIGNED = re.compile(r"(?:^|[\s,])(?:signature|credential|access)=", re.IGNORECASE)
# Query keys, lower case without '-', '_' and '.', that carry secrets (or end so).
SECRET_KEY_ENDINGS = ("signature", "secret", "token", "password", "apikey", "accesskey")
SECRET_KEYS = frozenset({"key", "sig", "auth", "authorization", "credential", "passwd", "pwd"})
# a part of every name above: a query holding none of them holds no secret key
HINTS = re.compile(rb"key|sig|auth|credential|passw|pwd|secret|token")


def mask(secret: str) -> str:
    """Enough of a secret to tell two apart, never enough to use it."""
    return secret[:4] + MASK if len(secret) > 8 else MASK


def mask_authorization(value: str) -> str:
    """Any Authorization value, masked: the scheme as sent, then by its form.

    Signature schemes (`Credential=`/`Access=`, `Signature=` parameters) keep the key id
    and signed headers; `acs AK:signature` keeps the key id; `Basic` hides everything;
    any other credential (Bearer, Token, lower case, extra spaces) shows its first
    characters; a value without a scheme is one secret.
    """
    scheme, space, rest = value.strip().partition(" ")
    rest = rest.strip()
    if not space or not rest:
        return mask(scheme) if scheme else ""
    if SIGNED.search(rest):
        return f"{scheme} {re.sub(r'[^,]+', _param, rest)}"
    kind = scheme.lower()
    if kind == "basic":
        return f"{scheme} {MASK}"
    if kind == "acs" and ":" in rest:
        return f"{scheme} {rest.partition(':')[0]}:{MASK}"
    return f"{scheme} {mask(rest)}"


def _param(match: re.Match[str]) -> str:
    """One comma-separated part of a signature: `key=value` kept or masked by key."""
    part = match.group(0)
    lead = part[: len(part) - len(part.lstrip())]
    key, equals, _ = part.strip().partition("=")
    if not equals:
        return lead + MASK
    return part if key.lower() in READABLE_PARAMS else f"{lead}{key}={MASK}"


def mask_cookie(value: str) -> str:
    """Cookie names stay, their values do not."""
    names = (pair.partition("=")[0].strip() for pair in value.split(";"))
    return "; ".join(f"{name}={MASK}" for name in names if name)


def mask_header(name: str, value: str) -> str:
    """A header's value as it may be shown (`name` in lower case)."""
    if name in AUTHORIZATION_HEADERS:
        return mask_authorization(value)
    if name in SECRET_HEADERS:
        return mask(value)
    if name in ("cookie", "set-cookie"):
        return mask_cookie(value)
    return value


# what a key may hold between the letters of a secret's name: '-', '_', '.', whitespace
_SEPARATOR_TEXT = "-_. \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"
_SEPARATORS = dict.fromkeys(map(ord, _SEPARATOR_TEXT))
_SEPARATOR_BYTES = _SEPARATOR_TEXT.encode("latin-1")


def secret_query_key(key: str) -> bool:
    """Whether a query parameter carries a secret (Signature, AccessKeySecret, api_key,
    token, X-Amz-Signature, ...), whatever its case and separators."""
    plain = key.translate(_SEPARATORS).lower()
    return plain in SECRET_KEYS or plain.endswith(SECRET_KEY_ENDINGS)


BODY_SECRET_KEYS = SECRET_KEYS - {"key", "sig", "auth"}  # a body's `Key` is a label's name
BODY_SECRET_ENDINGS = (*SECRET_KEY_ENDINGS, "secretkey", "privatekey")


def secret_body_key(key: str) -> bool:
    """Whether a JSON body field carries a secret (`password`, `AccessKeySecret`,
    `api_key`, `token`, ...), as secret_query_key; but not a bare `Key` (PAI labels)."""
    plain = key.translate(_SEPARATORS).lower()
    return plain in BODY_SECRET_KEYS or plain.endswith(BODY_SECRET_ENDINGS)


def mask_query(raw: bytes) -> str:
    """A raw query string as it may be shown: secret values replaced, the rest as sent."""
    text = raw.decode("latin-1")
    if b"%" in raw or b"+" in raw:
        return _masked_query(text)  # an encoded key may spell any name
    # Every secret key, lower-cased and without separators, holds one of HINTS and is a
    # substring of the whole query so reduced: most queries are settled by this alone.
    plain = raw.translate(None, _SEPARATOR_BYTES).lower()
    if HINTS.search(plain) is None:
        return text
    return _masked_query(text)


def _masked_query(text: str) -> str:
    """Runs for every access line: a query without secrets is returned as it came."""
    parts = text.split("&")
    masked = False
    for at, part in enumerate(parts):
        key, equals, _ = part.partition("=")
        if not equals:
            continue
        if "%" in key or "+" in key:
            key = unquote_plus(key, encoding="latin-1")
        if secret_query_key(key):
            parts[at] = f"{part.partition('=')[0]}={MASK}"
            masked = True
    return "&".join(parts) if masked else text
