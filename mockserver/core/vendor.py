"""What a vendor package hands the app: its operations, data and error rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.auth import AuthConfig
from mockserver.core.errors import ApiError
from mockserver.core.fixtures import Collection, Record
from mockserver.core.lifecycle import Kind
from mockserver.core.params import Param, ParamError
from mockserver.core.writes import WriteError

Endpoint = Callable[[Request], Awaitable[Response]]


def path_workspace(request: Request) -> str | None:
    """The workspace a request is about: its `workspace_id` path parameter, if any."""
    found = request.path_params.get("workspace_id")
    return found if isinstance(found, str) else None


@dataclass(frozen=True)
class Operation:
    """One emulated endpoint, at the vendor's real path."""

    method: str
    path: str
    name: str  # the vendor's operation name, e.g. GetModel
    endpoint: Endpoint
    summary: str = ""
    params: Sequence[Param] = ()
    response_schema: str = ""
    request_schema: str = ""  # a write's JSON body (core.writes.write_body checks it)
    status: int = 200  # what success answers (the docs': 200, 201 or 202)
    errors: tuple[int, ...] = ()  # statuses of its own beyond the vendor's (409 conflict...)


@dataclass(frozen=True)
class Vendor:
    name: str
    title: str
    prefixes: tuple[str, ...]  # paths under these answer in this vendor's envelope
    operations: tuple[Operation, ...]
    collections: tuple[Collection, ...]
    build: Callable[[Mapping[str, Sequence[Record]]], Any]  # records -> backend
    error: Callable[[Request, int], ApiError]  # the vendor's error for a bare HTTP status
    param_error: Callable[[Request, ParamError], ApiError]
    error_schema: str = ""
    # checks the request's credentials (auth check/verify); raises the vendor's error
    authenticate: Callable[[Request, AuthConfig, str], Awaitable[None]] | None = None
    statuses: tuple[int, ...] = ()  # the error statuses it answers (for fault injection)
    retry_after_header: str | None = None  # its own retry hint beside Retry-After, in ms
    security: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # OpenAPI schemes
    param_error_status: int = 400  # what a bad path or query value answers
    # a write refused before any change (bad body, several processes), in its envelope
    write_error: Callable[[Request, WriteError], ApiError] | None = None
    # its resources that change state by themselves, each with its table (core.lifecycle)
    lifecycles: tuple[Kind, ...] = ()
    # yields (collection, record) pairs: n synthetic records per collection it fills
    generate: Callable[[dict[str, list[Any]], int, Any], Iterator[tuple[str, Record]]] | None = None
    # the workspace a request is about, for fault rules by workspace (outage of one)
    workspace: Callable[[Request], str | None] = path_workspace
    # whose HTML error page a `gateway_page` fault answers: core.transport.GATEWAYS
    gateway: str = "generic"

    def owns(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)


def vendor_for(vendors: Sequence[Vendor], path: str) -> Vendor | None:
    """The vendor whose path prefix covers `path`, if any."""
    return next((v for v in vendors if v.owns(path)), None)


def reached_operation(request: Request) -> bool:
    """Whether the request matched an operation's path (the router sets its route).

    An error status for such a request (an injected 404, say) is about the resource the
    operation serves, not about the path, which exists: vendors word the two apart.
    """
    return request.scope.get("route") is not None


def backend(request: Request, vendor: str) -> Any:
    """The live state of one vendor, held by the app's store."""
    return request.app.store.backends[vendor]


def request_id(request: Request, style: str = "uuid") -> str:
    """The id of this request, made once so the body, headers and journal agree.

    `style` is the vendor's spelling: "uuid" (lower-case UUID), "UUID" (upper-case) or
    "hex" (32 hex digits). Ids come from the app's random source, so a seeded server
    answers the same ids for the same sequence of requests.
    """
    state = request.scope.setdefault("state", {})
    found = state.get("request_id")
    if found is None:
        # a version-4 UUID, written without building a uuid.UUID (this runs per request)
        bits = request.app.rng.getrandbits(128) & UUID_CLEAR | UUID_V4
        text = f"{bits:032x}"
        if style != "hex":
            text = f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
        found = state["request_id"] = text.upper() if style == "UUID" else text
    return str(found)


UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # the version and variant bits
UUID_V4 = (0x4000 << 64) | (0x8000 << 48)
