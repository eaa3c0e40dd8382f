"""Fuzzing with schemathesis against /_mock/openapi.json: nothing it sends breaks the mock.

Every operation gets valid and invalid inputs (a fixed seed, a bounded number of
examples). For each answer: no 5xx, the status is one the document declares, the
Content-Type is JSON and the body is valid against the schema declared for that status,
which for errors is the vendor's own envelope.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import unsupported_method

from mockserver import create_app

schema = schemathesis.openapi.from_asgi("/_mock/openapi.json", create_app())
# The registry paths Dreadnode's SDK pushes through (OCI distribution: raw bytes, HEAD,
# the protocol's own error body) are left out: schemathesis drives JSON operations.
# tests/vendors/test_dreadnode_writes.py covers each of their errors.
schema = schema.exclude(operation_id_regex=r"^dreadnode\.registry_")
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True
)


@schema.parametrize()
@settings(
    max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
def test_no_input_breaks_the_mock(case: schemathesis.Case) -> None:
    # The vendors' gateways answer an undeclared method as an unknown API (their 404 or
    # DashScope's 400 UnsupportedOperation, see docs/decisions.md), not with HTTP's 405.
    response = case.call_and_validate(excluded_checks=[unsupported_method])
    assert response.status_code < 500
    assert response.headers["content-type"][0].startswith("application/json")
