"""DashScope deployment writes in process: bodies checked in the envelope, the catalogue,
and every write through the journal, faults, auth and rate limits like the reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid

URL = "/api/v1/deployments"


@pytest.fixture
def own() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(seed=3, lifecycle="immediate"))) as client:
        yield client


def error(schemas: Schemas, response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert_valid(schemas, "dashscope/error", response.json())
    assert response.json()["code"] == code
    return str(response.json()["message"])


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"capacity": 1}, "model_name"),
        ({"model_name": "emo", "capacity": "1"}, "$.capacity"),
        ({"model_name": "emo", "capacity": 0}, "$.capacity"),
        ({"model_name": "emo", "capacity": 1, "colour": "red"}, "colour"),
        ({"model_name": "emo", "capacity": 1, "suffix": "Bad Suffix"}, "$.suffix"),
        ({"model_name": "emo", "capacity": 1, "plan": "gold"}, "$.plan"),
        ({"model_name": "emo", "capacity": 1, "plan": "ptu"}, "ptu_capacity"),
    ],
)
def test_bad_create_bodies_name_the_field(
    own: TestClient, schemas: Schemas, body: dict[str, Any], named: str
) -> None:
    assert named in error(schemas, own.post(URL, json=body), 400, "InvalidParameter")
    assert own.get("/_mock/transitions").json()["transitions"] == []


def test_not_json_and_too_large(own: TestClient, schemas: Schemas) -> None:
    error(
        schemas,
        own.post(URL, content=b"{", headers={"content-type": "application/json"}),
        400,
        "InvalidParameter",
    )
    big = own.post(URL, content=b"[" + b"1," * 600_000 + b"1]")
    error(schemas, big, 413, "RequestTooLarge")


def test_refused_on_several_workers(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(workers=2))) as client:
        response = client.post(URL, json={"model_name": "emo", "capacity": 1})
    assert "--workers 1" in error(schemas, response, 409, "Conflict")


def test_the_catalogue_pages(own: TestClient, schemas: Schemas) -> None:
    body = own.get(f"{URL}/models", params={"page_size": 3, "page_no": 2}).json()
    assert_valid(schemas, "dashscope/list_deployable_models.response", body)
    assert body["output"]["total"] == 8
    assert [m["model_name"] for m in body["output"]["models"]] == [
        "qwen-turbo",
        "qwen-long",
        "qwen-vl-plus",
    ]
    error(schemas, own.get(f"{URL}/models", params={"page_size": 500}), 400, "InvalidParameter")


def test_a_model_added_to_the_catalogue_can_be_deployed(own: TestClient) -> None:
    added = own.post(
        "/_mock/data/dashscope/models", json={"model_name": "my-ft", "base_capacity": 3}
    )
    assert added.status_code == 201
    created = own.post(URL, json={"model_name": "my-ft", "capacity": 6, "plan": "Lora"})
    assert created.status_code == 200
    assert (created.json()["output"]["base_capacity"], created.json()["output"]["plan"]) == (
        3,
        "lora",
    )


def test_update_throttling_on_mu_deployments(own: TestClient, schemas: Schemas) -> None:
    mu = "qwen-plus-8f2c91ab-support"
    done = own.put(f"{URL}/{mu}/update", json={"rpm_limit": 900, "tpm_limit": 5})
    assert done.status_code == 200
    assert_valid(schemas, "dashscope/deployment.response", done.json())
    assert (done.json()["output"]["rpm_limit"], done.json()["output"]["tpm_limit"]) == ("900", 5)
    assert own.get(f"{URL}/{mu}").json()["output"]["rpm_limit"] == "900"
    message = error(
        schemas,
        own.put(f"{URL}/emo-35b3f106-sample01/update", json={"tpm_limit": 1}),
        400,
        "InvalidParameter",
    )
    assert "model-unit" in message
    error(schemas, own.put(f"{URL}/{mu}/update", json={}), 400, "InvalidParameter")


def test_scale_needs_running_and_a_multiple(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(lifecycle="manual"))) as own:
        created = own.post(URL, json={"model_name": "qwen-plus", "capacity": 2}).json()
        deployed = created["output"]["deployed_model"]
        one = f"{URL}/{deployed}"
        refused = own.put(f"{one}/scale", json={"capacity": 4})
        message = error(schemas, refused, 400, "InvalidParameter")
        assert "is PENDING: it cannot be scaled now (only when RUNNING)" in message
        own.post("/_mock/transitions", json={"vendor": "dashscope", "id": deployed})
        error(schemas, own.put(f"{one}/scale", json={"capacity": 5}), 400, "InvalidParameter")
        ptu = {"ptu_capacity": {"input_tpm": 1, "output_tpm": 1}}
        error(schemas, own.put(f"{one}/scale", json=ptu), 400, "InvalidParameter")
        scaled = own.put(f"{one}/scale", json={"deployed_model": "ignored", "capacity": 6})
        assert scaled.json()["output"]["status"] == "UPDATING"


def test_another_workspace_does_not_see_it(own: TestClient, schemas: Schemas) -> None:
    created = own.post(
        URL,
        json={"model_name": "emo", "capacity": 1},
        headers={"X-DashScope-WorkSpace": "llm-prodteam01"},
    )
    deployed = created.json()["output"]["deployed_model"]
    assert created.json()["output"]["workspace_id"] == "llm-prodteam01"
    error(schemas, own.get(f"{URL}/{deployed}"), 404, "NotFound")
    error(
        schemas,
        own.delete(f"{URL}/{deployed}", headers={"X-DashScope-WorkSpace": "llm-nope"}),
        403,
        "AccessDenied",
    )
    second = own.post(
        URL,
        json={"model_name": "emo", "capacity": 1},
        headers={"X-DashScope-WorkSpace": "llm-prodteam01"},
    )
    assert "please specify a suffix" in error(schemas, second, 409, "Conflict")


def test_a_second_delete_while_deleting_answers_it_again(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(lifecycle="manual"))) as client:
        one = f"{URL}/emo-35b3f106-sample01"
        assert client.delete(one).json()["output"]["status"] == "DELETING"
        assert client.delete(one).json()["output"]["status"] == "DELETING"
        client.post(
            "/_mock/transitions", json={"vendor": "dashscope", "id": "emo-35b3f106-sample01"}
        )
        error(schemas, client.delete(one), 404, "NotFound")


def test_writes_are_journaled_and_take_injected_faults(own: TestClient, schemas: Schemas) -> None:
    own.post("/_mock/faults", json={"operation": "CreateDeployment", "status": 500, "times": 1})
    error(schemas, own.post(URL, json={"model_name": "emo", "capacity": 1}), 500, "InternalError")
    assert own.post(URL, json={"model_name": "emo", "capacity": 1}).status_code == 200
    journal = own.get("/_mock/requests").json()["requests"]
    assert [(r["operation"], r["status"]) for r in journal[-2:]] == [
        ("CreateDeployment", 500),
        ("CreateDeployment", 200),
    ]


def test_writes_take_the_auth_check_and_rate_limits(schemas: Schemas) -> None:
    with TestClient(create_app(Settings(auth="check"))) as client:
        error(
            schemas,
            client.post(URL, json={"model_name": "emo", "capacity": 1}),
            401,
            "InvalidApiKey",
        )
        error(schemas, client.delete(f"{URL}/emo-35b3f106-sample01"), 401, "InvalidApiKey")
    with TestClient(create_app(Settings(rate_limits=(("dashscope", 1.0),)))) as client:
        assert client.delete(f"{URL}/emo-35b3f106-sample01").status_code == 200
        error(
            schemas,
            client.put(f"{URL}/emo-35b3f106-sample01/scale", json={"capacity": 2}),
            429,
            "Throttling.RateQuota",
        )


def test_the_openapi_document_shows_the_bodies(own: TestClient) -> None:
    paths = own.get("/_mock/openapi.json").json()["paths"]
    create = paths[URL]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "dashscope.create_deployment.request"
    )
    assert "409" in create["responses"]
    assert "requestBody" in paths[f"{URL}/{{deployed_model}}/scale"]["put"]
