"""The OpenAPI document is valid and complete, and the API honours it under property-based fuzzing."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from webui.openapi import openapi_spec

pytest_plugins = ["tests.conftest_web"]


@pytest.fixture(scope="session")
def spec(web_app: Flask) -> dict[str, Any]:
    response = web_app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


# Bad input is rejected with 400 (a malformed value, `error.parameter` names it), 404 (an unknown
# id) or 414 (a query string over the server's limit: fuzzed sheets of 101 long ids reach it before
# their count is read), never accepted and never a 5xx.
CONFIG = SchemathesisConfig.from_str("[checks.negative_data_rejection]\nexpected-statuses = [400, 404, 414]\n")
# The WSGI transport does not decode compressed bodies as an HTTP client would: cases ask for the
# identity encoding (compression itself is tested in test_http.py).
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="session")
def api_schema(web_app: Flask) -> Any:
    """The schema as schemathesis loads it from the running (WSGI) app."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", web_app, config=CONFIG)


def test_spec_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    # The OpenAPI 3.1 meta-schema validator that schemathesis itself ships.
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    assert spec["openapi"].startswith("3.1")
    OPENAPI_31_VALIDATOR.validate(spec)


def test_spec_covers_every_api_route(web_app: Flask, spec: dict[str, Any]) -> None:
    routes = set()
    for rule in web_app.url_map.iter_rules():
        if rule.rule.startswith("/api"):
            path = rule.rule.replace("<path:passage_id>", "{id}").replace("<doc_id>", "{id}")
            routes.add(path)
    assert routes == set(spec["paths"])


def test_every_operation_documents_success_and_errors(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        op = item["get"]
        assert op["operationId"] and op["summary"], path
        assert "200" in op["responses"] and "default" in op["responses"], path
        ok = op["responses"]["200"]["content"]
        assert all("schema" in media for media in ok.values()), path
        for status, response in op["responses"].items():
            if status != "200":
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (path, status)
        if any(p["in"] == "query" for p in op.get("parameters", [])):
            assert "400" in op["responses"], path
        if "{id}" in path:
            assert "404" in op["responses"], path
    assert schemas["Error"]["properties"]["error"]["required"] == ["code", "message"]


def test_spec_enums_follow_the_index(spec: dict[str, Any], kb: Any) -> None:
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert params["document"]["schema"]["items"]["enum"] == [d["id"] for d in kb.documents()]
    assert "surveillance" in params["category"]["schema"]["items"]["enum"]
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}


# Operations are known statically (the paths do not depend on the index); the schema the cases are
# drawn from is the one the app serves. schemathesis' lazy `from_fixture` does not run under pytest 9
# (it sets a private node attribute that pytest 9 removed), so its public `as_strategy` drives Hypothesis.
_PATHS = openapi_spec([], [])["paths"]
CASES = [(path, GenerationMode.POSITIVE) for path in sorted(_PATHS)] + [
    # Negative data needs something to negate: query parameters (an empty path id cannot be sent).
    (path, GenerationMode.NEGATIVE) for path in sorted(_PATHS)
    if any(p["in"] == "query" for p in _PATHS[path]["get"].get("parameters", []))
]


@pytest.mark.parametrize(("path", "mode"), CASES, ids=[f"{p}-{m}" for p, m in CASES])
def test_api_honours_its_schema(api_schema: Any, path: str, mode: GenerationMode) -> None:
    """No 5xx, documented statuses and content types, bodies matching their schemas, bad input rejected."""
    operation = api_schema[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(headers=IDENTITY)

    check()


def test_real_resources_match_the_schema(api_schema: Any, kb: Any) -> None:
    """Generated ids mostly miss (404): check every real document and passage against the schema too."""
    for doc in kb.documents():
        response = api_schema["/api/documents/{id}"]["GET"].Case(path_parameters={"id": doc["id"]}).call_and_validate(headers=IDENTITY)
        assert response.status_code == 200
        for passage in kb.document_passages(doc["id"]):
            case = api_schema["/api/passages/{id}"]["GET"].Case(path_parameters={"id": passage.id})
            assert case.call_and_validate(headers=IDENTITY).status_code == 200, passage.id
    search = api_schema["/api/search"]["GET"]
    for query in ({"q": "reconnaissance faciale"}, {"q": "survelance"}, {"q": "droits", "category": ["surveillance", "armes"], "limit": 100},
                  {"category": ["regulation"], "offset": 10}, {"q": "droits survelance"}):
        response = search.Case(query=query).call_and_validate(headers=IDENTITY)
        assert response.status_code == 200
