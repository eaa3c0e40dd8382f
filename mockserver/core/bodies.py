"""Request bodies read with a size limit and parsed into JSON the mock can answer with.

A body is read chunk by chunk and refused as soon as it passes the limit, so a huge one
is never held whole. The JSON is refused unless every later answer can show it: no
NaN/Infinity (not JSON) nor numbers that overflow to them, no lone surrogates (no UTF-8
for them), no nesting deeper than any record needs (recursion in the validators, copies
and encoders).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.requests import Request

MAX_BODY = 1024 * 1024  # bytes
MAX_DEPTH = 32  # arrays and objects inside each other; records nest a few levels
SURROGATE = re.compile("[\ud800-\udfff]")


class BodyError(ValueError):
    """A body the mock refuses: `status` 413 when too large, else 400."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, or BodyError(413) once it is known to pass `limit` bytes."""
    too_large = BodyError(413, f"the body is larger than the limit of {limit:,} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and len(declared) < 20 and int(declared) > limit:
        raise too_large
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_json(raw: bytes) -> Any:
    """The JSON document in `raw`, or BodyError(400) saying why the mock cannot take it."""
    try:
        value = json.loads(raw, parse_constant=_not_json)
    except RecursionError:
        raise BodyError(400, f"the body nests more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # also bad UTF-8 and integers of more than 4,300 digits
        raise BodyError(400, f"the body is not JSON: {exc}") from None
    _check(value)
    return value


def _check(value: Any) -> None:
    """Depth and text of a parsed document, without recursion of its own."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                raise BodyError(400, "the body holds a lone UTF-16 surrogate (\\ud800-\\udfff)")
        elif isinstance(item, float):
            if not math.isfinite(item):  # 1e400 reads as inf, which JSON cannot write back
                raise BodyError(400, "the body holds a number too large for a double (1e400)")
        elif isinstance(item, list | dict):
            if depth > MAX_DEPTH:
                raise BodyError(400, f"the body nests more than {MAX_DEPTH} levels deep")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
