"""HTTP conventions on both faces: compression negotiated, ETag and 304, HEAD, Cache-Control, one set
of parameter names (unknown ones refused by the API), export limits and dialects, access logs."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import brotli
import pytest
from backports import zstd
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from kb.storage.store import KnowledgeBase
from webui.openapi import openapi_spec

pytest_plugins = ["tests.conftest_web"]

if TYPE_CHECKING:
    from tests.conftest_web import LiveServer

DOC = "amnesty-ia-droits-humains"
PASSAGE = f"{DOC}/1-surveillance-generalisee-et-discriminatoire-3"
SEARCH = "/api/search?q=reconnaissance+faciale"
DECODERS = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}
# One GET of every route, pages and API.
ROUTES = ["/", "/recherche?q=surveillance", f"/documents/{DOC}", f"/passages/{PASSAGE}", "/documents", "/categories",
          "/categories/surveillance", "/a-propos", f"/fiche?p={PASSAGE}", f"/fiche/export?p={PASSAGE}", "/api/", SEARCH,
          f"/api/passages/{PASSAGE}", f"/api/passages/{PASSAGE}/citation?format=bibtex", f"/api/fiche?p={PASSAGE}",
          "/api/documents", f"/api/documents/{DOC}", "/api/categories", "/api/openapi.json",
          "/api/export.csv?q=surveillance", "/api/export.ndjson?q=surveillance", "/static/style.css"]


@pytest.mark.parametrize("encoding", sorted(DECODERS))
@pytest.mark.parametrize("path", [SEARCH, "/recherche?q=surveillance", "/api/export.csv?q=surveillance", "/static/style.css"])
def test_compression_is_negotiated(client: FlaskClient, path: str, encoding: str) -> None:
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    packed = client.get(path, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding and "Accept-Encoding" in packed.headers["Vary"]
    body, original = packed.get_data(), plain.get_data()
    plain.close()  # a static file's response holds the file open until closed
    packed.close()
    assert DECODERS[encoding](body) == original and len(body) < len(original)


def test_an_encoding_the_client_refuses_is_never_sent(client: FlaskClient) -> None:
    response = client.get(SEARCH, headers={"Accept-Encoding": "br;q=0, gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in client.get(SEARCH, headers={"Accept-Encoding": "compress"}).headers


@pytest.mark.parametrize("path", ROUTES)
def test_every_answer_has_a_validator_and_a_conditional_request_gets_304(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200, path
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get(path, headers={"If-None-Match": etag})
    first.close()
    again.close()
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == first.headers["Cache-Control"]


def test_a_compressed_answer_revalidates_with_its_own_tag(client: FlaskClient) -> None:
    for path in (SEARCH, "/static/style.css"):
        packed = client.get(path, headers={"Accept-Encoding": "gzip"})
        again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
        packed.close()
        again.close()
        assert again.status_code == 304 and again.get_data() == b"", path


def test_the_validator_names_the_build_and_differs_per_answer(client: FlaskClient, kb: KnowledgeBase) -> None:
    one, other = client.get(SEARCH), client.get("/api/search?q=manifester")
    assert one.headers["ETag"].startswith(f'W/"{kb.snapshot().path.name}-')
    assert one.headers["ETag"] != other.headers["ETag"]
    stale = one.headers["ETag"].replace(kb.snapshot().path.name, "build-of-last-week")
    assert client.get(SEARCH, headers={"If-None-Match": stale}).status_code == 200
    assert client.get(SEARCH, headers={"If-None-Match": "*"}).status_code == 304


def test_errors_and_health_are_never_cached(client: FlaskClient) -> None:
    for path in ("/api/search?limit=0", "/api/passages/nope/nope", "/recherche?page=0", "/nope", "/api/health"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert "ETag" not in response.headers, path


@pytest.mark.parametrize("path", ROUTES + ["/api/health", "/api/search?limit=0", "/nope"])
def test_head_answers_like_get_without_a_body(client: FlaskClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    get.close()
    head.close()
    assert head.status_code == get.status_code and head.get_data() == b""
    for name in ("Content-Type", "ETag", "Cache-Control", "Content-Length"):
        assert head.headers.get(name) == get.headers.get(name), (path, name)


def test_an_unknown_api_parameter_is_a_400_naming_it(client: FlaskClient) -> None:
    response = client.get("/api/search?q=reconnaissance&categorie=armes")
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["code"] == "unknown_parameter" and error["parameter"] == "categorie"
    assert "'categorie'" in error["message"] and "category" in error["message"] and "category" in error["hint"]
    filtered = client.get("/api/search?q=reconnaissance&category=armes").get_json()
    assert filtered["total"] < client.get("/api/search?q=reconnaissance").get_json()["total"]


def test_every_api_endpoint_takes_exactly_the_parameters_its_description_lists(client: FlaskClient) -> None:
    paths = openapi_spec([], [])["paths"]
    examples = {"{id}": PASSAGE}
    for path, item in paths.items():
        url = path.replace("{id}", DOC if path == "/api/documents/{id}" else examples["{id}"])
        response = client.get(url + ("&" if "?" in url else "?") + "utm_source=x")
        assert response.status_code == 400, path
        assert response.get_json()["error"]["parameter"] == "utm_source", path
        listed = [p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"]
        assert all(name in response.get_json()["error"]["message"] for name in listed), path


def test_pages_take_the_api_names_and_their_old_alias(client: FlaskClient) -> None:
    canonical = BeautifulSoup(client.get("/recherche?q=reconnaissance&category=armes").data, "html.parser")
    alias = BeautifulSoup(client.get("/recherche?q=reconnaissance&categorie=armes").data, "html.parser")
    ids = [[a["href"] for a in soup.select("article a[href^='/documents/']")] for soup in (canonical, alias)]
    unfiltered = BeautifulSoup(client.get("/recherche?q=reconnaissance").data, "html.parser")
    assert ids[0] == ids[1] and ids[0] != [a["href"] for a in unfiltered.select("article a[href^='/documents/']")]
    links = [a["href"] for a in canonical.select("a[href*='categor']")]
    assert links and not any("categorie=" in href for href in links)
    # Pages ignore what they do not know (a shared link's tracking tags), the API does not.
    assert client.get("/recherche?q=reconnaissance&utm_source=x").status_code == 200


def test_search_api_takes_exact_like_the_pages(client: FlaskClient) -> None:
    corrected = client.get("/api/search?q=survaillance").get_json()
    exact = client.get("/api/search?q=survaillance&exact=1").get_json()
    assert corrected["by_words"] > 0 and corrected["corrected_query"] == "surveillance"
    # Exactly what was typed: no correction searched, so no passage by its words (meaning may still find some).
    assert exact["by_words"] == 0 and exact["corrected_query"] is None and exact["suggestion"] == "surveillance"
    assert client.get("/api/search?q=x&exact=yes").get_json()["error"]["parameter"] == "exact"


def _rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_exports_honour_their_limit_best_first(client: FlaskClient) -> None:
    every = _rows(client.get("/api/export.csv?q=surveillance"))
    five = client.get("/api/export.csv?q=surveillance&limit=5")
    assert len(every) > 5 and [r["id"] for r in _rows(five)] == [r["id"] for r in every[:5]]
    assert five.headers["X-Total-Count"] == "5"
    ranked = [r["id"] for r in client.get("/api/search?q=surveillance&limit=5").get_json()["results"]]
    assert [r["id"] for r in _rows(five)] == ranked
    lines = client.get("/api/export.ndjson?limit=3").get_data(as_text=True).splitlines()
    assert len(lines) == 3 and all(json.loads(line)["id"] for line in lines)
    assert client.get("/api/export.csv?limit=0").get_json()["error"]["parameter"] == "limit"


def test_the_excel_dialect_is_what_a_spreadsheet_opens(client: FlaskClient) -> None:
    raw = client.get("/api/export.csv?q=surveillance&limit=4&dialect=excel").get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    plain = _rows(client.get("/api/export.csv?q=surveillance&limit=4"))
    assert rows == plain and "\r\n" in text
    assert client.get("/api/export.csv?dialect=tsv").get_json()["error"]["parameter"] == "dialect"


def test_api_links_are_absolute(client: FlaskClient) -> None:
    body = client.get("/api/", base_url="http://kb.example").get_json()
    assert body["openapi"] == "http://kb.example/api/openapi.json"
    assert all(url.startswith("http://kb.example/api/") for url in body["endpoints"].values())
    result = client.get(SEARCH, base_url="http://kb.example").get_json()["results"][0]
    assert result["url"].startswith("http://kb.example/documents/")


def _fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()  # case-insensitive
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_a_real_server_compresses_and_revalidates(live_server: "LiveServer") -> None:
    status, headers, body = _fetch(live_server.url + SEARCH, {"Accept-Encoding": "br"})
    assert status == 200 and headers["Content-Encoding"] == "br"
    assert json.loads(brotli.decompress(body))["total"] > 0
    status, again, body = _fetch(live_server.url + SEARCH, {"Accept-Encoding": "br", "If-None-Match": headers["ETag"]})
    assert status == 304 and body == b"" and again["ETag"] == headers["ETag"]


def test_access_log_names_routes_not_what_was_read(live_server: "LiveServer", corpus_index: Path, tmp_path: Path) -> None:
    for path in (f"/documents/{DOC}", f"/api/passages/{PASSAGE}", "/recherche?q=secret-de-source"):
        assert _fetch(live_server.url + path)[0] == 200
    log = live_server.log()
    assert re.search(r"GET /documents/<doc_id> 200 [0-9.]+ ms", log)
    assert re.search(r"GET /api/passages/<path:passage_id> 200 ", log) and "GET /recherche 200 " in log
    assert DOC not in log.replace(str(corpus_index), "") and "secret-de-source" not in log
    from tests.conftest_web import LiveServer

    operator = LiveServer(corpus_index, tmp_path / "server.log", ("--log-paths", "--workers", "1"))
    try:
        operator.wait_ready()
        _fetch(operator.url + f"/documents/{DOC}?q=secret-de-source")
        assert f"GET /documents/{DOC} 200 " in operator.log() and "secret-de-source" not in operator.log()
    finally:
        operator.stop()
