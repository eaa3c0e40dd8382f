"""Alibaba Model Studio (DashScope): List deployments.

Docs: https://www.alibabacloud.com/help/en/model-studio/list-deployments-api (seed 004);
the deployment object and status values from the Create/Get deployment pages.
Where the docs are silent we follow docs/decisions.md (section "DashScope").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core import listing
from mockserver.core.auth import AuthConfig, bearer
from mockserver.core.errors import ApiError, clip, from_table
from mockserver.core.fixtures import Collection, Link, Record
from mockserver.core.jsonbytes import Bodies, JSONBytes, Raw, RawCache, dumps, prepend
from mockserver.core.params import Param, ParamError, parse_query
from mockserver.core.vendor import Operation, Vendor, backend, reached_operation, request_id

NAME = "dashscope"
WORKSPACE_HEADER = "X-DashScope-WorkSpace"

# --- 1. errors -------------------------------------------------------------------------

STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("InvalidParameter", "The request has an invalid parameter."),
    401: ("InvalidApiKey", "Invalid API-key provided."),
    403: ("AccessDenied", "Access denied."),
    404: ("NotFound", "The requested resource was not found."),
    429: ("Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
    500: ("InternalError", "An internal error has occured, please try again later."),
}


class Error(ApiError):
    """Model Studio's body {request_id, code, message}."""

    def body(self, request: Request) -> dict[str, Any]:
        return {
            "request_id": request_id(request, "uuid"),
            "code": self.code,
            "message": self.message,
        }


def error_for_status(request: Request, status: int) -> Error:
    if status == 404 and reached_operation(request):
        # the docs' form ("Model: xxx not found!") about a path that exists
        return Error(404, "NotFound", f"Resource: {request.url.path} not found!")
    if status == 404:
        return Error(404, "NotFound", f"Not found: {request.url.path} is not an API path.")
    if status == 405:
        message = f"The operation is not supported: {request.method} {request.url.path}."
        return Error(400, "UnsupportedOperation", message)
    return Error(*from_table(STATUS_CODES, status))


def param_error(request: Request, exc: ParamError) -> Error:
    return Error(400, "InvalidParameter", f"Invalid parameter: {exc.describe()}.")


# --- 2. data ---------------------------------------------------------------------------

MU_FIELDS = ("model_unit_spec", "enable_thinking", "max_context_length", "rpm_limit", "tpm_limit")
PTU_FIELDS = ("ptu_capacity",)


def _check_plan(record: Record) -> Iterable[tuple[str, str]]:
    """Plan-specific fields appear with their plan only, and all of them."""
    plan = record.get("plan")
    for fields, owner in ((MU_FIELDS, "mu"), (PTU_FIELDS, "ptu")):
        for name in fields:
            if plan == owner and name not in record:
                yield "$", f"'{name}' is a required property of a '{owner}' deployment"
            if plan != owner and name in record:
                yield f"$.{name}", f"only a '{owner}' deployment has this field"


def _check_consistency(record: Record) -> Iterable[tuple[str, str]]:
    if record["gmt_modified"] < record["gmt_create"]:
        yield "$.gmt_modified", "must not be earlier than gmt_create"
    if record["ready_capacity"] > record["capacity"]:
        yield "$.ready_capacity", "must not exceed capacity"
    if not record["deployed_model"].startswith(record["model_name"] + "-"):
        yield "$.deployed_model", "must start with model_name and a hyphen"


COLLECTIONS = (
    Collection("workspaces", "dashscope/workspace.record", key=("id",)),
    Collection(
        "deployments",
        "dashscope/deployment",
        key=("deployed_model",),
        link=Link("workspace_id", "workspaces", "id", private=False),
        checks=(_check_plan, _check_consistency),
    ),
)


@dataclass
class Backend:
    """Deployments by workspace, changed in place one record at a time.

    A change touches one workspace's list and starts a new answer cache.
    """

    default: str | None  # the first workspace of the fixtures
    deployments: dict[str, list[Record]]  # workspace id -> newest gmt_create first
    raw: RawCache = field(default_factory=RawCache)
    bodies: Bodies = field(default_factory=Bodies)  # ListDeployments bodies, by request

    def add(self, collection: str, record: Record) -> None:
        """One record more, as if it had been the last one of the fixtures."""
        if collection == "workspaces":
            self.deployments[record["id"]] = []
            if self.default is None:
                self.default = record["id"]
        else:
            deployments = self.deployments[record["workspace_id"]]
            listing.insert_ordered(deployments, record, _newest, True)
        self.bodies = Bodies()

    def remove(self, collection: str, record: Record) -> None:
        """One record less (a workspace only once its deployments are gone)."""
        if collection == "workspaces":
            if self.deployments[record["id"]]:
                raise ValueError(f"workspace {record['id']} still has deployments")
            del self.deployments[record["id"]]
            if self.default == record["id"]:
                self.default = next(iter(self.deployments), None)
        else:
            deployments = self.deployments[record["workspace_id"]]
            at = listing.locate(deployments, record, _newest, True, _same)
            self.raw.forget(deployments.pop(at))
        self.bodies = Bodies()

    def deployments_page(self, workspace: str | None, query: bytes) -> Raw:
        """ListDeployments' body without request_id (kept in `bodies` by request)."""
        q = parse_query(query, LIST_PARAMS)
        page = self.list_deployments(workspace, q)
        output = {
            "page_no": q["page_no"],
            "page_size": q["page_size"],
            "total": page.total,
            "deployments": [self.raw(d) for d in page.items],
        }
        return Raw(dumps({"output": output}))

    def list_deployments(self, workspace: str | None, q: Mapping[str, Any]) -> listing.Page[Record]:
        chosen = workspace or self.default
        if chosen is None or chosen not in self.deployments:
            raise Error(
                403,
                "AccessDenied",
                f"Access denied: workspace {clip(str(chosen))} does not exist or is not yours.",
            )
        return listing.by_page(self.deployments[chosen], q["page_no"], q["page_size"])


def _newest(deployment: Record) -> tuple[str, str]:
    return deployment["gmt_create"], deployment["deployed_model"]


def _same(held: Record, probe: Record) -> bool:
    return bool(held["deployed_model"] == probe["deployed_model"])


def build(records: Mapping[str, Sequence[Record]]) -> Backend:
    workspaces = [w["id"] for w in records.get("workspaces", [])]
    by_workspace: dict[str, list[Record]] = {w: [] for w in workspaces}
    for deployment in records.get("deployments", []):
        by_workspace[deployment["workspace_id"]].append(deployment)
    ordered = {
        w: listing.ordered(items, key=_newest, descending=True) for w, items in by_workspace.items()
    }
    return Backend(workspaces[0] if workspaces else None, ordered)


BASE_MODELS = ("qwen-plus", "qwen-max", "qwen-turbo", "qwen3-32b", "qwen-vl-plus", "qwen-long")


def generate(records: dict[str, list[Record]], n: int, pools: Any) -> Iterator[tuple[str, Record]]:
    """n deployments in the default (first) workspace, across statuses and plans."""
    if not records.get("workspaces"):
        return
    workspace = records["workspaces"][0]["id"]
    creators = [pools.digits(9) + "***" for _ in range(6)]
    for i in range(n):
        model = pools.pick(BASE_MODELS)
        created = pools.moment().replace(tzinfo=None, microsecond=0)
        base = pools.number(1, 4)
        capacity = base * pools.number(0, 5)
        status = pools.pick(("PENDING", "UPDATING", "RUNNING", "STOPPED", "DELETING", "FAILED"))
        deployment: Record = {
            "deployed_model": f"{model}-{pools.hex(8)}-{pools.pick(pools.words)}{i}",
            "gmt_create": created.isoformat(),
            "gmt_modified": pools.later(created).isoformat(),
            "status": status,
            "model_name": model,
            "base_model": model,
            "base_capacity": base,
            "capacity": capacity,
            "ready_capacity": capacity if status == "RUNNING" else 0,
            "workspace_id": workspace,
            "charge_type": "post_paid",
            "creator": pools.pick(creators),
            "modifier": pools.pick(creators),
        }
        plan = pools.pick((None, "mu", "ptu", "lora"))
        if plan == "mu":
            deployment.update(
                plan="mu",
                model_unit_spec=f"mu.{model}.standard",
                enable_thinking=pools.rng.random() < 0.5,
                max_context_length=131072,
                rpm_limit=str(pools.number(60, 2000)),
                tpm_limit=pools.number(10_000, 2_000_000),
            )
        elif plan == "ptu":
            deployment.update(
                plan="ptu",
                ptu_capacity={
                    "input_tpm": pools.number(10_000, 500_000),
                    "output_tpm": pools.number(1_000, 100_000),
                },
            )
        elif plan == "lora":
            deployment["plan"] = "lora"
        yield "deployments", deployment


# --- 3. handlers -----------------------------------------------------------------------

HEADERS = (
    Param(
        WORKSPACE_HEADER,
        location="header",
        description="The workspace; without it, the default workspace.",
    ),
)
LIST_PARAMS = (
    Param("page_no", "int", default=1, minimum=1, maximum=2**31 - 1, description="Page number."),
    Param(
        "page_size",
        "int",
        default=50,
        minimum=1,
        maximum=200,
        description="Entries per page (the SDK always sends its own value, 10 by default).",
    ),
)


async def list_deployments(request: Request) -> Response:
    store: Backend = backend(request, NAME)
    workspace = request.headers.get(WORKSPACE_HEADER) or None
    query = request.scope["query_string"]
    body = store.bodies((workspace, query), lambda: store.deployments_page(workspace, query))
    return JSONBytes(prepend("request_id", request_id(request, "uuid"), body))


# --- 3b. credentials (auth check / verify) --------------------------------------------


async def authenticate(request: Request, config: AuthConfig, operation: str) -> None:
    """`Authorization: Bearer <API key>`; in verify mode the key must be a configured one."""
    key = bearer(request.headers)
    if not key or (config.mode == "verify" and key not in config.secrets(NAME)):
        raise Error(401, "InvalidApiKey", "Invalid API-key provided.")


# --- 4. routes -------------------------------------------------------------------------

VENDOR = Vendor(
    name=NAME,
    title="Alibaba Model Studio (DashScope)",
    prefixes=("/api/v1/deployments",),
    operations=(
        Operation(
            "GET",
            "/api/v1/deployments",
            "ListDeployments",
            list_deployments,
            summary="Lists the model deployments of a workspace.",
            params=(*LIST_PARAMS, *HEADERS),
            response_schema="dashscope/list_deployments.response",
        ),
    ),
    collections=COLLECTIONS,
    build=build,
    error=error_for_status,
    param_error=param_error,
    error_schema="dashscope/error",
    authenticate=authenticate,
    statuses=tuple(STATUS_CODES),
    generate=generate,
    security={
        "dashscope_api_key": {
            "type": "http",
            "scheme": "bearer",
            "description": "A Model Studio API key.",
        }
    },
)
