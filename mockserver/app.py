"""create_app(settings) -> Starlette: the one constructor the CLI, tests and users share."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from mockserver import admin, console, openapi, pages
from mockserver.core.auth import MODES, AuthConfig
from mockserver.core.bounded import Bounded, size_of
from mockserver.core.clock import Clock
from mockserver.core.diagnosis import auth_diagnosis, param_diagnosis, route_diagnosis
from mockserver.core.errors import ApiError, Diagnosis, clip
from mockserver.core.faults import Fault, Faults, FaultSpecError
from mockserver.core.feed import Feed
from mockserver.core.fixtures import Dataset, load_dir
from mockserver.core.generate import generate, paused_gc
from mockserver.core.journal import Journal, JournalMiddleware, Tap
from mockserver.core.lifecycle import Lifecycle, Timing, outcomes
from mockserver.core.params import ParamError
from mockserver.core.provenance import Source, read, source_at
from mockserver.core.schemas import Schemas, bundled
from mockserver.core.state import Snapshots, has_state, recover
from mockserver.core.store import Store
from mockserver.core.transport import (
    NO_CONNECTION,
    Broken,
    connection_of,
    gateway_page,
    needs_connection,
)
from mockserver.core.vendor import Endpoint, Operation, Vendor, vendor_for
from mockserver.core.writes import WriteError
from mockserver.guard import ControlPlaneGuard
from mockserver.settings import Settings
from mockserver.vendors import VENDORS

log = logging.getLogger("mockserver")


def load_fixtures(
    settings: Settings, vendors: Sequence[Vendor] = VENDORS, schemas: Schemas | None = None
) -> Dataset:
    """The validated records of the settings' fixtures folder (raises FixtureError)."""
    collections = {v.name: v.collections for v in vendors}
    return load_dir(settings.fixtures_dir, collections, schemas or bundled())


def load_data(
    settings: Settings,
    vendors: Sequence[Vendor] = VENDORS,
    progress: Callable[[str], None] | None = None,
) -> Dataset:
    """The fixtures plus `settings.generate` synthetic records per generated collection;
    or, where `settings.state_dir` holds a saved state, that state (instead of both)."""
    folder = settings.state_dir
    if folder is not None:
        recover(folder)
        if has_state(folder):
            return load_dir(folder, {v.name: v.collections for v in vendors}, bundled())
    dataset = load_fixtures(settings, vendors)
    generators = {v.name: v.generate for v in vendors if v.generate is not None}
    return generate(generators, dataset, settings.generate, settings.seed, progress)


def check_auth(settings: Settings, vendors: Sequence[Vendor] = VENDORS) -> None:
    """Refuse auth settings that cannot work (raises ValueError)."""
    if settings.auth not in MODES:
        raise ValueError(f"auth must be one of {', '.join(MODES)}, not {settings.auth!r}")
    names = [v.name for v in vendors]
    for credential in settings.credentials:
        if credential.vendor not in names:
            raise ValueError(
                f"credential for unknown vendor {credential.vendor!r}; known: {', '.join(names)}"
            )
    if settings.auth == "verify" and not settings.credentials:
        raise ValueError("auth 'verify' needs at least one credential VENDOR:KEY_ID:SECRET")


SETTINGS_VARIABLE = "MOCKSERVER_SETTINGS"


def app_from_environment() -> MockApp:
    """The app of one worker process (`serve --workers N`), from settings in the environment.

    Every worker loads the same fixtures and generates the same records (same seed), so
    all of them hold identical data.
    """
    settings = Settings.from_json(os.environ[SETTINGS_VARIABLE])
    return create_app(settings, dataset=load_data(settings))


def create_app(
    settings: Settings | None = None,
    *,
    dataset: Dataset | None = None,
    vendors: Sequence[Vendor] = VENDORS,
) -> MockApp:
    """The ASGI app serving every vendor; loads and validates the fixtures first."""
    settings = settings or Settings()
    check_auth(settings, vendors)
    if dataset is None:
        dataset = load_data(settings, vendors)
    operations = tuple(
        (
            RawRoute(op.path, _guarded(v, op), methods=[op.method], name=f"{v.name}.{op.name}"),
            (v.name, op.name),
        )
        for v in vendors
        for op in v.operations
    )
    journal = Journal(settings.journal_size, _describer(vendors))
    app = MockApp(
        operations,
        routes=[*admin.routes, *console.routes, *pages.routes],
        middleware=[
            Middleware(ControlPlaneGuard, settings=settings),
            Middleware(JournalMiddleware, journal=journal),
        ],
        exception_handlers=dict(HANDLERS),
    )
    # A trailing slash is a different path to the real services: answer 404, not a redirect.
    app.router.redirect_slashes = False
    app.settings = settings
    app.vendors = tuple(vendors)
    with paused_gc():
        store = Store(vendors, dataset, bundled())
    app.store = store
    app.openapi = openapi.document(vendors, bundled())
    app.journal = journal
    app.feed = Feed(journal, store.watchers)
    app.clock = clock = Clock()
    app.lifecycle = lifecycle(settings, store, clock, vendors)
    app.snapshots = Snapshots()
    # Workers share a seed for their data, not for their request ids.
    app.rng = random.Random(
        settings.seed if settings.workers == 1 else f"{settings.seed}:{os.getpid()}"
    )
    app.auth = AuthConfig(settings.auth, settings.credentials)
    app.faults = Faults(
        statuses={v.name: v.statuses for v in vendors},
        operations={v.name: tuple(op.name for op in v.operations) for v in vendors},
        seed=settings.seed,
        initial=settings.faults,
        rate_limits=dict(settings.rate_limits),
        outcomes=outcomes(k for v in vendors for k in v.lifecycles),
        clock=clock,
    )
    return app


def lifecycle(
    settings: Settings, store: Store, clock: Clock, vendors: Sequence[Vendor]
) -> Lifecycle:
    """The machine moving resources through their states, timed as the settings say.

    Several worker processes each hold their own records: a read moving one of them
    would leave the others behind, so their resources move only when told (which the
    control plane then refuses), i.e. they keep the states they were loaded with.
    """
    timing = Timing.parse(settings.lifecycle) if settings.workers == 1 else Timing("manual")
    return Lifecycle(store, clock, timing, {v.name: v.lifecycles for v in vendors})


KEPT_ENCODED = re.compile(r"(%2[fF]|%25)")


def routing_path(raw_path: bytes) -> str:
    """The path requests are routed and journaled by: `raw_path` with every escape decoded
    except `%2F` and `%25`.

    An encoded slash is part of a path segment (the Alibaba SDK percent-encodes `/` inside
    ids), so `/models/a%2Fversions` is GetModel of `a/versions`, not ListModelVersions of
    `a`; keeping `%25` encoded too means each parameter is decoded exactly once, after the
    match (RawRoute), whatever it holds.
    """
    parts = KEPT_ENCODED.split(raw_path.decode("latin-1"))
    parts[::2] = [unquote(part) for part in parts[::2]]
    return "".join(parts)


def _raw_routed(scope: Scope) -> None:
    """Route by the raw path: scope["path"] becomes routing_path(scope["raw_path"])."""
    raw = scope.get("raw_path")
    if raw and b"%" in raw:
        scope["path"] = routing_path(raw)


class RawRoute(Route):
    """A route matched against routing_path(); each path parameter is decoded after the match."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        params = child.get("path_params")
        if params and any("%" in str(value) for value in params.values()):
            child["path_params"] = {
                k: unquote(v) if isinstance(v, str) else v for k, v in params.items()
            }
        return match, child


Matched = tuple[Route, tuple[str, str], dict[str, Any]]  # route, (vendor, op), path params
UNPARSABLE = (
    "The request is not valid HTTP/1.1: percent-encode spaces and control characters in "
    "the URL, and check the request line and headers."
)
# Bytes of (method, path as sent) -> routed path and match remembered, paths counted
# three times (the key, the routed path and the path parameters); then it starts over.
# A path that matched nothing is not kept: its answer takes the full stack anyway, and
# unmatched paths are what a scan varies without end.
MATCHES_BUDGET = 2**20


class MockApp(Starlette):
    """Starlette, with a short way in for the vendor operations.

    A request that fully matches an operation's route goes straight to its endpoint,
    with the same exception handlers and journal as the full stack but without its
    layers of middleware and send wrappers, which cost about as much as the mock's own
    work (see docs/architecture.md). Anything else (the control plane, the pages, a
    wrong path or method) takes the full stack, whose router tries the same routes first.
    """

    # What the handlers share, as typed attributes (starlette's `state` is untyped, and
    # each of its reads is a Python-level __getattr__ on the hot path).
    settings: Settings
    vendors: tuple[Vendor, ...]
    store: Store
    openapi: dict[str, Any]
    journal: Journal
    feed: Feed  # the console's live view of the journal and the store
    clock: Clock  # the mock's time: every timestamp it writes reads it
    lifecycle: Lifecycle  # resources moving through their states (core/lifecycle.py)
    snapshots: Snapshots  # named marks of the store (POST /_mock/snapshots/{name})
    rng: random.Random
    auth: AuthConfig
    faults: Faults

    def __init__(
        self,
        operations: Sequence[tuple[Route, tuple[str, str]]],
        routes: Sequence[BaseRoute],
        **options: Any,
    ) -> None:
        """The operations' routes (each with its vendor and operation name) come first."""
        super().__init__(routes=[*(route for route, _ in operations), *routes], **options)
        self.operations = tuple(operations)
        # keyed by the path as sent; the routed path is kept with the match, so a request
        # seen before is neither decoded nor matched again
        self._matched: Bounded[tuple[str, bytes | str, str], tuple[str, Matched]] = Bounded(
            MATCHES_BUDGET, lambda key, _: 3 * size_of(key)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # the path as sent (bytes; the decoded path where a server gives no raw_path)
            key = (
                scope["method"],
                scope.get("raw_path") or scope["path"],
                scope.get("root_path", ""),
            )
            kept = self._matched.get(key)
            if kept is None:
                _raw_routed(scope)
                matched = self._match(scope)
                if matched is not None:
                    self._matched.put(key, (scope["path"], matched))
            else:
                scope["path"], matched = kept
            if matched is not None:
                route, described, params = matched
                scope["endpoint"] = route.endpoint
                scope["path_params"] = dict(params)
                scope["app"] = self
                scope["router"] = self.router
                scope["route"] = route
                await self._operation(route.endpoint, described, scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def unparsable(
        self,
        method: str,
        target: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        status: int = 400,
        message: str = UNPARSABLE,
    ) -> Response:
        """The answer to a request the HTTP parser rejected (a space in the URL, say; or,
        with `status` 431, a head too large to read).

        What was read of it decides the envelope: the 400 of the vendor whose prefix the
        target starts with (nginx-based gateways answer an oversized head with 400 too),
        else the neutral answer with `status`; it is journaled like any request.
        """
        raw_path, _, query = target.partition(b"?")
        path = routing_path(raw_path) if raw_path.startswith(b"/") else "/"
        scope: Scope = {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "headers": list(headers),
            "root_path": "",
            "app": self,
            "state": {},
        }
        request = Request(scope)
        vendor = vendor_for(self.vendors, path)
        if vendor is not None:
            error = vendor.error(request, 400)
            error.message = message  # the vendor's 400 code, with what went wrong
            shown = clip(target.decode("latin-1"))
            error.diagnosis = Diagnosis("http.unparsable", "request", shown, message, ALL_VENDORS)
        else:
            code = "BadRequest" if status == 400 else "RequestHeaderFieldsTooLarge"
            error = ApiError(status, code, message)
        response = error.render(request)
        self.journal.record(time.time(), scope, error.status, 0.0)
        return response

    def _match(self, scope: Scope) -> Matched | None:
        """The operation this request fully matches, or None.

        The router tries the operations' routes first and takes the first full match,
        so this finds the route it would.
        """
        for route, described in self.operations:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route, described, child["path_params"]
        return None

    async def _operation(
        self,
        endpoint: Endpoint,
        described: tuple[str, str],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        tap = Tap(receive, send) if self.journal.watchers else None  # a console watches
        if tap is not None:
            receive, send = tap.receive, tap.send
        request = Request(scope, receive)
        when, started, status = time.time(), time.perf_counter(), 500
        try:
            response = await _respond(endpoint, request)
            status = response.status_code
            if type(response).__call__ is Response.__call__ and response.background is None:
                # what Response.__call__ sends, without its coroutine (this is per request)
                headers = response.raw_headers
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": response.body})
            else:
                await response(scope, receive, send)
        finally:
            duration = time.perf_counter() - started
            self.journal.record(when, scope, status, duration, described, tap)


async def _respond(endpoint: Endpoint, request: Request) -> Response:
    """The endpoint's answer, or its failure's, as the app's handlers render it."""
    try:
        return await endpoint(request)
    except Exception as exc:  # noqa: BLE001 - each kind has its handler; Exception's logs
        handler = next(HANDLERS[c] for c in type(exc).__mro__ if c in HANDLERS)
        return await handler(request, exc)


def _guarded(vendor: Vendor, operation: Operation) -> Endpoint:
    """The operation's endpoint behind injected faults, the auth check and rate limits."""
    endpoint = operation.endpoint

    async def answer(request: Request) -> Response:
        auth: AuthConfig = request.app.auth
        if auth.mode != "off" and vendor.authenticate is not None:
            state = request.scope.setdefault("state", {})  # for the journal (assert_signed)
            state["auth"] = "refused"
            try:
                await vendor.authenticate(request, auth, operation.name)
            except ApiError as exc:
                if exc.diagnosis is None:
                    headers = request.scope["headers"]
                    exc.diagnosis = auth_diagnosis(headers, exc.message, AUTH_SOURCE)
                raise
            state["auth"] = "ok"
        if vendor.name in request.app.faults.rate_limits:
            # after the auth check: a refused request does not spend its key's bucket
            limited = request.app.faults.from_rate_limit(vendor.name, _client(request))
            if limited is not None:
                request.scope.setdefault("state", {})["fault"] = limited.describe()
                raise _fault_error(vendor, request, limited)
        return await endpoint(request)

    async def guarded(request: Request) -> Response:
        fault = _fault_for(vendor, operation, request)
        if fault is None:
            return await answer(request)
        request.scope.setdefault("state", {})["fault"] = fault.describe()
        if needs_connection(fault.fault) and connection_of(request.scope) is None:
            error = vendor.error(request, 400)
            error.message = (
                f"The mock cannot apply this fault: {NO_CONNECTION.format(fault=fault.fault)}."
            )
            error.diagnosis = Diagnosis("fault.directive", "fault", None, error.message, FAULTS)
            raise error
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.fault is None:
            if fault.status is not None:
                raise _fault_error(vendor, request, fault)
            return await answer(request)  # a sequence's step with the usual answer
        return await _broken(vendor, request, fault, answer)

    guarded.__name__ = getattr(endpoint, "__name__", "endpoint")
    return guarded


async def _broken(vendor: Vendor, request: Request, fault: Fault, answer: Endpoint) -> Response:
    """The answer a transport fault breaks: the injected status's, a gateway's page, or the
    operation's own."""
    assert fault.fault is not None
    if fault.fault == "gateway_page":
        assert fault.status is not None
        page = gateway_page(vendor.gateway, fault.status)
        return Broken(Response(status_code=fault.status), fault.fault, page=page)
    if fault.status is not None:
        inner = _fault_error(vendor, request, fault).render(request)
    else:
        inner = await _respond(answer, request)
    return Broken(inner, fault.fault, fault.bytes_per_s or 0)


def _fault_for(vendor: Vendor, operation: Operation, request: Request) -> Fault | None:
    faults: Faults = request.app.faults
    directed = any(name.startswith(b"x-mock-") for name, _ in request.scope["headers"])
    if not (directed or faults.rules):
        return None  # the common case, kept cheap: nothing to inject
    try:
        fault = faults.from_headers(vendor.name, request.headers)
    except FaultSpecError as exc:
        error = vendor.error(request, 400)
        error.message = f"The mock cannot apply this directive: {exc}."
        error.diagnosis = Diagnosis("fault.directive", "header X-Mock-*", None, str(exc), FAULTS)
        raise error from None
    if fault is None:
        fault = faults.from_rules(
            vendor.name, operation.name, request.url.path, vendor.workspace(request)
        )
    return fault


def _fault_error(vendor: Vendor, request: Request, fault: Fault) -> ApiError:
    """The vendor's error for an injected status; a 429 carries the vendor's retry hints."""
    assert fault.status is not None
    error = vendor.error(request, fault.status)
    error.injected = True  # no rule of the mock refused it: no diagnosis
    if fault.status == 429:
        wait_ms = fault.retry_after_ms or 1000
        error.headers["Retry-After"] = str(math.ceil(wait_ms / 1000))
        if vendor.retry_after_header:
            error.headers[vendor.retry_after_header] = str(wait_ms)
    return error


CREDENTIAL_ID = re.compile(r"(?:Credential|Access)=([^,\s]+)")


def _client(request: Request) -> str:
    """Who a rate limit counts against: the credential's key id or value, else the address."""
    authorization = request.headers.get("authorization")
    if authorization:
        found = CREDENTIAL_ID.search(authorization)
        return found.group(1) if found else authorization
    for name in ("x-api-key", "x-auth-token"):
        if request.headers.get(name):
            return request.headers[name]
    return request.client.host if request.client else "-"


def _describer(vendors: Sequence[Vendor]) -> Callable[[Scope], tuple[str | None, str | None]]:
    """scope -> (vendor, operation) for the journal, from the matched endpoint or the path."""

    def describe(scope: Scope) -> tuple[str | None, str | None]:
        vendor = vendor_for(vendors, scope["path"])
        route = scope.get("route")
        name = getattr(route, "name", "") or ""
        allowed = getattr(route, "methods", None) or ()
        if vendor is not None and name.startswith(vendor.name + ".") and scope["method"] in allowed:
            return vendor.name, name.split(".", 1)[1]
        return (vendor.name if vendor else None), None

    return describe


def _vendor(request: Request) -> Vendor | None:
    return vendor_for(request.app.vendors, request.url.path)


def _owned(vendor: Vendor | None, request: Request, neutral: ApiError) -> ApiError:
    """The vendor's own error for `neutral`'s status; `neutral` where no vendor owns the path."""
    return vendor.error(request, neutral.status) if vendor is not None else neutral


AUTH_SOURCE = Source(kind="decision", decision="Auth emulation (`--auth`)").cite()
FAULTS = Source(kind="decision", decision="Faults and rate limits").cite()
ALL_VENDORS = Source(kind="decision", decision="All vendors").cite()


def _operation_of(request: Request) -> tuple[Vendor, Operation] | None:
    """The vendor operation the request reached (its route's name is vendor.operation)."""
    name = getattr(request.scope.get("route"), "name", "") or ""
    vendor_name, _, op_name = name.partition(".")
    for vendor in request.app.vendors:
        if vendor.name == vendor_name:
            for op in vendor.operations:
                if op.name == op_name:
                    return vendor, op
    return None


def _cite(request: Request, schema: str, path: str | None = None) -> str:
    """The source of `schema` (or of the property at JSON `path` in it), for a diagnosis."""
    source = source_at(request.app.store.schemas.documents, schema, path) if schema else None
    return source.cite() if source else ""


def _fallback(request: Request, exc: ApiError) -> Diagnosis:
    """A refusal no handler diagnosed (a record not found, a vendor's own check): the
    parameter whose value the vendor's message names (else the last path parameter),
    with that parameter's source, else the operation's."""
    reached = _operation_of(request)
    rule = "not_found" if exc.status == 404 else f"refused.{exc.status}"
    hint = clip(exc.message, 200)
    if reached is None:
        return Diagnosis(rule, "", None, hint)
    sent = {
        "path": request.path_params,
        "header": request.headers,
        "query": request.query_params,
    }
    given = [
        (param, str(sent[param.location].get(param.name) or ""))
        for param in reached[1].params
        if param.location in sent
    ]
    given = [(param, value) for param, value in given if value]
    named = [(param, value) for param, value in given if value in exc.message]
    paths = [(param, value) for param, value in given if param.location == "path"]
    chosen = named[0] if named else (paths[-1] if paths else None)
    if chosen is None:
        return Diagnosis(rule, "", None, hint, _cite(request, reached[1].response_schema))
    param, value = chosen
    origin = param.origin()
    source = origin.cite() if origin else _cite(request, reached[1].response_schema)
    return Diagnosis(rule, f"{param.location} {param.name}", clip(value), hint, source)


async def _render(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if exc.diagnosis is None and not exc.injected and 400 <= exc.status < 500:
        exc.diagnosis = _fallback(request, exc)
    return exc.render(request)


async def _param_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ParamError)
    vendor = _vendor(request)
    if vendor is None:  # a control-plane parameter
        return ApiError(400, "InvalidParameter", exc.describe()).render(request)
    error = vendor.param_error(request, exc)
    error.diagnosis = param_diagnosis(exc)
    return error.render(request)


async def _write_error(request: Request, exc: Exception) -> Response:
    """A write refused before any change, in the vendor's envelope (neutral elsewhere)."""
    assert isinstance(exc, WriteError)
    vendor = _vendor(request)
    if vendor is not None and vendor.write_error is not None:
        error = vendor.write_error(request, exc)
    else:
        error = ApiError(exc.status, "InvalidBody", exc.message)
    if exc.reason == "too_large":
        error.headers["connection"] = "close"  # rather than read the rest of the body
    reached = _operation_of(request)
    source = _cite(request, reached[1].request_schema, exc.field) if reached else ""
    field = f"body {exc.field}" if exc.field else "body"
    error.diagnosis = Diagnosis(f"body.{exc.reason}", field, None, clip(exc.message, 200), source)
    return error.render(request)


async def _http_error(request: Request, exc: Exception) -> Response:
    """The router's 404 (no such path) and 405 (wrong method), in the owner's envelope."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"No endpoint at {request.url.path}; see GET /_mock/health for what is served."
        neutral = ApiError(404, "NotFound", message)
    else:
        headers = dict(exc.headers or {})
        neutral = ApiError(exc.status_code, "HTTPError", str(exc.detail), headers=headers)
    vendor = _vendor(request)
    error = _owned(vendor, request, neutral)
    if not request.url.path.startswith("/_mock"):
        # under no prefix, the route of any vendor it most likely meant (/API/v1/models/x)
        error.diagnosis = _route_diagnosis(request, (vendor,) if vendor else request.app.vendors)
    return error.render(request)


def _route_diagnosis(request: Request, vendors: Sequence[Vendor]) -> Diagnosis:
    """Which documented route the request most likely meant, and that route's source."""
    documents = request.app.store.schemas.documents
    cites = {}
    for vendor in vendors:
        for op in vendor.operations:
            source = read(documents.get(op.response_schema, {}))
            cites[(op.method, op.path)] = source.cite() if source else ""
    return route_diagnosis(request.method, request.url.path, list(cites), cites)


async def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug in the mock: still a JSON answer in the vendor's envelope, never a traceback."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    neutral = ApiError(500, "InternalError", "The mock server failed unexpectedly.")
    return _owned(_vendor(request), request, neutral).render(request)


HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
    ApiError: _render,
    ParamError: _param_error,
    WriteError: _write_error,
    HTTPException: _http_error,
    Exception: _internal_error,
}
