"""The page stage: the requested slice of the ranked matches (or of a filter, in reading order),
with the number of matches and the facet counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from whoosh.query import Query
from whoosh.searching import Searcher

from kb.search.facets import facet_counts, filtered_docnums
from kb.search.match import TermReads, matching_docnums
from kb.search.request import SearchRequest
from kb.search.score import Scores, top_ranked


@dataclass(frozen=True)
class Page:
    """(document number, stored fields, score) of the requested page, the number of matches,
    the facet counts."""

    hits: list[tuple[int, dict[str, Any], float]]
    total: int
    facets: dict[str, dict[str, int]]


def browse_page(searcher: Searcher, query: Query, request: SearchRequest, reads: TermReads | None = None) -> Page:
    """Every passage (of the filters) in reading order, nothing scored."""
    window = request.offset + request.limit
    matched = matching_docnums(searcher, query, reads)
    facets, allowed = facet_counts(searcher, matched, request.categories, request.documents, reads)
    if not allowed:
        return Page([], 0, facets)
    results = searcher.search(query, limit=window, filter=allowed, sortedby=["doc_id", "position"])
    return Page([(hit.docnum, hit.fields(), 0.0) for hit in results[request.offset : window]], len(allowed), facets)


def ranked_page(searcher: Searcher, scores: Scores, request: SearchRequest, reads: TermReads | None = None) -> Page:
    """The page of the best scores. Every match is scored (an exact top k; see
    kb/search/score.py), so the scores' keys are also the match set totals and facets count."""
    window = request.offset + request.limit
    facets, allowed = facet_counts(searcher, set(scores), request.categories, request.documents, reads)
    filtering = bool(request.categories or request.documents)
    ranked = top_ranked(scores, window, allowed if filtering else None)[request.offset :]
    return Page([(d, searcher.stored_fields(d), score) for d, score in ranked], len(allowed), facets)


def matched_total(searcher: Searcher, scores: Scores, request: SearchRequest, reads: TermReads | None = None) -> int:
    """How many matches pass the request's filters, without counting facets or reading a passage."""
    if not (request.categories or request.documents):
        return len(scores)
    return len(filtered_docnums(searcher, set(scores), request.categories, request.documents, reads))
