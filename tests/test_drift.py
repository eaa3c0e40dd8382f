"""`mockserver drift`: saved doc pages against the mock's schemas and parameter specs.

The pages under tests/data/drift/ are small copies in each vendor's own layout (PAI and
Huawei as HTML and as the text a browser saves, DashScope's `|`-framed text and HTML,
Dreadnode's generated field lists), unchanged and with each kind of change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.cli import main
from mockserver.core.schemas import bundled
from mockserver.drift import drift, enum_values, fields, read_page, stated_default, stated_range
from mockserver.vendors import VENDORS

PAGES = Path(__file__).parent / "data" / "drift"
VENDOR = {v.name: v for v in VENDORS}

UNCHANGED = [
    ("pai", "pai/listmodelversions.txt"),
    ("pai", "pai/listmodelversions.html"),
    ("huawei", "huawei/listmodels.txt"),
    ("huawei", "huawei/listmodels.html"),
    ("dashscope", "dashscope/list-deployments.txt"),
    ("dashscope", "dashscope/list-deployments.html"),
    ("dreadnode", "dreadnode/list-model-versions.html"),
]


def lines_for(vendor: str, page: str) -> list[str]:
    return drift(VENDOR[vendor], [PAGES / page], bundled().documents)


@pytest.mark.parametrize(("vendor", "page"), UNCHANGED)
def test_an_unchanged_page_agrees_with_the_mock(vendor: str, page: str) -> None:
    assert lines_for(vendor, page) == []


@pytest.mark.parametrize(("vendor", "page"), UNCHANGED)
def test_every_table_of_an_unchanged_page_is_read(vendor: str, page: str) -> None:
    """Agreement is not silence: the page's fields are found and compared."""
    found, _, _ = fields(read_page(PAGES / page))
    scopes = {f.scope for f in found}
    assert {"path", "query"} & scopes and ("response" in scopes or "error" in scopes)


PAI = "[param pai.ListModelVersions query "
PAI_CHANGES = [
    'added: query "ModelVersionStatus" (string) is not in the mock',
    f'removed: query "Label" is no longer documented {PAI}Label]',
    f'renamed: query "ApprovalStatus" -> "ApprovalState" {PAI}ApprovalStatus]',
    f'retyped: query "PageNumber": doc string, mock integer {PAI}PageNumber]',
    f'new enum value: query "FormatType": "SafeTensors" {PAI}FormatType]',
    f'enum value gone: query "FrameworkType": "Caffe" is no longer documented {PAI}FrameworkType]',
    f'changed range: query "PageSize": doc 1..50, mock 1..100 {PAI}PageSize]',
    f'changed default: query "Order": doc DESC, mock ASC {PAI}Order]',
    'new error code: "ModelVersionNotFound" is not answered by the mock [pai error codes]',
    "new error status: 409 is not answered by the mock [pai statuses]",
]
HUAWEI = "[param huawei.ListModels query "
HUAWEI_CHANGES = [
    'added: query "tag" (string) is not in the mock',
    'removed: response:ModelInfo "update_user" is no longer documented '
    "[schemas/huawei/model_info.json#/properties/update_user]",
    f'renamed: query "sort_by" -> "sort_key" {HUAWEI}sort_by]',
    f'retyped: query "type": doc integer, mock string {HUAWEI}type]',
    f'new enum value: query "visibility": "SHARED" {HUAWEI}visibility]',
    f'changed range: query "limit": doc 1..500, mock 1..100 {HUAWEI}limit]',
    f'changed default: query "offset": doc 5, mock 0 {HUAWEI}offset]',
    'new error code: "common.01000409" is not answered by the mock [huawei error codes]',
    "new error status: 409 is not answered by the mock [huawei statuses]",
]
DASHSCOPE = "[param dashscope.ListDeployments query "
DASHSCOPE_CHANGES = [
    'added: query "status" (string) is not in the mock',
    f'retyped: query "page_no": doc string, mock integer {DASHSCOPE}page_no]',
    f'changed range: query "page_size": doc 1..100, mock 1..200 {DASHSCOPE}page_size]',
    f'changed default: query "page_size": doc 20, mock 50 {DASHSCOPE}page_size]',
    'new error code: "Conflict" is not answered by the mock [dashscope error codes]',
]
DREADNODE = "[schemas/dreadnode/list_model_versions.response.json#/properties/"
DREADNODE_CHANGES = [
    'added: response "created_by" (string) is not in the mock',
    f'removed: response "versions" is no longer documented {DREADNODE}versions]',
    f'renamed: response "latest" -> "latest_version" {DREADNODE}latest]',
    'retyped: path "org": doc integer, mock string [param dreadnode.list_model_versions path org]',
    'new error code: "conflict_error" is not answered by the mock [dreadnode error codes]',
]
PAI_CONFLICT = (
    'new error code: "ModelVersionConflict" is not answered by the mock [pai error codes]'
)
PAI_HTML = [*PAI_CHANGES, PAI_CONFLICT, 'added: response "NextToken" (string) is not in the mock']
PAI_TEXT = [
    *PAI_CHANGES,
    PAI_CONFLICT,
    'renamed: response "TotalCount" -> "TotalCounts" '
    "[schemas/pai/list_model_versions.response.json#/properties/TotalCount]",
]
CHANGED = [
    ("pai", "pai/listmodelversions-changed.html", "ListModelVersions", PAI_HTML),
    ("pai", "pai/listmodelversions-changed.txt", "ListModelVersions", PAI_TEXT),
    ("huawei", "huawei/listmodels-changed.txt", "ListModels", HUAWEI_CHANGES),
    ("huawei", "huawei/listmodels-changed.html", "ListModels", HUAWEI_CHANGES),
    ("dashscope", "dashscope/list-deployments-changed.txt", "ListDeployments", DASHSCOPE_CHANGES),
    (
        "dreadnode",
        "dreadnode/list-model-versions-changed.html",
        "list_model_versions",
        DREADNODE_CHANGES,
    ),
]


@pytest.mark.parametrize(("vendor", "page", "operation", "expected"), CHANGED)
def test_each_kind_of_change_is_found(
    vendor: str, page: str, operation: str, expected: list[str]
) -> None:
    prefix = f"{Path(page).name}: {operation} "
    assert sorted(lines_for(vendor, page)) == sorted(prefix + line for line in expected)


def test_the_command_exits_1_on_drift_and_0_without(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", "--vendor", "huawei", str(PAGES / "huawei/listmodels.txt")]) == 0
    assert capsys.readouterr().out == "ok: 1 page(s) of huawei agree with the mock\n"
    changed = str(PAGES / "dashscope/list-deployments-changed.txt")
    assert main(["drift", "--vendor", "dashscope", changed]) == 1
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == len(DASHSCOPE_CHANGES)
    assert err == "5 difference(s) in 1 page(s)\n"


def test_the_command_refuses_an_unknown_vendor_or_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["drift", "--vendor", "aws", str(PAGES / "huawei/listmodels.txt")]) == 2
    assert "unknown vendor 'aws'" in capsys.readouterr().err
    assert main(["drift", "--vendor", "pai", str(tmp_path / "gone.html")]) == 2
    assert "no such file" in capsys.readouterr().err
    other = tmp_path / "other.txt"
    other.write_text("GET /somewhere/else\n", encoding="utf-8")
    assert main(["drift", "--vendor", "pai", str(other)]) == 1
    assert "no route of pai found on the page" in capsys.readouterr().out


def test_what_a_description_states() -> None:
    text = "The sort order. The default value is ASC.\n• ASC: ascending.\n• DESC (newest first)"
    assert enum_values(text) == {"ASC", "DESC"}
    assert enum_values("• Keras H5\n• Default Value: By default, blank.") == {"Keras H5"}
    assert stated_default(text) == "ASC"
    assert stated_default("Default Value: N/A.") is None
    assert stated_range("Range: 0 to 4,096 characters.") == (0, 4096)
    assert stated_range("Range: [1, 100].") == (1, 100)
    assert stated_range("Value range: 1 to 200.") == (1, 200)
    assert stated_range("Constraints: N/A.") is None
