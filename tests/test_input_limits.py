"""Client input the mock cannot use answers the vendor's 400, never a 500, and errors
repeat what the client sent only cut short."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mockserver.core.schemas import Schemas
from mockserver.vendors import VENDORS
from tests.conftest import LIST_URLS, assert_valid, error_code

BY_NAME = {v.name: v for v in VENDORS}
INTEGER_PARAMS = [
    ("pai", "PageNumber", "InvalidParameter"),
    ("pai", "PageSize", "InvalidParameter"),
    ("huawei", "offset", "common.01000001"),
    ("huawei", "limit", "common.01000001"),
    ("dashscope", "page_no", "InvalidParameter"),
    ("dashscope", "page_size", "InvalidParameter"),
]
NOT_ASCII_INTEGERS = {
    "more digits than int() reads": "9" * 5000,
    "negative and long": "-" + "9" * 5000,
    "Arabic-Indic three": "%D9%A3",
    "full-width five": "%EF%BC%95",
    "underscore": "1_0",
}


def _assert_small_error(
    schemas: Schemas, vendor: str, response: object, status: int, code: str
) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert_valid(schemas, BY_NAME[vendor].error_schema, body)
    assert error_code(vendor, body) == code
    assert len(response.content) < 1500  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", NOT_ASCII_INTEGERS.values(), ids=NOT_ASCII_INTEGERS.keys())
@pytest.mark.parametrize(("vendor", "name", "code"), INTEGER_PARAMS)
def test_integer_parameters_take_ascii_digits_of_any_length(
    client: TestClient, schemas: Schemas, vendor: str, name: str, code: str, value: str
) -> None:
    response = client.get(f"{LIST_URLS[vendor]}?{name}={value}")
    _assert_small_error(schemas, vendor, response, 400, code)
    assert name in response.text


@pytest.mark.parametrize(("vendor", "name", "code"), INTEGER_PARAMS)
def test_leading_zeros_are_no_magnitude(
    client: TestClient, vendor: str, name: str, code: str
) -> None:
    assert client.get(f"{LIST_URLS[vendor]}?{name}={'0' * 5000}1").status_code == 200


def test_a_long_enum_value_is_echoed_cut_short(client: TestClient, schemas: Schemas) -> None:
    response = client.get(f"{LIST_URLS['pai']}?FormatType={'x' * 10_000}")
    _assert_small_error(schemas, "pai", response, 400, "InvalidParameter")
    assert "more characters)" in response.json()["Message"]


def test_a_long_unknown_model_id_is_echoed_cut_short(client: TestClient, schemas: Schemas) -> None:
    response = client.get(f"/api/v1/models/{'m' * 10_000}")
    _assert_small_error(schemas, "pai", response, 404, "ModelNotFound")


def test_a_long_unknown_workspace_is_echoed_cut_short(client: TestClient, schemas: Schemas) -> None:
    response = client.get(LIST_URLS["dashscope"], headers={"X-DashScope-WorkSpace": "w" * 10_000})
    _assert_small_error(schemas, "dashscope", response, 403, "AccessDenied")
