"""Fuzzing with schemathesis against /_mock/openapi.json: nothing it sends breaks the mock.

Every operation gets valid and invalid inputs (a fixed seed, a bounded number of
examples). For each answer: no 5xx, the status is one the document declares, the
Content-Type is JSON and the body is valid against the schema declared for that status,
which for errors is the vendor's own envelope.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from mockserver import create_app

# strings holding a JSON document (PAI's Options): JSON text, as the format says
JSON_VALUES = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=20)
schemathesis.openapi.format(
    "json-text",
    st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5).map(json.dumps),
)
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
    # A write may refuse a body its schema allows for the state it meets (a name already
    # taken, a reference to nothing): the check that valid data is accepted is not kept.
    response = case.call_and_validate(
        excluded_checks=[unsupported_method, positive_data_acceptance]
    )
    assert response.status_code < 500
    assert response.headers["content-type"][0].startswith("application/json")


# --- stateful: sequences that follow the document's links (create -> get -> update ->
# delete), each scenario from the loaded state, with the same checks on every answer.

stateful_app = create_app()
# the operations with links (PAI's model registry); other vendors join as they get writes
stateful_schema = schemathesis.openapi.from_asgi("/_mock/openapi.json", stateful_app).include(
    path_regex="^/api/v1/models"
)
stateful_schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True
)


class Workflow(stateful_schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        stateful_app.store.reset()

    def validate_response(
        self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any
    ) -> None:
        case.validate_response(response, excluded_checks=[unsupported_method])
        assert response.status_code < 500
        assert response.headers["content-type"][0].startswith("application/json")


def test_links_are_followed() -> None:
    """The create operations link to what reads, changes and deletes what they made."""
    paths = stateful_app.openapi["paths"]
    links = paths["/api/v1/models"]["post"]["responses"]["200"]["links"]
    assert links["GetModel"] == {
        "operationId": "pai.GetModel",
        "parameters": {"ModelId": "$response.body#/ModelId"},
    }
    version = paths["/api/v1/models/{ModelId}/versions"]["post"]["responses"]["200"]["links"]
    assert version["DeleteModelVersion"]["parameters"]["VersionName"] == (
        "$response.body#/VersionName"
    )


TestStatefulSequences = Workflow.TestCase
TestStatefulSequences.settings = settings(
    max_examples=30,
    stateful_step_count=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
