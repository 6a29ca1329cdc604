"""The stages of search() seen through what a reader gets: how each result was found (words,
thesaurus, correction, meaning), totals under filters, browsing pages, and exports that hold
exactly what the pages show. Hybrid cases run on the hashing embedder's index (hashed_kb), whose
rankings are the same on every CPU; each test was seen failing with its bug injected."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from flask.testing import FlaskClient

from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase
from webui import create_app

from .hashing_embedder import HashingEmbedder

CALL = "passez-a-l-action/voici-ce-que-vous-pouvez-faire-7"  # « Manifestez : rejoignez une des manifestations… »
GEANTS = "amnesty-ia-droits-humains/3-propagation-algorithmique-de-contenus-toxiques-haineux-et-1"  # « Les géants du numérique… »
TECH = "amnesty-ia-droits-humains/3-propagation-algorithmique-de-contenus-toxiques-haineux-et-5"  # « …entreprises technologiques… »: the thesaurus's words only


def _found_by(kb: KnowledgeBase, query: str) -> dict[str, tuple[str, ...]]:
    return {r.id: r.found_by for r in search(kb, SearchRequest(query, limit=100)).results}


def test_a_passage_found_by_a_thesaurus_expression_says_so(hashed_kb: KnowledgeBase) -> None:
    # « GAFAM » is in no passage: everything its words find, the thesaurus found.
    by_words = {r.id for r in search(hashed_kb, SearchRequest("GAFAM", limit=100, mode="lexical")).results}
    found = _found_by(hashed_kb, "GAFAM")
    assert len(by_words) >= 5
    assert {pid for pid, how in found.items() if "thesaurus" in how} == by_words
    assert not any("words" in how for how in found.values())
    # Beside the query's own words, the thesaurus's are told apart.
    mixed = _found_by(hashed_kb, "géants du numérique")
    assert mixed[GEANTS][0] == "words" and mixed[TECH][0] == "thesaurus"


def test_a_passage_found_through_a_spelling_correction_says_so(hashed_kb: KnowledgeBase) -> None:
    # « pause ia » match as typed; « manifestaton » only through its correction « manifestations ».
    found = _found_by(hashed_kb, "manifestaton pause ia")
    assert found[CALL][0] == "correction"
    assert sum(how[:1] == ("words",) for how in found.values()) > 20
    assert not any("thesaurus" in how for pid, how in found.items() if pid == CALL)
    # A query found only through its correction labels every lexical match so.
    corrected = search(hashed_kb, SearchRequest("survaillance", limit=100))
    assert corrected.corrected_query == "surveillance"
    assert {how[0] for how in (r.found_by for r in corrected.results) if how != ("meaning",)} == {"correction"}


def test_a_correction_is_announced_only_when_it_finds_something_under_the_filters(kb: KnowledgeBase) -> None:
    # « surveillance » is nowhere in the charter: the corrected query finds nothing there either,
    # so nothing is shown « for surveillance »; unfiltered, the correction is searched and said.
    filtered = search(kb, SearchRequest("survaillance", documents=("charte-des-valeurs",), mode="lexical"))
    assert filtered.total == 0 and filtered.corrected_query is None and filtered.suggestion == "surveillance"
    assert search(kb, SearchRequest("survaillance", mode="lexical")).corrected_query == "surveillance"


def test_browsing_a_filter_pages_through_it(kb: KnowledgeBase) -> None:
    whole = [r.id for r in search(kb, SearchRequest("", categories=("surveillance",), limit=100)).results]
    assert len(whole) > 6
    second = search(kb, SearchRequest("", categories=("surveillance",), limit=3, offset=3))
    assert [r.id for r in second.results] == whole[3:6] and second.total == len(whole)


def _every_page(kb: KnowledgeBase, query: str, **filters: tuple[str, ...]) -> list[str]:
    """The ids search() shows, page after page, to the last."""
    ids: list[str] = []
    while True:
        page = search(kb, SearchRequest(query, limit=100, offset=len(ids), **filters))
        ids += [r.id for r in page.results]
        if not page.results or len(ids) >= page.total:
            return ids


@pytest.fixture(scope="module")
def hashed_client(hashed_index) -> FlaskClient:  # type: ignore[no-untyped-def]
    return create_app({"TESTING": True, "KB_INDEX": str(hashed_index), "QUERY_EMBEDDER": HashingEmbedder()}).test_client()


@pytest.mark.parametrize(("query", "filters"), [
    ("survaillance", {}), ("manifestaton pause ia", {}), ("reconnaissance faciale", {}),
    ("que peut faire un juriste pour la pause ?", {}), ("ia", {"categories": ("surveillance", "armes")}),
    ("surveillance -migration", {}), ('"reconnaissance faciale"', {}), ("", {"documents": ("charte-des-valeurs",)}),
])
def test_an_export_holds_what_the_pages_show_in_their_order(hashed_client: FlaskClient, hashed_kb: KnowledgeBase,
                                                           query: str, filters: dict[str, tuple[str, ...]]) -> None:
    shown = _every_page(hashed_kb, query, **filters)
    args = {"q": query, "category": list(filters.get("categories", ())), "document": list(filters.get("documents", ()))}
    rows = list(csv.DictReader(io.StringIO(hashed_client.get("/api/export.csv", query_string=args).get_data(as_text=True))))
    assert shown and [r["id"] for r in rows] == shown
    lines = hashed_client.get("/api/export.ndjson", query_string={**args, "limit": 5}).get_data(as_text=True).splitlines()
    assert [json.loads(line)["id"] for line in lines] == shown[:5]


def test_the_results_page_and_the_export_describe_the_same_passages(hashed_client: FlaskClient, hashed_kb: KnowledgeBase) -> None:
    page = hashed_client.get("/recherche?q=survaillance").get_data(as_text=True)
    total = search(hashed_kb, SearchRequest("survaillance")).total
    shown = re.search(r'id="total">\s*<strong>([\d\u202f ]+)</strong>', page)
    assert total > 10 and shown and int(re.sub(r"\D", "", shown.group(1))) == total
    export = hashed_client.get("/api/export.csv?q=survaillance")
    assert export.headers["X-Total-Count"] == str(total)
    many = hashed_client.get("/api/export.ndjson?q=manifestaton+pause+ia")
    assert int(many.headers["X-Total-Count"]) == search(hashed_kb, SearchRequest("manifestaton pause ia")).total
