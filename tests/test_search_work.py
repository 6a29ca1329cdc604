"""What one search costs in repeated work, counted on the real components: the build is looked up
(KnowledgeBase.snapshot(): a readlink, a directory scan, a stat of every file) once, and the query
compiled once, whatever the stages need of them (they share one SearchContext)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

import kb.search.pipeline as pipeline
from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase

QUERIES = ["reconnaissance faciale", '"reconnaissance faciale"', "surveillance -migration", "pétition OR tract", "surveil*",
           "que peut faire un juriste pour la pause ?", "GAFAM", "IA", "ornithorynque"]
CORRECTED = ["survaillance", "manifestaton pause ia"]


@pytest.fixture
def counted(hashed_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    snapshot, compile_query = hashed_kb.snapshot, pipeline.compile_query

    def counted_snapshot() -> Any:
        counts["snapshot"] += 1
        return snapshot()

    def counted_compile(*args: Any, **kwargs: Any) -> Any:
        counts["compile"] += 1
        return compile_query(*args, **kwargs)

    for query in QUERIES + CORRECTED:  # warm: the build opened, the query rows embedded
        search(hashed_kb, SearchRequest(query))
    monkeypatch.setattr(hashed_kb, "snapshot", counted_snapshot)
    monkeypatch.setattr(pipeline, "compile_query", counted_compile)
    yield counts


@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
@pytest.mark.parametrize("query", QUERIES + CORRECTED)
def test_one_search_looks_the_build_up_once_and_compiles_once(hashed_kb: KnowledgeBase, counted: Counter[str],
                                                              query: str, mode: str) -> None:
    counted.clear()
    response = search(hashed_kb, SearchRequest(query, mode=mode, categories=("surveillance",) if query == "IA" else ()))
    assert response.mode == mode or query == "ornithorynque"
    # A corrected query searched by meaning needs the correction's row, embedded outside the
    # index lock (it takes up to seconds): the lock is released and the search run again.
    rounds = 2 if mode == "hybrid" and query in CORRECTED else 1
    assert counted == {"snapshot": rounds, "compile": rounds}


def test_an_export_looks_the_build_up_once(hashed_kb: KnowledgeBase, counted: Counter[str]) -> None:
    counted.clear()
    assert pipeline.matching_passages(hashed_kb, SearchRequest("reconnaissance faciale", documents=("amnesty-ia-droits-humains",)))
    assert counted == {"snapshot": 1, "compile": 1}
