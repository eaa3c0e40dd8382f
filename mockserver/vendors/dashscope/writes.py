"""DashScope: deployments created, read one by one, scaled, throttled and deleted.

Each handler reads the deployment as the lifecycle says it is now (`held`: a due
transition is taken first, the read counted), asks the declared table whether the
request's event is taken from that state, then hands the store one change and reports
the new state to the lifecycle (core/lifecycle.py), which moves it on later.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.errors import clip
from mockserver.core.fixtures import FixtureError, Record
from mockserver.core.lifecycle import Lifecycle, LifecycleError, Row
from mockserver.core.store import Change
from mockserver.core.vendor import backend
from mockserver.core.writes import refused, write_body
from mockserver.vendors.dashscope.backend import NAME, Backend
from mockserver.vendors.dashscope.errors import Error
from mockserver.vendors.dashscope.lifecycle import DEPLOYMENT, modified, stamp
from mockserver.vendors.dashscope.reads import WORKSPACE_HEADER, answer, held, not_found

CREATOR = "mockserver***"  # who created a deployment: the mock knows no account (masked, as listed)


def event_row(request: Request, record: Record, event: str, doing: str) -> Row:
    """The table's row for `event` from the deployment's state, else the vendor's 400."""
    lifecycle: Lifecycle = request.app.lifecycle
    try:
        return lifecycle.on(DEPLOYMENT, record["deployed_model"], record["status"], event)
    except LifecycleError as exc:
        allowed = [r.state for r in DEPLOYMENT.table.rows if r.event == event and r.state]
        raise Error(
            400,
            "InvalidParameter",
            f"Deployment {record['deployed_model']} is {record['status']}: it cannot be "
            f"{doing} now (only when {' or '.join(allowed)}).",
        ) from exc


def outcome(request: Request) -> str | None:
    """The end a fault rule chose for this write (`outcome: FAILED`), if one fired."""
    fault = (request.scope.get("state") or {}).get("fault") or {}
    found = fault.get("outcome")
    return found if isinstance(found, str) else None


def change(request: Request, old: Record | None, new: Record | None) -> None:
    """One deployment in, replaced or out, through the store's checks."""
    try:
        request.app.store.apply(NAME, [Change("deployments", old, new)])
    except FixtureError as exc:
        raise refused(exc) from None


def capacity_error(capacity: int, base: int, model: str) -> Error:
    return Error(
        400,
        "InvalidParameter",
        f"Invalid capacity ({capacity}), capacity must be a positive multiple of "
        f"{base}, the base_capacity of model {clip(model)}.",
    )


# --- create ----------------------------------------------------------------------------

MU_DEFAULTS: dict[str, Any] = {
    "enable_thinking": False,
    "max_context_length": 131072,
    "rpm_limit": "600",
    "tpm_limit": 1_000_000,
}


async def create_deployment(request: Request) -> Response:
    body = await write_body(request, "dashscope/create_deployment.request")
    store: Backend = backend(request, NAME)
    workspace = store.workspace(request.headers.get(WORKSPACE_HEADER) or None)
    name = body["model_name"]
    model = store.models_by_name.get(name)
    if model is None:
        raise not_found(name)
    capacity, base = body["capacity"], model["base_capacity"]
    if capacity % base:
        raise capacity_error(capacity, base, name)
    plan = body["plan"].lower() if "plan" in body else None
    if (plan == "ptu") != ("ptu_capacity" in body):
        raise Error(
            400,
            "InvalidParameter",
            "Invalid parameter: ptu_capacity is required for a 'ptu' plan and taken by it only.",
        )
    suffix = body.get("suffix")
    taken = store.taken(workspace, name, suffix or "")
    if taken is not None:
        raise Error(
            409,
            "Conflict",
            f"Deployed model {taken} already exists, please specify a suffix"
            + (" not used yet." if suffix else "."),
        )
    row = event_row(request, {"deployed_model": name, "status": None}, "create", "created")
    assert row.next is not None
    deployed = f"{name}-{request.app.rng.getrandbits(32):08x}" + (f"-{suffix}" if suffix else "")
    now = stamp(request.app.clock.now())
    record: Record = {
        "deployed_model": deployed,
        "gmt_create": now,
        "gmt_modified": now,
        "status": row.next,
        "model_name": name,
        "base_model": model.get("base_model", name),
        "base_capacity": base,
        "capacity": capacity,
        "ready_capacity": 0,
        "workspace_id": workspace,
        "charge_type": "post_paid",
        "creator": CREATOR,
        "modifier": CREATOR,
    }
    if plan is not None:
        record["plan"] = plan
    if plan == "mu":
        record.update(model_unit_spec=f"mu.{name}.standard", **MU_DEFAULTS)
    if plan == "ptu":
        record["ptu_capacity"] = body["ptu_capacity"]
    change(request, None, record)
    lifecycle: Lifecycle = request.app.lifecycle
    lifecycle.entered(NAME, DEPLOYMENT, deployed, None, row.next, "create", outcome(request))
    return answer(request, record)


async def scale_deployment(request: Request) -> Response:
    body = await write_body(request, "dashscope/scale_deployment.request")
    record = held(request, request.path_params["deployed_model"])
    row = event_row(request, record, "scale", "scaled")
    assert row.next is not None
    new = {**record, "status": row.next, "gmt_modified": modified(record, request.app.clock.now())}
    if "capacity" in body:
        capacity = body["capacity"]
        if capacity % record["base_capacity"]:
            raise capacity_error(capacity, record["base_capacity"], record["model_name"])
        new["capacity"] = capacity
        new["ready_capacity"] = min(record["ready_capacity"], capacity)
    if "ptu_capacity" in body:
        if record.get("plan") != "ptu":
            raise Error(
                400,
                "InvalidParameter",
                f"Invalid parameter: ptu_capacity scales a 'ptu' deployment; "
                f"{record['deployed_model']} is not one (scale its capacity).",
            )
        new["ptu_capacity"] = body["ptu_capacity"]
    change(request, record, new)
    lifecycle: Lifecycle = request.app.lifecycle
    lifecycle.entered(
        NAME,
        DEPLOYMENT,
        record["deployed_model"],
        record["status"],
        row.next,
        "scale",
        outcome(request),
    )
    return answer(request, new)


async def update_deployment(request: Request) -> Response:
    body = await write_body(request, "dashscope/update_deployment.request")
    record = held(request, request.path_params["deployed_model"])
    if record.get("plan") != "mu":
        raise Error(
            400,
            "InvalidParameter",
            f"Invalid parameter: throttling (rpm_limit, tpm_limit) is set on model-unit "
            f"('mu') deployments only; {record['deployed_model']} is not one.",
        )
    event_row(request, record, "update", "updated")
    new = {**record, "gmt_modified": modified(record, request.app.clock.now())}
    if "rpm_limit" in body:
        new["rpm_limit"] = str(int(body["rpm_limit"]))  # text in the object, as documented
    if "tpm_limit" in body:
        new["tpm_limit"] = body["tpm_limit"]
    change(request, record, new)
    return answer(request, new)


async def delete_deployment(request: Request) -> Response:
    """The deployment as DELETING (200 with the object); gone once the lifecycle says."""
    record = held(request, request.path_params["deployed_model"])
    row = event_row(request, record, "delete", "deleted")
    if row.next == record["status"]:
        return answer(request, record)  # a second delete while it goes
    assert row.next is not None
    new = DEPLOYMENT.becomes(record, row.next, request.app.clock.now())
    change(request, record, new)
    lifecycle: Lifecycle = request.app.lifecycle
    lifecycle.entered(
        NAME, DEPLOYMENT, record["deployed_model"], record["status"], row.next, "delete"
    )
    return answer(request, new)
