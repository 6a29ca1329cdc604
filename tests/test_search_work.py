"""What one search costs in repeated work, counted on the real components: the build is looked up
(KnowledgeBase.snapshot(): a readlink, a directory scan, a stat of every file) once, the query
compiled once, and each term's postings read once per segment, whatever the stages need of them
(scores, provenance, exclusions, filters, facets: they share one SearchContext and its TermReads)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from whoosh.reading import SegmentReader

import kb.search.pipeline as pipeline
import kb.search.stages as stages
from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase

QUERIES = ["reconnaissance faciale", '"reconnaissance faciale"', "surveillance -migration", "pétition OR tract", "surveil*",
           "que peut faire un juriste pour la pause ?", "GAFAM", "IA", "ornithorynque"]
CORRECTED = ["survaillance", "manifestaton pause ia"]


@pytest.fixture
def counted(hashed_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    snapshot, compile_query, postings = hashed_kb.snapshot, stages.compile_query, SegmentReader.postings

    def counted_snapshot() -> Any:
        counts["snapshot"] += 1
        return snapshot()

    def counted_compile(*args: Any, **kwargs: Any) -> Any:
        counts["compile"] += 1
        return compile_query(*args, **kwargs)

    for query in QUERIES + CORRECTED:  # warm: the build opened, the query rows embedded
        search(hashed_kb, SearchRequest(query))
    monkeypatch.setattr(hashed_kb, "snapshot", counted_snapshot)
    def counted_postings(reader: Any, fieldname: str, text: Any, *args: Any, **kwargs: Any) -> Any:
        counts[f"postings {fieldname}:{text!r}@{id(reader)}"] += 1
        return postings(reader, fieldname, text, *args, **kwargs)

    monkeypatch.setattr(stages, "compile_query", counted_compile)
    monkeypatch.setattr(SegmentReader, "postings", counted_postings)
    yield counts


def _work(counts: Counter[str]) -> dict[str, int]:
    """snapshot() and compile calls, and the terms whose postings were read more than once."""
    reread = {key: n for key, n in counts.items() if key.startswith("postings ") and n > 1}
    read = sum(1 for key in counts if key.startswith("postings "))
    return {"snapshot": counts["snapshot"], "compile": counts["compile"], "terms read": bool(read), **reread}


@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
@pytest.mark.parametrize("query", QUERIES + CORRECTED)
def test_one_search_looks_the_build_up_once_compiles_once_and_reads_each_term_once(hashed_kb: KnowledgeBase, counted: Counter[str],
                                                              query: str, mode: str) -> None:
    counted.clear()
    response = search(hashed_kb, SearchRequest(query, mode=mode, categories=("surveillance",) if query == "IA" else ()))
    assert response.mode == mode or query == "ornithorynque"
    # A corrected query searched by meaning needs the correction's row, embedded outside the
    # index lock (it takes up to seconds): the lock is released and the search run again.
    rounds = 2 if mode == "hybrid" and query in CORRECTED else 1
    assert _work(counted) == {"snapshot": rounds, "compile": rounds, "terms read": query != "ornithorynque"}  # a word no passage holds: no postings


def test_an_export_does_the_same_work_once(hashed_kb: KnowledgeBase, counted: Counter[str]) -> None:
    counted.clear()
    assert pipeline.matching_passages(hashed_kb, SearchRequest("reconnaissance faciale", documents=("amnesty-ia-droits-humains",)))
    assert _work(counted) == {"snapshot": 1, "compile": 1, "terms read": True}
