"""Huawei Cloud DataArts Fabric: ListModels.

Docs: https://support.huaweicloud.com/intl/en-us/api-fabric/ListModels.html (seed 002).
Where the docs are silent we follow docs/decisions.md (section "Huawei DataArts Fabric").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core import listing
from mockserver.core.auth import (
    AuthConfig,
    canonical_headers,
    canonical_query,
    encode,
    hmac_sha256_hex,
    same,
    sha256_hex,
)
from mockserver.core.auth import now as auth_now
from mockserver.core.bounded import Bounded, size_of
from mockserver.core.errors import ApiError, from_table
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.generate import utc_text
from mockserver.core.jsonbytes import Bodies, JSONBytes, Raw, RawCache, dumps
from mockserver.core.params import Param, ParamError, parse_path, parse_query
from mockserver.core.vendor import Operation, Vendor, backend, reached_operation, request_id

NAME = "huawei"

# --- 1. errors -------------------------------------------------------------------------

TYPE_MISMATCH = (
    "failed to read http request, please check your input, code: 400, "
    "reason: Type mismatch., cause: TypeMismatchException"
)
APIG_NOT_FOUND = "The API does not exist or has not been published in the environment"
STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("common.01000001", "failed to read http request, please check your input, code: 400"),
    401: ("APIG.1002", "Incorrect token or token resolution failed"),
    403: ("403", "X-Auth-Token is invalid in the request"),  # the gateway's own shape
    404: ("APIG.0101", APIG_NOT_FOUND),
    408: ("common.00000408", "timeout exception occurred"),
    429: ("APIG.0308", "The throttling threshold has been reached"),
    500: ("common.00000500", "internal error"),
    502: ("APIG.0201", "Backend unavailable"),
    504: ("APIG.0202", "Backend timeout"),
}


class Error(ApiError):
    """DataArts Fabric's body {error_code, error_msg, solution_msg?}; X-Request-Id always."""

    def body(self, request: Request) -> dict[str, Any]:
        if self.status == 403:
            # the documented 403 comes from the gateway, in its own nested shape
            nested = {"code": "403", "message": self.message, "title": "Forbidden"}
            return {
                "error": nested,
                "error_code": 403,
                "error_msg": self.message,
                "title": "Forbidden",
            }
        body: dict[str, Any] = {"error_code": self.code, "error_msg": self.message}
        if "solution" in self.extra:
            body["solution_msg"] = self.extra["solution"]
        if self.code.startswith("APIG."):  # the API gateway's own errors carry the id
            body["request_id"] = request_id(request, "hex")
        return body

    def response_headers(self, request: Request) -> dict[str, str]:
        return {**self.headers, "X-Request-Id": request_id(request, "hex")}


NOT_FOUND = "response status exception, code: 404"  # ListModels' documented 404


def error_for_status(request: Request, status: int) -> Error:
    if status == 404 and reached_operation(request):
        return Error(404, "common.01000001", NOT_FOUND)  # the service's, not the gateway's
    if status == 405:
        status = 404  # the gateway matches method and path together
    return Error(*from_table(STATUS_CODES, status))


def param_error(request: Request, exc: ParamError) -> Error:
    if exc.reason == "type":
        return Error(
            400,
            "common.01000001",
            TYPE_MISMATCH,
            solution=f"Set {exc.param.name} to {exc.param.allowed()}.",
        )
    return Error(
        400,
        "common.01000001",
        "failed to read http request, please check your input, code: 400, "
        f"reason: {exc.describe()}., cause: ConstraintViolationException",
        solution=f"Set {exc.param.name} to {exc.param.allowed()}.",
    )


# --- 2. data ---------------------------------------------------------------------------


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _check_times(record: Record) -> Iterable[tuple[str, str]]:
    if _time(record["update_time"]) < _time(record["create_time"]):
        yield "$.update_time", "must not be earlier than create_time"
    version = record.get("current_version")
    if version and _time(version["create_time"]) < _time(record["create_time"]):
        yield "$.current_version.create_time", "must not be earlier than the model's create_time"


COLLECTIONS = (
    Collection("workspaces", "huawei/workspace.record", key=("id",)),
    Collection(
        "models",
        "huawei/model.record",
        key=("id",),
        link=Link("workspace_id", "workspaces", "id"),
        checks=(_check_times,),
    ),
)
MODELS = COLLECTIONS[1]

RESULTS_BUDGET = 2**20  # bytes of filtered lists kept per workspace, keys included
SORT_KEYS: dict[str, Callable[[Record], Any]] = {
    "CREATE_TIME": lambda m: _time(m["create_time"]),
    "UPDATE_TIME": lambda m: _time(m["update_time"]),
    "NAME": lambda m: m["name"],
}


@dataclass
class Workspace:
    caller: str  # user_id of whom the mock takes the caller to be
    models: list[Record]  # in fixture order
    # (sort_by, order_by) -> models, sorted on first use (start-up stays quick)
    orderings: dict[tuple[str, str], list[Record]] = field(default_factory=dict)
    # filtered lists by their whole query; identical queries are common in tests. Bounded
    # in bytes (a list of a hundred thousand models is 800 KB of references)
    results: Bounded[tuple[Any, ...], list[Record]] = field(
        default_factory=lambda: Bounded(RESULTS_BUDGET, lambda k, v: size_of(k) + 8 * len(v))
    )
    # (sort_by, order_by, visibility) -> (models, their names in lower case), made on use
    views: dict[tuple[str, str, str | None], tuple[list[Record], list[str]]] = field(
        default_factory=dict
    )

    def view(
        self, sort_by: str, order_by: str, visibility: str | None
    ) -> tuple[list[Record], list[str]]:
        key = (sort_by, order_by, visibility)
        if key not in self.views:
            visible = _visible(self.caller, visibility)
            models = [m for m in self.ordering(sort_by, order_by) if visible(m)]
            self.views[key] = (models, [m["name"].lower() for m in models])
        return self.views[key]

    def ordering(self, sort_by: str, order_by: str) -> list[Record]:
        if (sort_by, order_by) not in self.orderings:
            self.orderings[(sort_by, order_by)] = listing.ordered(
                self.models, SORT_KEYS[sort_by], descending=order_by == "DESC"
            )
        return self.orderings[(sort_by, order_by)]

    def add(self, model: Record) -> None:
        """A model more, last in fixture order: placed in every ordering and view made."""
        self.models.append(model)
        for (sort_by, order_by), models in self.orderings.items():
            listing.insert_ordered(models, model, SORT_KEYS[sort_by], order_by == "DESC")
        for (sort_by, order_by, visibility), (models, names) in self.views.items():
            if _visible(self.caller, visibility)(model):
                at = listing.insert_ordered(models, model, SORT_KEYS[sort_by], order_by == "DESC")
                names.insert(at, model["name"].lower())
        self.results.clear()

    def remove(self, probe: Record) -> Record:
        """The held model with `probe`'s id taken out of everything; it is returned."""
        at = next(i for i in range(len(self.models) - 1, -1, -1) if _same(self.models[i], probe))
        model = self.models.pop(at)
        for (sort_by, order_by), models in self.orderings.items():
            del models[listing.locate(models, model, SORT_KEYS[sort_by], order_by == "DESC")]
        for (sort_by, order_by, visibility), (models, names) in self.views.items():
            if _visible(self.caller, visibility)(model):
                at = listing.locate(models, model, SORT_KEYS[sort_by], order_by == "DESC")
                del models[at], names[at]
        self.results.clear()
        return model

    def matching(self, q: Mapping[str, Any]) -> list[Record]:
        """Every model the query's filters keep, in its order (pages are cut later)."""
        key = tuple(q[p] for p in ("sort_by", "order_by", "visibility", "name", "id", "type"))
        kept = self.results.get(key)
        if kept is not None:
            return kept
        models, names = self.view(q["sort_by"], q["order_by"], q["visibility"])
        found: list[Record] = models
        if q["name"] is not None:  # the fuzzy filter, over names lowered once
            term = q["name"].lower()
            found = [m for m, name in zip(models, names, strict=True) if term in name]
        if q["id"] is not None or q["type"] is not None:
            found = listing.where(
                found,
                None if q["id"] is None else (lambda m: m["id"] == q["id"]),
                None if q["type"] is None else (lambda m: m["type"] == q["type"]),
            )
        return self.results.put(key, found)


@dataclass
class Backend:
    """Workspaces and their models, changed in place one record at a time.

    A change touches one workspace's lists (each ordering and view already made gets the
    model at its place) and starts a new answer cache, so nothing drifts from the data.
    """

    workspaces: dict[str, Workspace]
    raw: RawCache = field(default_factory=RawCache)
    bodies: Bodies = field(default_factory=Bodies)  # ListModels bodies, by request

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "workspaces":
            self.workspaces[record["id"]] = Workspace(record["current_user"]["user_id"], [])
        else:
            self.workspaces[record["workspace_id"]].add(MODELS.public(record))
        self.bodies = Bodies()

    def remove(self, collection: str, record: Record) -> None:
        """One record less (a workspace only once its models are gone)."""
        if collection == "workspaces":
            if self.workspaces[record["id"]].models:
                raise ValueError(f"workspace {record['id']} still has models")
            del self.workspaces[record["id"]]
        else:
            self.raw.forget(self.workspaces[record["workspace_id"]].remove(record))
        self.bodies = Bodies()

    def models_page(self, workspace_id: str, query: bytes) -> Raw:
        """ListModels' body (kept in `bodies` by request)."""
        path = parse_path({"workspace_id": workspace_id}, PATH_PARAMS)
        page = self.list_models(path["workspace_id"], parse_query(query, LIST_PARAMS))
        return Raw(dumps({"total": page.total, "models": [self.raw(m) for m in page.items]}))

    def list_models(self, workspace_id: str, q: Mapping[str, Any]) -> listing.Page[Record]:
        workspace = self.workspaces.get(workspace_id)
        if workspace is None:
            raise Error(
                404,
                "common.01000001",
                NOT_FOUND,
                solution=f"Check the workspace ID: workspace {workspace_id} does not exist.",
            )
        return listing.by_offset(workspace.matching(q), q["offset"], q["limit"])


def _same(held: Record, probe: Record) -> bool:
    return bool(held["id"] == probe["id"])


def _visible(caller: str, visibility: str | None) -> Callable[[Record], bool]:
    """The documented visibility filter; others' PRIVATE models are never visible."""

    def mine(m: Record) -> bool:
        return bool(m["create_user"]["user_id"] == caller)

    if visibility == "PRIVATE":
        return lambda m: mine(m) and m["visibility"] == "PRIVATE"
    if visibility == "PUBLIC":
        return lambda m: m["visibility"] == "PUBLIC"
    if visibility == "ALL":
        return lambda m: mine(m) or m["visibility"] == "PUBLIC"
    return mine  # blank: the caller's own, PRIVATE and PUBLIC


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    by_workspace: dict[str, list[Record]] = {w["id"]: [] for w in records.get("workspaces", [])}
    for model in records.get("models", []):
        by_workspace[model["workspace_id"]].append(MODELS.public(model))
    workspaces = {
        w["id"]: Workspace(w["current_user"]["user_id"], by_workspace[w["id"]])
        for w in records.get("workspaces", [])
    }
    return Backend(workspaces)


def generate(records: dict[str, list[Record]], n: int, pools: Any) -> Iterator[tuple[str, Record]]:
    """n models in the first workspace, most of them its current user's."""
    if not records.get("workspaces"):
        return
    workspace = records["workspaces"][0]
    caller = workspace["current_user"]
    others = [_user(pools) for _ in range(8)]
    for i in range(n):
        created = pools.moment()
        updated = pools.later(created)
        owner = caller if pools.rng.random() < 0.8 else pools.pick(others)
        name = f"{pools.slug()}-{i}"
        model: Record = {
            "workspace_id": workspace["id"],
            "visibility": pools.pick(("PRIVATE", "PUBLIC")),
            "id": pools.hex(32),
            "name": name,
            "description": pools.pick(pools.sentences),
            "type": "LLM_MODEL",
            "create_time": utc_text(created),
            "update_time": utc_text(updated),
            "current_version": {
                "id": pools.hex(32),
                "name": f"v{pools.number(1, 9)}.{pools.number(0, 10)}",
                "cap_white_list": [],
                "description": pools.pick(pools.sentences),
                "config": {
                    "llm_model_config": {
                        "base_model_type": pools.pick(("QWEN_2_7B", "LLAMA_3_8B", "GLM_4_9B")),
                        "model_path": f"obs://fabric-generated/{name}/",
                    }
                },
                "create_time": utc_text(updated),
                "create_user": owner,
            },
            "create_user": owner,
            "update_user": owner,
        }
        yield "models", model


def _user(pools: Any) -> Record:
    person = pools.pick(pools.names)
    return {
        "domain_name": pools.slug(1),
        "domain_id": pools.hex(32),
        "user_name": person.lower().replace(" ", ".")[:64],
        "user_id": pools.hex(32),
    }


# --- 3. handlers -----------------------------------------------------------------------

ID_CHARS = r"[A-Za-z0-9-]+"

PATH_PARAMS = (
    Param(
        "workspace_id",
        min_length=1,
        max_length=36,
        pattern=ID_CHARS,
        location="path",
        description="Workspace ID.",
        example="default",
    ),
)
LIST_PARAMS = (
    Param(
        "offset",
        "int",
        default=0,
        minimum=0,
        maximum=1_000_000_000,
        description="Offset where the query starts.",
    ),
    Param(
        "limit",
        "int",
        default=10,
        minimum=1,
        maximum=100,
        description="Maximum number of records returned on each page.",
    ),
    Param(
        "name",
        min_length=1,
        max_length=128,
        pattern=r"[A-Za-z0-9_-]+",
        description="Model name, fuzzy (case-insensitive substring).",
    ),
    Param("id", min_length=32, max_length=36, pattern=ID_CHARS, description="Model ID, exact."),
    Param("type", min_length=1, max_length=128, description="Model type, exact (LLM_MODEL)."),
    Param(
        "visibility",
        "enum",
        choices=("PRIVATE", "PUBLIC", "ALL"),
        description="Blank: the caller's models, PRIVATE and PUBLIC.",
    ),
    Param(
        "sort_by",
        "enum",
        default="CREATE_TIME",
        choices=tuple(SORT_KEYS),
        description="Sorting field.",
    ),
    Param("order_by", "enum", default="DESC", choices=("ASC", "DESC"), description="Sorting mode."),
)


async def list_models(request: Request) -> Response:
    store: Backend = backend(request, NAME)
    workspace_id, query = request.path_params["workspace_id"], request.scope["query_string"]
    body = store.bodies((workspace_id, query), lambda: store.models_page(workspace_id, query))
    return JSONBytes(body, headers={"X-Request-Id": request_id(request, "hex")})


# --- 3b. credentials (auth check / verify) --------------------------------------------

SDK_HMAC = re.compile(
    r"^SDK-HMAC-SHA256 Access=(?P<key>[^,\s]+), SignedHeaders=(?P<signed>[a-z0-9;_-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
SDK_DATE = "%Y%m%dT%H%M%SZ"
MAX_TOKEN = 65534


def _iam_error(detail: str) -> Error:
    return Error(401, "APIG.0301", f"Incorrect IAM authentication information: {detail}")


async def authenticate(request: Request, config: AuthConfig, operation: str) -> None:
    """A token (X-Auth-Token) or an AK/SK signature (SDK-HMAC-SHA256 with X-Sdk-Date).

    AK/SK signing: https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-algorithm.html
    """
    token = request.headers.get("x-auth-token")
    if token is not None:
        if not token or len(token) > MAX_TOKEN:
            raise Error(401, "APIG.1002", "Incorrect token or token resolution failed")
        if config.mode == "verify" and token not in config.secrets(NAME):
            raise Error(401, "APIG.1002", "Incorrect token or token resolution failed")
        return
    value = request.headers.get("authorization")
    if not value:
        raise _iam_error("x-auth-token not found")
    match = SDK_HMAC.match(value)
    if match is None:
        raise _iam_error(
            "Authorization is not 'SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...'"
        )
    try:
        signed_at = datetime.strptime(request.headers.get("x-sdk-date", ""), SDK_DATE)
    except ValueError:
        raise _iam_error("X-Sdk-Date must be a UTC time like 20240101T120000Z") from None
    if config.mode == "verify":
        await _verify(request, config, match, signed_at.replace(tzinfo=UTC))


async def _verify(
    request: Request, config: AuthConfig, match: re.Match[str], signed_at: datetime
) -> None:
    secret = config.secret(NAME, match["key"])
    if secret is None:
        raise _iam_error(f"the access key {match['key']} does not exist")
    if abs(auth_now() - signed_at) > config.skew:
        raise _iam_error("the X-Sdk-Date is more than 15 minutes from the server time")
    signed = match["signed"].split(";")
    missing = [h for h in ("host", "x-sdk-date") if h not in signed]
    if missing:
        raise _iam_error(f"SignedHeaders must include {', '.join(missing)}")
    body = await request.body()
    payload = request.headers.get("x-sdk-content-sha256") if body else None
    segments = [unquote(part) for part in request.url.path.split("/")]  # %2F stays in its segment
    uri = "/".join(encode(part) for part in segments)
    canonical = "\n".join(
        [
            request.method.upper(),
            uri if uri.endswith("/") else uri + "/",
            canonical_query(request.query_params.multi_items()),
            canonical_headers(request.headers, signed),
            ";".join(signed),
            payload or sha256_hex(body),
        ]
    )
    string_to_sign = "\n".join(
        ["SDK-HMAC-SHA256", signed_at.strftime(SDK_DATE), sha256_hex(canonical.encode())]
    )
    if not same(hmac_sha256_hex(secret, string_to_sign), match["signature"]):
        raise _iam_error("verify aksk signature fail")


# --- 4. routes -------------------------------------------------------------------------

VENDOR = Vendor(
    name=NAME,
    title="Huawei Cloud DataArts Fabric",
    prefixes=("/v1/workspaces",),
    operations=(
        Operation(
            "GET",
            "/v1/workspaces/{workspace_id}/models",
            "ListModels",
            list_models,
            summary="Lists the models of a workspace.",
            params=(*PATH_PARAMS, *LIST_PARAMS),
            response_schema="huawei/list_models.response",
        ),
    ),
    collections=COLLECTIONS,
    build=build,
    error=error_for_status,
    param_error=param_error,
    error_schema="huawei/error",
    authenticate=authenticate,
    statuses=tuple(STATUS_CODES),
    generate=generate,
    security={
        "huawei_token": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Auth-Token",
            "description": "An IAM token.",
        },
        "huawei_signature": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=.., Signature=.. with "
            "X-Sdk-Date (what the SDK sends)",
        },
    },
)
