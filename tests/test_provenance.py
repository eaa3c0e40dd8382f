"""Every rule knows its source: each schema property and parameter spec names the doc
page (or SDK, or decision) it comes from (core.provenance)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver.core.provenance import Source, check, headings, problems, properties, source_at
from mockserver.core.schemas import bundled
from mockserver.vendors import VENDORS

ROOT = Path(__file__).resolve().parent.parent
HEADINGS = headings(ROOT / "docs" / "decisions.md")
ROOT_SOURCE = {"url": "https://example.test/page", "operation": "Op", "kind": "doc"}


def test_every_schema_property_has_a_source() -> None:
    found = [f"{place}: {problem}" for place, problem in problems(bundled().documents, HEADINGS)]
    assert not found, "properties without a usable x-source:\n" + "\n".join(found)


def test_every_parameter_spec_has_a_source() -> None:
    found = [
        f"{vendor.name}.{op.name} {param.location} {param.name}: {problem}"
        for vendor in VENDORS
        for op in vendor.operations
        for param in op.params
        for problem in check(param.origin(), HEADINGS)
    ]
    assert not found, "parameters without a usable source:\n" + "\n".join(found)


def test_the_check_names_each_property_without_a_source() -> None:
    documents: dict[str, Any] = {
        "v/a": {
            "properties": {
                "ok": {"x-source": ROOT_SOURCE},
                "nested": {
                    "x-source": ROOT_SOURCE,
                    "type": "object",
                    "properties": {"deep": {"type": "string"}},
                },
            }
        }
    }
    found = list(problems(documents, HEADINGS))
    assert ("schemas/v/a.json", "no root x-source") in found
    assert any(place == "schemas/v/a.json#/properties/nested/properties/deep" for place, _ in found)
    assert not any(place.endswith("/properties/ok") for place, _ in found)


def test_a_decision_must_name_an_existing_heading() -> None:
    missing = Source("u", "o", "decision", decision="No such heading")
    assert check(missing, HEADINGS) == [
        "decision 'No such heading' is no heading of docs/decisions.md"
    ]
    assert check(Source("u", "o", "decision", decision="All vendors"), HEADINGS) == []
    assert check(Source("u", "", "doc"), HEADINGS) == ["a doc source needs url and operation"]
    assert check(Source("u", "o", "guess"), HEADINGS)[0].startswith("kind 'guess'")


def test_a_property_inherits_the_root_source_with_its_own_name() -> None:
    located = {p.name: p.source for p in properties("pai/model", bundled().documents["pai/model"])}
    source = located["ModelName"]
    assert source is not None
    assert (source.kind, source.operation, source.field) == ("doc", "GetModel", "ModelName")


def test_a_property_of_its_own_source_overrides_only_what_it_states() -> None:
    documents = bundled().documents
    found = properties("dreadnode/error", documents["dreadnode/error"])
    code = {p.pointer: p.source for p in found}
    assert code["/properties/type"] == Source(
        "https://docs.dreadnode.io/api/operations/list_model_versions/",
        "list_model_versions",
        "decision",
        "type",
        "Dreadnode (List Model Versions)",
    )


def test_source_at_follows_refs_and_items() -> None:
    documents = bundled().documents
    key = source_at(documents, "pai/get_model.response", "$.LatestVersion.Labels[0].Key")
    assert key is not None
    assert (key.kind, key.operation, key.field) == ("sdk", "Label", "Key")
    name = source_at(documents, "pai/get_model.response", "$.ModelName")  # through allOf
    assert name is not None and (name.operation, name.field) == ("GetModel", "ModelName")
    user = source_at(documents, "huawei/list_models.response", "$.models[3].create_user.user_id")
    assert user is not None and user.field == "user_id"
    root = source_at(documents, "huawei/list_models.response", "$")
    assert root is not None and root.field == ""


@pytest.mark.parametrize("name", sorted(bundled().documents))
def test_every_schema_names_its_page(name: str) -> None:
    root = bundled().documents[name]["x-source"]
    assert root["kind"] in ("doc", "sdk", "decision")
    assert root["url"].startswith("https://")


def test_the_openapi_document_shows_the_sources() -> None:
    from mockserver.openapi import document

    spec = document(VENDORS, bundled())
    op = spec["paths"]["/v1/workspaces/{workspace_id}/models"]["get"]
    limit = next(p for p in op["parameters"] if p["name"] == "limit")
    assert limit["x-source"] == {
        "url": "https://support.huaweicloud.com/intl/en-us/api-fabric/ListModels.html",
        "operation": "ListModels",
        "kind": "doc",
        "field": "limit",
    }
    deployment = spec["components"]["schemas"]["dashscope.deployment"]
    assert deployment["x-source"]["operation"] == "Create a model deployment"
    assert deployment["properties"]["plan"]["x-source"]["kind"] == "sdk"


def test_routes_sources_prints_each_parameter_source(capsys: pytest.CaptureFixture[str]) -> None:
    from mockserver.cli import main

    assert main(["routes", "--sources"]) == 0
    out = capsys.readouterr().out
    assert (
        '    header X-DashScope-WorkSpace: sdk Deployments.list "X-DashScope-WorkSpace" '
        "https://pypi.org/project/dashscope/2.0.2/" in out.splitlines()
    )
    assert "NO SOURCE" not in out
    assert main(["routes"]) == 0
    assert "https://" not in capsys.readouterr().out
