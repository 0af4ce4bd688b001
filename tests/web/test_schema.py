"""Schemathesis against /openapi.json (through its ASGI client, whose Host is ``testserver``):
generated requests for every operation (30 examples each, derandomized) never get a
server error, and every answer matches the document (status, media type, schema).

Driven through hypothesis directly (``operation.as_strategy()``): schemathesis' pytest
fixture loader does not run under this project's pytest.
"""

from __future__ import annotations

import pytest
from serve_support import build_index
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")

OPERATIONS = [("POST", "/api/query"), ("POST", "/api/documents"), ("GET", "/api/documents/{id}"),
              ("DELETE", "/api/documents/{id}"), ("GET", "/api/families"), ("GET", "/api/families/{id}"),
              ("GET", "/api/pairs"), ("GET", "/api/stats")]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    from retold.web import create_app

    db = build_index(tmp_path_factory.mktemp("schema") / "news.retold")
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(db, allow_hosts=["testserver"]))


def test_every_operation_is_fuzzed(api_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize("method, path", OPERATIONS)
def test_operation_conforms_to_the_document(api_schema, method, path):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                                   status_code_conformance)

    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers={"Origin": "http://testserver"},
                               checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                       response_schema_conformance])

    run()
