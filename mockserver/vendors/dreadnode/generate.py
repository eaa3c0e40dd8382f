"""Dreadnode: the seeded synthetic-record generator (`--generate N`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from mockserver.core.fixtures import Record


def generate(records: dict[str, list[Record]], n: int, pools: Any) -> Iterator[tuple[str, Record]]:
    """n models of the first organisation, then n versions of `<org>/generated`."""
    if not records.get("orgs"):
        return
    org = records["orgs"][0]["slug"]
    for i in range(n):
        yield "models", {"name": f"{org}/generated" if i == 0 else f"{org}/{pools.slug()}-{i}"}
    for i, moment in enumerate(pools.series(datetime(2023, 1, 1, tzinfo=UTC), n)):
        yield (
            "versions",
            {
                "id": pools.uuid(),
                "name": f"{org}/generated",
                "version": f"{i // 1_000_000}.{i // 1000 % 1000}.{i % 1000}",
                "created_at": moment.isoformat().replace("+00:00", "Z"),
                "download_count": pools.number(0, 5000),
                "framework": pools.pick(("safetensors", "pytorch", "onnx", "gguf")),
                "is_public": pools.rng.random() < 0.3,
                "origin": {"source": pools.pick(("upload", "training", "huggingface"))},
                "summary": pools.pick(pools.sentences),
                "tags": [pools.pick(pools.words) for _ in range(pools.number(0, 3))],
            },
        )
