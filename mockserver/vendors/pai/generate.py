"""Alibaba Cloud PAI: the seeded synthetic-record generator (`--generate N`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from mockserver.core.fixtures import Record
from mockserver.core.generate import utc_text
from mockserver.vendors.pai.backend import FORMAT_TYPES, FRAMEWORK_TYPES

START_OF_VERSIONS = datetime(2022, 1, 1, tzinfo=UTC)


def generate(records: dict[str, list[Record]], n: int, pools: Any) -> Iterator[tuple[str, Record]]:
    """n models, then n versions of the first generated one (`model-generated`)."""
    workspace = records["models"][0]["WorkspaceId"] if records.get("models") else "1000"
    for i in range(n):
        created = pools.moment()
        labels = [
            {"Key": pools.pick(pools.words), "Value": pools.pick(pools.words)}
            for _ in range(pools.number(0, 3))
        ]
        yield (
            "models",
            {
                "ModelId": "model-generated" if i == 0 else f"model-{pools.alnum(16)}",
                "ModelName": f"{pools.slug()}-{i}",
                "ModelDescription": pools.pick(pools.sentences),
                "GmtCreateTime": utc_text(created),
                "GmtModifiedTime": utc_text(pools.later(created)),
                "UserId": pools.digits(16),
                "OwnerId": pools.digits(16),
                "Origin": pools.pick(("ModelScope", "HuggingFace")),
                "Provider": "pai",
                "Domain": pools.pick(("nlp", "cv", "audio", "tabular", "multimodal")),
                "Task": pools.pick(
                    (
                        "text-classification",
                        "text-generation",
                        "image-classification",
                        "automatic-speech-recognition",
                        "tabular-regression",
                    )
                ),
                "Labels": labels,
                "WorkspaceId": workspace,
                "Accessibility": pools.pick(("PRIVATE", "PUBLIC")),
                "ModelType": pools.pick(("Checkpoint", "LoRA")),
                "OrderNumber": i + 1,
                "ParameterSize": pools.number(1, 200_000),
            },
        )
    for i, moment in enumerate(pools.series(START_OF_VERSIONS, n)):
        source = pools.pick(("Custom", "PAIFlow", "TrainingService"))
        version: Record = {
            "ModelId": "model-generated",
            "VersionName": f"{i // 1_000_000}.{i // 1000 % 1000}.{i % 1000}",
            "GmtCreateTime": utc_text(moment),
            "GmtModifiedTime": utc_text(pools.later(moment, 30)),
            "UserId": pools.digits(16),
            "OwnerId": pools.digits(16),
            "Uri": f"oss://{pools.slug()}.oss-cn-hangzhou.aliyuncs.com/models/{i}/",
            "VersionDescription": pools.pick(pools.sentences),
            "FormatType": pools.pick(FORMAT_TYPES),
            "FrameworkType": pools.pick(FRAMEWORK_TYPES),
            "Options": "{}",
            "SourceType": source,
            "ApprovalStatus": pools.pick(("Pending", "Approved", "Rejected")),
            "Labels": [{"Key": pools.pick(pools.words), "Value": pools.pick(pools.words)}],
        }
        if source != "Custom":
            kind = "PipelineRun" if source == "PAIFlow" else "ServiceJob"
            version["SourceId"] = (
                f"region=cn-hangzhou,workspaceId={workspace},kind={kind},id=run-{pools.alnum(10)}"
            )
        yield "versions", version
