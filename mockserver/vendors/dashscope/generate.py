"""DashScope: the seeded synthetic-record generator (`--generate N`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mockserver.core.fixtures import Record

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
