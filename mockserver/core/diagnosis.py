"""What to tell a user whose request the mock refused: the rule, the field, the source.

Vendor-free: the app's handlers build a `Diagnosis` from what refused the request (a
`ParamError`, a `WriteError`, the router's 404/405, an auth check) and the operations'
own declarations, and the error renders it beside the vendor's envelope.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from mockserver.core.errors import Diagnosis, clip
from mockserver.core.masking import MASK, SECRET_HEADERS, mask_header, secret_query_key
from mockserver.core.params import ParamError

SIMILAR_LIMIT = 256  # characters of a path compared with the routes for the nearest one
Route = tuple[str, str]  # (method, path template), e.g. ("GET", "/api/v1/models/{ModelId}")


def _fits(segments: Sequence[str], template: Sequence[str], fold: bool = False) -> bool:
    """Whether path segments match a template's (`{name}` takes any non-empty segment)."""
    if len(segments) != len(template):
        return False
    for seg, part in zip(segments, template, strict=True):
        if part.startswith("{") and part.endswith("}"):
            if not seg:
                return False
        elif (seg.lower() != part.lower()) if fold else (seg != part):
            return False
    return True


def _split(path: str) -> list[str]:
    return path.split("/")


def nearest(method: str, path: str, routes: Sequence[Route]) -> tuple[str, Route] | None:
    """Why `method path` matched no route, and the documented route it most likely meant:
    wrong method, trailing slash, wrong casing, a missing or an extra segment, else the
    most similar path. None when there are no routes."""
    if not routes:
        return None
    segments = _split(path)
    for reason in REASONS:
        found = [r for r in routes if _fits_because(reason, path, segments, _split(r[1]))]
        if found:
            same_method = [r for r in found if r[0] == method]
            return reason, (same_method or found)[0]
    shown = path[:SIMILAR_LIMIT]  # the ratio costs the product of the lengths
    score = [
        (difflib.SequenceMatcher(None, shown, r[1]).ratio() + (r[0] == method), r) for r in routes
    ]
    return "unknown path", max(score, key=lambda pair: pair[0])[1]


REASONS = ("wrong method", "trailing slash", "wrong casing", "missing segment", "extra segment")


def _fits_because(reason: str, path: str, segments: list[str], template: list[str]) -> bool:
    """Whether the path matches `template` once the mistake `reason` names is undone."""
    if reason == "wrong method":
        return _fits(segments, template)
    if reason == "trailing slash":
        return path.endswith("/") and _fits(_split(path.rstrip("/")), template)
    if reason == "wrong casing":
        return _fits(segments, template, fold=True)
    if reason == "missing segment":  # left out, or left empty (`/models//versions`)
        given = [s for i, s in enumerate(segments) if s or i == 0]
        if len(given) != len(template) - 1:
            return False
        shorter = (template[:i] + template[i + 1 :] for i in _inner(template))
        return any(_literal(t) and _fits(given, t) for t in shorter)
    if len(segments) != len(template) + 1:  # the only length one extra segment can fit
        return False
    return _literal(template) and any(
        _fits(segments[:i] + segments[i + 1 :], template) for i in _inner(segments)
    )


def _literal(template: Sequence[str]) -> bool:
    """Whether a template has a fixed segment: one matched by parameters alone says nothing."""
    return any(part and not part.startswith("{") for part in template)


def _inner(parts: Sequence[str]) -> range:
    return range(1, len(parts))  # never the empty segment before the first '/'


def route_diagnosis(
    method: str, path: str, routes: Sequence[Route], cite: dict[Route, str]
) -> Diagnosis:
    """The diagnosis of a path or method no operation serves."""
    found = nearest(method, path, routes)
    if found is None:
        return Diagnosis("route.unknown", "path", clip(path), "no documented route here")
    reason, route = found
    rule = "route.method" if reason == "wrong method" else "route.unknown"
    hint = f"{reason}: the documented route is {route[0]} {route[1]}"
    return Diagnosis(rule, "path", clip(f"{method} {path}"), hint, cite.get(route, ""))


def param_diagnosis(exc: ParamError) -> Diagnosis:
    """The diagnosis of a path, query or header value a parameter spec refused."""
    param = exc.param
    secret = (
        secret_query_key(param.name)
        if param.location == "query"
        else param.name.lower() in SECRET_HEADERS
    )
    value = MASK if secret else clip(exc.value)
    hint = "give it once" if exc.reason == "repeated" else f"must be {param.allowed()}"
    origin = param.origin()
    return Diagnosis(
        f"param.{exc.reason}",
        f"{param.location} {param.name}",
        value,
        hint,
        origin.cite() if origin else "",
    )


AUTH_HEADERS = ("authorization", "x-api-key", "x-auth-token", "x-acs-bearer-token")


def auth_diagnosis(headers: Sequence[tuple[bytes, bytes]], message: str, source: str) -> Diagnosis:
    """The diagnosis of a refused credential: the header it read, masked."""
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        if name in AUTH_HEADERS:
            value = clip(mask_header(name, raw_value.decode("latin-1")))
            return Diagnosis("auth", f"header {name}", value, clip(message, 200), source)
    return Diagnosis("auth", "header", None, clip(message, 200), source)
