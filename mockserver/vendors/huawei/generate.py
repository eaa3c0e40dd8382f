"""Huawei DataArts Fabric: the seeded synthetic-record generator (`--generate N`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mockserver.core.fixtures import Record
from mockserver.core.generate import utc_text


def generate(records: dict[str, list[Record]], n: int, pools: Any) -> Iterator[tuple[str, Record]]:
    """n models in the first workspace, most of them its current user's, each with an
    earlier version besides its current one and served by a RUNNING endpoint."""
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
        version = model["current_version"]
        yield (
            "versions",
            {
                **version,
                "model_id": model["id"],
                "id": pools.hex(32),
                "name": f"v0.{pools.number(0, 10)}",
                "create_time": utc_text(pools.later(created)),
            },
        )
        yield "endpoints", _endpoint(pools, model, owner, utc_text(updated))


def _endpoint(pools: Any, model: Record, owner: Record, at: str) -> Record:
    """A RUNNING endpoint serving the model's current version (which is then in use)."""
    endpoint_id = pools.hex(32)
    address = (
        f"https://fabric.mock.invalid/v1/workspaces/{model['workspace_id']}/endpoints/"
        f"{endpoint_id}/chat/completions"
    )
    return {
        "workspace_id": model["workspace_id"],
        "visibility": "PRIVATE",
        "id": endpoint_id,
        "name": f"{model['name']}-serving",
        "type": "inference",
        "status": "RUNNING",
        "create_time": at,
        "update_time": at,
        "owner": owner,
        "cap": {"cap_id": model["id"], "version_id": model["current_version"]["id"]},
        "urls": [{"name": "inference", "address": address, "type": "PRIVATE"}],
        "runtime_env_type": "RELEASE",
    }


def _user(pools: Any) -> Record:
    person = pools.pick(pools.names)
    return {
        "domain_name": pools.slug(1),
        "domain_id": pools.hex(32),
        "user_name": person.lower().replace(" ", ".")[:64],
        "user_id": pools.hex(32),
    }
