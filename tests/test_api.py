"""The JSON face: every /api/ route, its errors, limits, CORS and security headers."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.export import CSV_COLUMNS
from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase
from webui import ACCESS_LOGGER, configure_access_log, create_app

pytest_plugins = ["tests.conftest_web"]

PASSAGE = "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-3"
DOC = "amnesty-ia-droits-humains"


def error_of(response: Any, status: int) -> dict[str, Any]:
    """Assert a JSON error of this status and return its error object."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


# Search --------------------------------------------------------------------------------------

def test_search_is_the_service_object(client: FlaskClient, kb: KnowledgeBase) -> None:
    response = client.get("/api/search?q=reconnaissance+faciale&limit=5")
    assert response.status_code == 200
    expected = json.loads(json.dumps(search(kb, SearchRequest("reconnaissance faciale", limit=5, public_url="http://localhost")).to_json()))
    assert response.get_json() == expected
    assert list(response.get_json()) == ["query", "total", "limit", "offset", "mode", "results", "facets",
                                         "suggestion", "expansions", "corrected_query", "notes", "documents", "by_words", "by_meaning"]


def test_search_without_q_reports_the_default_mode(client: FlaskClient) -> None:
    """Nothing to search, but the mode is the one a search would run in: hybrid (the index has vectors)."""
    assert client.get("/api/search").get_json()["mode"] == "hybrid"
    assert client.get("/api/search?mode=lexical").get_json()["mode"] == "lexical"
    assert client.get("/api/search?q=surveillance").get_json()["mode"] == "hybrid"


def test_search_result_shape(client: FlaskClient) -> None:
    body = client.get("/api/search?q=reconnaissance+faciale").get_json()
    assert body["total"] >= 2
    ids = [r["id"] for r in body["results"]]
    assert PASSAGE in ids
    first = body["results"][0]
    assert set(first) >= {"id", "score", "text", "snippet", "document", "section", "categories", "links", "url"}
    assert "<mark>" in first["snippet"]
    assert first["url"].startswith("http://localhost/documents/")  # absolute: the request's host
    assert body["facets"]["category"]["surveillance"] >= 2


def test_search_repeatable_filters(client: FlaskClient) -> None:
    both = client.get("/api/search?q=droits&category=surveillance&category=armes&limit=100").get_json()
    every = client.get("/api/search?q=droits&limit=100").get_json()
    either = [r["id"] for r in every["results"] if {"surveillance", "armes"} & set(r["categories"])]
    assert every["total"] == len(every["results"]) and len(either) < every["total"]
    assert [r["id"] for r in both["results"]] == either and both["total"] == len(either) > 0
    only = client.get(f"/api/search?q=droits&document={DOC}&limit=100").get_json()
    assert only["total"] > 0 and all(r["document"]["id"] == DOC for r in only["results"])


def test_search_paging(client: FlaskClient) -> None:
    page1 = client.get("/api/search?q=droits&limit=10").get_json()
    page2 = client.get("/api/search?q=droits&limit=10&offset=10").get_json()
    assert page1["total"] > 10 and page2["offset"] == 10
    assert not {r["id"] for r in page1["results"]} & {r["id"] for r in page2["results"]}


def test_search_without_query_is_empty_not_an_error(client: FlaskClient) -> None:
    body = client.get("/api/search").get_json()
    assert body["total"] == 0 and body["results"] == []


@pytest.mark.parametrize(("query", "parameter", "message"), [
    ("limit=0", "limit", "limit must be between 1 and 100 (got 0)"),
    ("limit=101", "limit", "limit must be between 1 and 100 (got 101)"),
    ("limit=abc", "limit", "limit must be an integer (got 'abc')"),
    ("limit=1.5", "limit", "limit must be an integer"),
    ("limit=", "limit", "limit must be an integer"),
    ("limit=%EF%BC%91", "limit", "limit must be an integer"),  # fullwidth digit
    ("limit=1&limit=2", "limit", "at most once"),
    ("offset=-1", "offset", "offset must be between 0 and 10000 (got -1)"),
    ("offset=10001", "offset", "offset must be between 0 and 10000"),
    ("offset=99999999999999999999", "offset", "offset must be an integer"),
    ("category=nope", "category", "unknown category 'nope'"),
    ("document=nope", "document", "unknown document 'nope'"),
    ("q=a&q=b", "q", "q must be given at most once"),
    ("q=" + "a" * 1001, "q", "q must be at most 1000 characters (got 1001)"),
])
def test_search_bad_parameters_are_400(client: FlaskClient, query: str, parameter: str, message: str) -> None:
    err = error_of(client.get("/api/search?" + query), 400)
    assert err["code"] == "invalid_parameter"
    assert err["parameter"] == parameter
    assert message in err["message"]


@pytest.mark.parametrize("q", [
    "\x00", "%00%01%02", "<script>alert(1)</script>", '"""', "-", "*", "OR OR", "((((", "😀" * 50,
    "\u202eevil", "a" * 1000, "%FF%FE", "é" * 999, "title:x", "~^?", "\\", "'; DROP TABLE x; --",
])
def test_hostile_queries_never_fail(client: FlaskClient, q: str) -> None:
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["query"] == q


def test_raw_invalid_utf8_query_is_not_a_500(client: FlaskClient) -> None:
    response = client.get("/api/search?q=%FF%FE%C3%28&category=%FF")
    assert response.status_code == 400 and response.is_json


# Passages, documents, categories, health -------------------------------------------------------

def test_passage(client: FlaskClient, kb: KnowledgeBase) -> None:
    body = client.get(f"/api/passages/{PASSAGE}").get_json()
    passage = kb.passage(PASSAGE)
    assert body["id"] == PASSAGE and body["text"] == passage.text
    assert body["categories"] == ["surveillance"]
    assert body["explanation"] and body["explanation"][0]["category"] == "surveillance"
    assert body["document"]["publisher"] == "Amnesty International France"
    assert body["citation"]["text"].startswith("« Les recherches menées")
    assert "Amnesty International France" in body["citation"]["text"] and body["citation"]["csl"]["id"] == body["id"]
    assert body["related"] and all(r["id"] != PASSAGE for r in body["related"])
    assert body["url"] == f"http://localhost/documents/{DOC}#1-surveillance-generalisee-et-discriminatoire-3"


@pytest.mark.parametrize("path", ["/api/passages/nope", "/api/passages/nope/x-1", f"/api/passages/{DOC}/", "/api/documents/nope", "/api/nope", "/api/documents/a/b"])
def test_not_found_is_json(client: FlaskClient, path: str) -> None:
    assert error_of(client.get(path), 404)["code"] in {"not_found"}


def test_documents(client: FlaskClient, kb: KnowledgeBase) -> None:
    body = client.get("/api/documents").get_json()
    assert body["total"] == 3 == len(body["documents"])
    assert {d["id"] for d in body["documents"]} == {d["id"] for d in kb.documents()}
    doc = client.get(f"/api/documents/{DOC}").get_json()
    assert doc["document"]["title"].startswith("Sommet mondial")
    assert [p["id"] for p in doc["passages"]] == [p.id for p in kb.document_passages(DOC)]


def test_categories(client: FlaskClient, kb: KnowledgeBase) -> None:
    cats = client.get("/api/categories").get_json()["categories"]
    core = [c["slug"] for c in cats if c["core"]]
    assert core == ["surveillance", "services-publics", "algorithmes", "armes"]
    counts = kb.stats()["per_category"]
    assert all(c["passages"] == counts.get(c["slug"], 0) for c in cats)
    assert all(c["mit_domains"] and c["definition"] for c in cats if c["core"])


def test_health(client: FlaskClient, kb: KnowledgeBase) -> None:
    body = client.get("/api/health").get_json()
    stats = kb.stats()
    checked = body.pop("checked")  # what was verified when the build was opened
    assert body == {"status": "ok", "build": kb.snapshot().path.name, "documents": 3, "passages": stats["passages"], "words": stats["words"], "built_at": stats["built_at"],
                    "hybrid": {"status": "ok"}}
    assert checked["checksums"] is True and checked["bytes"] > 100_000 and checked["passages"] == stats["passages"] and "text" in checked["fields_queried"]


def test_api_index_lists_endpoints(client: FlaskClient) -> None:
    body = client.get("/api/").get_json()
    assert body["openapi"] == "http://localhost/api/openapi.json"  # absolute: a client follows it as given
    assert client.get("/api").status_code in {308, 301}


def test_index_missing_is_503_json(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "KB_INDEX": str(tmp_path)})
    err = error_of(app.test_client().get("/api/health"), 503)
    assert err["code"] == "index_missing" and "kb index" in err["hint"]
    assert app.test_client().get("/api/openapi.json").status_code == 200


def test_unexpected_error_is_json_500_without_details(web_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("webui.api.search", boom)
    response = web_app.test_client().get("/api/search?q=x")
    err = error_of(response, 500)
    assert err == {"code": "internal_error", "message": "internal server error"}
    assert b"secret" not in response.data


def test_export_csv(client: FlaskClient, kb: KnowledgeBase) -> None:
    response = client.get("/api/export.csv?q=surveillance&category=surveillance")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="passages.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    expected = search(kb, SearchRequest("surveillance", categories=("surveillance",), limit=100))
    assert 0 < expected.total == len(expected.results)  # one page holds them all
    assert [r["id"] for r in rows] == [r.id for r in expected.results]
    assert list(rows[0]) == CSV_COLUMNS
    assert response.headers["X-Total-Count"] == str(len(rows))


def test_export_ndjson(client: FlaskClient) -> None:
    response = client.get(f"/api/export.ndjson?document={DOC}")
    assert response.mimetype == "application/x-ndjson"
    assert "attachment" in response.headers["Content-Disposition"]
    records = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(records) == 57 and all(r["document"]["id"] == DOC for r in records)
    assert {"id", "text", "section", "categories", "explanation", "links", "url"} <= set(records[0])


def test_export_everything_without_query(client: FlaskClient, kb: KnowledgeBase) -> None:
    lines = client.get("/api/export.ndjson").get_data(as_text=True).splitlines()
    assert len(lines) == kb.stats()["passages"]


def test_export_bad_filter_is_400(client: FlaskClient) -> None:
    assert error_of(client.get("/api/export.csv?category=nope"), 400)["parameter"] == "category"


# HTTP-level errors and limits ------------------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405_json_with_allow(client: FlaskClient, method: str) -> None:
    response = client.open("/api/search", method=method)
    err = error_of(response, 405)
    assert err["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_query_string_over_limit_is_414(client: FlaskClient) -> None:
    err = error_of(client.get("/api/search?q=" + "a" * 17000), 414)
    assert err["code"] == "uri_too_long"


def test_long_path_is_414(client: FlaskClient) -> None:
    error_of(client.get("/api/passages/" + "x" * 3000), 414)


def test_body_over_limit_is_413(client: FlaskClient) -> None:
    err = error_of(client.post("/api/search", data=b"x" * 20000), 413)
    assert err["code"] == "content_too_large"


def test_cors_on_responses_and_errors(client: FlaskClient) -> None:
    for path in ("/api/health", "/api/search?limit=0", "/api/nope"):
        assert client.get(path, headers={"Origin": "https://example.org"}).headers["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight(client: FlaskClient) -> None:
    response = client.options("/api/search", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-Requested-With"})
    assert response.status_code == 204 and not response.data
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "X-Requested-With"


def test_no_cors_on_html_pages(client: FlaskClient) -> None:
    assert "Access-Control-Allow-Origin" not in client.get("/a-propos").headers


@pytest.mark.parametrize("path", ["/api/health", "/api/nope", "/", "/nope", "/static/style.css"])
def test_security_headers_everywhere(client: FlaskClient, path: str) -> None:
    with client.get(path) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "base-uri 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in {"strict-origin-when-cross-origin", "no-referrer"}


def test_debug_is_off_unless_asked(web_app: Flask, corpus_index: Path) -> None:
    assert not web_app.debug
    assert not create_app({"KB_INDEX": str(corpus_index), "TESTING": True}).debug


def test_one_log_line_per_request(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    client.get("/api/health")
    client.get("/api/search?limit=0")
    lines = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(lines) == 2
    assert lines[0].startswith("GET /api/health 200 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("GET /api/search 400 ")
    assert "limit" not in lines[1]  # the query string is not logged


def test_access_log_handler_is_configured_once(corpus_index: Path) -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    saved = (list(logger.handlers), logger.propagate, logger.level)
    try:
        create_app({"KB_INDEX": str(corpus_index)})
        configure_access_log()
        ours = [h for h in logger.handlers if getattr(h, "kb_access", False)]
        assert len(ours) == 1 and not logger.propagate
    finally:
        logger.handlers[:] = saved[0]
        logger.propagate, logger.level = saved[1], saved[2]


def test_the_export_formats_are_one_registry(client: FlaskClient, corpus_index: Path) -> None:
    from click.testing import CliRunner

    from kbcli.search import export_cmd
    from kb.export import EXPORTS

    spec = client.get("/api/openapi.json").get_json()["paths"]
    assert sorted(p for p in spec if p.startswith("/api/export.")) == sorted(f"/api/export.{name}" for name in EXPORTS)
    assert {k for k in client.get("/api/").get_json()["endpoints"] if k.startswith("export_")} == {f"export_{n}" for n in EXPORTS}
    assert list(next(p for p in export_cmd.params if p.name == "fmt").type.choices) == list(EXPORTS)  # type: ignore[attr-defined]
    for name, export in EXPORTS.items():
        assert list(spec[f"/api/export.{name}"]["get"]["responses"]["200"]["content"]) == [export.media_type]
        response = client.get(f"/api/export.{name}?document={DOC}&limit=3")
        assert response.status_code == 200 and response.mimetype == export.media_type
        printed = CliRunner().invoke(export_cmd, ["--index", str(corpus_index), "--format", name])
        assert printed.exit_code == 0 and printed.output.startswith(response.get_data(as_text=True).split("\n", 1)[0][:20])
