"""`--auth verify` on PAI writes: the ACS3 signature covers the body's SHA-256, which the
mock computes from the body it received (the x-acs-content-sha256 header is not trusted)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
from alibabacloud_aiworkspace20210204 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils import Utils

from mockserver import MockServer
from mockserver.core.schemas import Schemas
from tests.conftest import assert_valid
from tests.sdk.conftest import pai_client

pytestmark = pytest.mark.mockserver(auth="verify", credentials=["pai:LTAI-test:pai-secret"])


def test_sdk_signed_writes_pass(mockserver: MockServer) -> None:
    client = pai_client(mockserver)
    model_id = client.create_model(m.CreateModelRequest(model_name="signed")).body.model_id
    request = m.CreateModelVersionRequest(uri="oss://b.oss/x", metrics={"acc": 0.5})
    assert client.create_model_version(model_id, request).body.version_name == "0.1.0"
    client.delete_model_labels(model_id, m.DeleteModelLabelsRequest(label_keys="a,b"))
    client.delete_model(model_id, m.DeleteModelRequest())
    assert [r["status"] for r in mockserver.requests()] == [200] * 4


def test_sdk_with_a_wrong_secret_cannot_write(mockserver: MockServer) -> None:
    client = pai_client(mockserver, secret="wrong")
    with pytest.raises(ClientException) as info:
        client.create_model(m.CreateModelRequest(model_name="x"))
    assert (info.value.status_code, info.value.code) == (400, "SignatureDoesNotMatch")
    assert len(mockserver.data()["pai"]["models"]) == 5


def signed_post(server: MockServer, body: bytes) -> dict[str, str]:
    """Headers for POST /api/v1/models with `body`, signed by the SDK's own signer."""
    digest = hashlib.sha256(body).hexdigest()
    headers = {
        "host": f"127.0.0.1:{server.port}",
        "x-acs-version": "2021-02-04",
        "x-acs-action": "CreateModel",
        "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": digest,
        "content-type": "application/json; charset=utf-8",
    }
    request = SimpleNamespace(method="POST", pathname="/api/v1/models", query={}, headers=headers)
    headers["Authorization"] = Utils.get_authorization(
        request, "ACS3-HMAC-SHA256", digest, "LTAI-test", "pai-secret"
    )
    return headers


def test_the_signed_body_passes(mockserver: MockServer, schemas: Schemas) -> None:
    body = json.dumps({"ModelName": "signed"}).encode()
    response = httpx.post(
        mockserver.url_for("/api/v1/models"), content=body, headers=signed_post(mockserver, body)
    )
    assert response.status_code == 200, response.text
    assert_valid(schemas, "pai/create_model.response", response.json())


@pytest.mark.parametrize("rehash", [False, True])
def test_a_changed_body_is_refused(mockserver: MockServer, schemas: Schemas, rehash: bool) -> None:
    """Another body under the signed headers: refused whether or not the header's hash
    was changed to match it (the signature covers the hash the mock computes)."""
    headers = signed_post(mockserver, json.dumps({"ModelName": "signed"}).encode())
    tampered = json.dumps({"ModelName": "forged"}).encode()
    if rehash:
        headers["x-acs-content-sha256"] = hashlib.sha256(tampered).hexdigest()
    response = httpx.post(mockserver.url_for("/api/v1/models"), content=tampered, headers=headers)
    assert response.status_code == 400
    assert_valid(schemas, "pai/error", response.json())
    assert response.json()["Code"] == "SignatureDoesNotMatch"
    assert len(mockserver.data()["pai"]["models"]) == 5
