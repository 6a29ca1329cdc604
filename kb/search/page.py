"""The page stage: one pass over the final candidates feeds the collectors of the total, the
facet counts and the requested slice (the best scores, or the filters' passages in reading order)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.search.collectors import CandidateSet, facet_counts, top_k, total
from kb.search.context import SearchContext
from kb.search.stages import Ranking
from kb.storage.backend import IndexView


@dataclass(frozen=True)
class Page:
    """(document number, stored fields, score) of the requested page, the number of candidates
    the filters allow, the facet counts."""

    hits: list[tuple[int, dict[str, Any], float]]
    total: int
    facets: dict[str, dict[str, int]]
    by_meaning: int = 0  # of the total, found by meaning alone


def collect_page(ctx: SearchContext, ranking: Ranking) -> Page:
    """The requested page of `ranking`'s candidates, with their total and facets."""
    view, request = ctx.view, ctx.request
    candidates = CandidateSet(ranking.scores, ctx.filters)
    facets = facet_counts(candidates, view.column("category_set"), view.column("doc_id"))
    window = request.offset + request.limit
    if ranking.browsing:
        ranked = [(d, 0.0) for d in reading_order(view, candidates.allowed)[request.offset : window]]
    else:
        ranked = top_k(candidates, window)[request.offset :]
    by_meaning = 0 if ranking.browsing else len(candidates.allowed - ranking.matches.scores.keys())
    return Page([(d, view.stored(d), score) for d, score in ranked], total(candidates), facets, by_meaning)


def reading_order(view: IndexView, docnums: set[int]) -> list[int]:
    """Passages by document, then by their position in it."""
    documents, positions = view.column("doc_id"), view.column("position")
    return sorted(docnums, key=lambda d: (documents[d], positions[d], d))
