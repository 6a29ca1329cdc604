"""One count, one set (issue 28, item 6): for a search, /api/search's total, its pages, its split
into passages that hold the words and passages there by meaning alone, the CSV and NDJSON exports
(read back with the csv and json modules), the facets, the results page's total line, its export links and
`kb search` all describe the same passages in the same order. Run on the real corpus index with the
real embedder (the `client` and `kb` fixtures), where passages are found by meaning alone."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from flask.testing import FlaskClient

from kbcli.search import search_cmd

pytest_plugins = ["tests.conftest_web"]

DOC = "amnesty-ia-droits-humains"
PAGE = 7  # pages of 7: the last one is partial for most totals
CASES = [
    {"q": "reconnaissance faciale"},
    {"q": "reconnaissance faciale", "mode": "lexical"},
    {"q": "survaillance"},  # found through its correction « surveillance »
    {"q": "survaillance", "exact": "1"},  # as typed: by meaning alone
    {"q": "juriste"},  # a word the corpus lacks: by meaning alone
    {"q": "juriste", "mode": "hybrid", "exact": "1"},
    {"q": "je peux faire quoi"},  # words and meaning
    {"q": "je peux faire quoi", "mode": "lexical", "exact": "1"},
    {"q": "je peux faire quoi", "category": ["action-citoyenne"]},
    {"q": "que faire concrètement ?", "category": ["action-citoyenne", "regulation"]},
    {"q": "droits", "document": [DOC]},
    {"q": "ia", "category": ["surveillance"], "mode": "lexical"},
    {"category": ["surveillance"]},
]


def _label(case: dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in case.items())


def _search_pages(client: FlaskClient, args: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[list[str]]]:
    """The first page's answer, then every id /api/search shows page after page, with how each was found."""
    first = client.get("/api/search", query_string={**args, "limit": PAGE}).get_json()
    ids, found_by = [], []
    for offset in range(0, first["total"], PAGE):
        page = client.get("/api/search", query_string={**args, "limit": PAGE, "offset": offset}).get_json()
        assert page["total"] == first["total"] and page["by_meaning"] == first["by_meaning"]
        ids += [r["id"] for r in page["results"]]
        found_by += [r["found_by"] for r in page["results"]]
    return first, ids, found_by


def _csv_rows(client: FlaskClient, args: dict[str, Any]) -> list[dict[str, str]]:
    response = client.get("/api/export.csv", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert response.headers["X-Total-Count"] == str(len(rows))
    return rows


def _csv_ids(client: FlaskClient, args: dict[str, Any]) -> list[str]:
    return [row["id"] for row in _csv_rows(client, args)]


def _ndjson_ids(client: FlaskClient, args: dict[str, Any]) -> list[str]:
    response = client.get("/api/export.ndjson", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [json.loads(line)["id"] for line in response.get_data(as_text=True).splitlines()]


@pytest.mark.parametrize("args", CASES, ids=_label)
def test_the_total_the_pages_and_the_exports_are_one_set_in_one_order(client: FlaskClient, args: dict[str, Any]) -> None:
    answer, shown, found_by = _search_pages(client, args)
    assert answer["total"] > 0 and len(shown) == answer["total"] == len(set(shown))
    assert answer["by_words"] + answer["by_meaning"] == answer["total"]
    assert answer["by_meaning"] == sum(how == ["meaning"] for how in found_by)  # the split is the results' own provenance
    rows = _csv_rows(client, args)
    assert [row["id"] for row in rows] == shown
    assert _ndjson_ids(client, args) == shown
    # The facets count the same passages (each facet ignores its own filter: compared where there is none).
    if "document" not in args:
        assert answer["facets"]["document"] == dict(Counter(row["document_id"] for row in rows))
    if "category" not in args:
        assert answer["facets"]["category"] == dict(Counter(c for row in rows for c in row["categories"].split(" | ") if c))


def test_the_cases_cover_passages_found_by_meaning_alone(client: FlaskClient) -> None:
    """The cases above are not all words: some answers mix both, one is by meaning alone."""
    answers = [client.get("/api/search", query_string=args).get_json() for args in CASES]
    assert any(a["by_words"] and a["by_meaning"] for a in answers)
    assert any(a["total"] and not a["by_words"] for a in answers)
    assert any(a["mode"] == "lexical" for a in answers) and any(a["mode"] == "hybrid" for a in answers)


@pytest.mark.parametrize("args", [{"q": "je peux faire quoi"}, {"q": "juriste", "exact": "1"}, {"document": [DOC]}, {}], ids=_label)
def test_an_export_from_offset_k_with_limit_n_is_that_slice(client: FlaskClient, args: dict[str, Any]) -> None:
    whole = _csv_ids(client, args)
    for k, n in [(0, 1), (1, 3), (5, 10), (max(0, len(whole) - 2), 5), (len(whole), 3), (len(whole) + 4, 1)]:
        assert _csv_ids(client, {**args, "offset": k, "limit": n}) == whole[k:k + n], (k, n)
        assert _ndjson_ids(client, {**args, "offset": k, "limit": n}) == whole[k:k + n], (k, n)
    assert _ndjson_ids(client, {**args, "offset": 2}) == whole[2:]


@pytest.mark.parametrize(("query", "parameter"), [
    ("mode=semantic", "mode"), ("mode=hybrid&mode=lexical", "mode"), ("exact=2", "exact"), ("exact=", "exact"),
    ("offset=-1", "offset"), ("offset=10001", "offset"), ("offset=1.5", "offset"), ("offset=1&offset=2", "offset"),
])
def test_exports_refuse_what_the_search_refuses_in_the_same_words(client: FlaskClient, query: str, parameter: str) -> None:
    for q in ("q=droits&", ""):  # with a query, and for the whole base
        searched = client.get(f"/api/search?{q}{query}")
        assert searched.status_code == 400
        for name in ("csv", "ndjson"):
            exported = client.get(f"/api/export.{name}?{q}{query}")
            assert exported.status_code == 400 and exported.get_json() == searched.get_json()
            assert exported.get_json()["error"]["parameter"] == parameter


def test_the_pages_json_link_pasted_onto_an_export_is_the_same_search(client: FlaskClient) -> None:
    soup = BeautifulSoup(client.get("/recherche?q=je+peux+faire+quoi&exact=1&mode=hybrid&page=2").get_data(as_text=True), "html.parser")
    json_link = next(a["href"] for a in soup.select(".header-links a") if a.get_text(strip=True).startswith("JSON"))
    query_string = urlsplit(json_link).query
    assert {"mode", "exact", "limit", "offset"} <= set(parse_qs(query_string))
    answer = client.get(f"/api/search?{query_string}").get_json()
    rows = _csv_ids(client, parse_qs(query_string))
    assert answer["offset"] == 10 and answer["by_meaning"] > 0 and len(rows) == 10
    assert [r["id"] for r in answer["results"]] == rows


def _total_line(client: FlaskClient, url: str) -> str:
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    return " ".join(soup.select_one("#total").get_text().split())  # type: ignore[union-attr]


def test_the_page_says_how_many_hold_the_words_and_how_many_are_there_by_meaning(client: FlaskClient) -> None:
    mixed = client.get("/api/search?q=je+peux+faire+quoi").get_json()
    assert mixed["by_words"] > 1 and mixed["by_meaning"] > 1 and mixed["total"] > 10
    assert _total_line(client, "/recherche?q=je+peux+faire+quoi") == (
        f"{mixed['total']} passages ({mixed['by_words']} contiennent les mots, {mixed['by_meaning']} proches par le sens), 1 à 10")
    alone = client.get("/api/search?q=juriste").get_json()
    assert alone["by_words"] == 0 and alone["total"] == alone["by_meaning"] >= 1
    n = alone["total"]
    shown = (f"{n} passages proches par le sens (aucun ne contient les mots), 1 à {n}" if n > 1 else
             "1 passage proche par le sens (il ne contient pas les mots), 1 à 1")
    assert _total_line(client, "/recherche?q=juriste") == shown
    words = client.get("/api/search?q=surveillance").get_json()
    assert words["by_meaning"] == 0 and words["total"] > 10
    assert _total_line(client, "/recherche?q=surveillance&page=2") == f"{words['total']} passages, 11 à {words['total']}"
    assert _total_line(client, "/recherche?q=zzzqqq") == "Aucun passage"


@pytest.mark.parametrize("args", [{"q": "juriste"}, {"q": "je peux faire quoi", "mode": "lexical", "exact": "1"},
                                  {"q": "survaillance", "exact": "1", "category": ["surveillance"]}], ids=_label)
def test_the_pages_export_links_are_the_set_the_page_counts(client: FlaskClient, args: dict[str, Any]) -> None:
    page = client.get("/recherche", query_string=args).get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    total = int(soup.select_one("#total strong").get_text())  # type: ignore[union-attr]
    links = [a["href"] for a in soup.select(".header-links a[href^='/api/export.']")]
    assert len(links) == 2
    for link in links:
        carried = parse_qs(urlsplit(link).query)
        assert carried.get("mode") == ([args["mode"]] if "mode" in args else None)
        assert carried.get("exact") == ([args["exact"]] if "exact" in args else None)
        response = client.get(link)
        assert response.status_code == 200 and response.headers["X-Total-Count"] == str(total)
    # Every link of the page (next page, facets) keeps the same mode and exact.
    for a in soup.select("a[href^='/recherche?q=']"):
        carried = parse_qs(urlsplit(a["href"]).query)
        assert carried.get("mode") == ([args["mode"]] if "mode" in args else None), a["href"]
        assert carried.get("exact") == ([args["exact"]] if "exact" in args else None), a["href"]


def test_kb_search_says_the_same_split(corpus_index: Path, client: FlaskClient) -> None:
    def first_line(*words: str) -> str:
        printed = CliRunner().invoke(search_cmd, [*words, "--index", str(corpus_index), "--limit", "3"])
        assert printed.exit_code == 0, printed.output
        return next(line for line in printed.output.splitlines() if "passage(s)" in line)

    mixed = client.get("/api/search?q=je+peux+faire+quoi").get_json()
    assert first_line("je", "peux", "faire", "quoi") == (
        f"{mixed['total']} passage(s) ({mixed['by_words']} contiennent les mots, {mixed['by_meaning']} proches par le sens), 1–3 :")
    alone = client.get("/api/search?q=juriste").get_json()
    which = "aucun ne contient" if alone["total"] > 1 else "il ne contient pas"
    assert first_line("juriste") == f"{alone['total']} passage(s) proche(s) par le sens ({which} les mots), 1–{min(3, alone['total'])} :"
    assert re.fullmatch(r"\d+ passage\(s\), 1–3 :", first_line("surveillance"))
    assert first_line("surveillance", "--offset", "50") == f"{client.get('/api/search?q=surveillance').get_json()['total']} passage(s), aucun à partir du 51e."
