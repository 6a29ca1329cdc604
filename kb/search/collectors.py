"""Collectors: what one walk of the query feeds (every match's score, what each tagged clause
matched), then what one pass over the final candidates feeds (the total, the disjunctive facets,
the page's top k), in the manner of Whoosh's collectors and tantivy's Collector."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from kb.storage.backend import Scores, TagKey

MAX_DOCUMENT_FACETS = 50


@dataclass
class Matches:
    """The walk's collector: each match's score, and the matches of each tagged clause."""

    scores: Scores = field(default_factory=dict)
    tagged: dict[TagKey, set[int]] = field(default_factory=dict)

    def collect(self, scores: Mapping[int, float], tagged: Mapping[TagKey, set[int]]) -> None:
        self.scores.update(scores)
        for key, found in tagged.items():
            self.tagged.setdefault(key, set()).update(found)

    def of(self, key: TagKey) -> set[int]:
        """What the clause tagged `key` matched (nothing if it matched nowhere)."""
        return self.tagged.get(key, set())


@dataclass(frozen=True)
class Filters:
    """The passages of the request's categories and of its documents (None: no such filter)."""

    in_categories: frozenset[int] | None = None
    in_documents: frozenset[int] | None = None

    @property
    def active(self) -> bool:
        return self.in_categories is not None or self.in_documents is not None

    def any_allowed(self, docnums: set[int] | Mapping[int, float]) -> bool:
        """Whether one of `docnums` passes both filters (no copy of the match set when none is set)."""
        if not self.active:
            return bool(docnums)
        return any(all(within is None or d in within for within in (self.in_categories, self.in_documents)) for d in docnums)

    def allowed(self, docnums: set[int] | Mapping[int, float]) -> set[int]:
        """Those of `docnums` that pass both filters."""
        out = set(docnums)
        for within in (self.in_categories, self.in_documents):
            if within is not None:
                out &= within
        return out


@dataclass
class CandidateSet:
    """The final candidates (document number → score) under the request's filters: what the
    page's collectors read."""

    scores: Scores
    filters: Filters

    @cached_property
    def allowed(self) -> set[int]:
        return self.filters.allowed(self.scores)


def total(candidates: CandidateSet) -> int:
    """How many candidates pass the filters."""
    return len(candidates.allowed)


def facet_counts(candidates: CandidateSet, categories: Sequence[str], documents: Sequence[str]) -> dict[str, dict[str, int]]:
    """Candidates per category (counted under the document filter only) and per document (under
    the category filter only), so a reader sees what choosing another value would give.
    `categories`, `documents`: each document number's category_set and doc_id columns."""
    scores, filters = candidates.scores, candidates.filters
    by_doc = scores.keys() if filters.in_documents is None else filters.in_documents & scores.keys()
    by_cat = scores.keys() if filters.in_categories is None else filters.in_categories & scores.keys()
    category_counts: Counter[str] = Counter()
    for value, count in Counter(categories[n] for n in by_doc).items():
        if value:
            for slug in value.split(","):
                category_counts[slug] += count
    document_counts = Counter(documents[n] for n in by_cat)
    return {"category": _most_common(category_counts), "document": _most_common(document_counts, MAX_DOCUMENT_FACETS)}


def _most_common(counts: Counter[str], limit: int | None = None) -> dict[str, int]:
    """Values by count, ties by name: the same order whatever order the candidates came in."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit])


def top_ranked(scores: Scores, k: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
    """The best `k` (docnum, score), highest score first, ties by document order."""
    candidates = scores.keys() if allowed is None else (d for d in allowed if d in scores)
    best = heapq.nsmallest(k, candidates, key=lambda d: (-scores[d], d))
    return [(d, scores[d]) for d in best]


def top_k(candidates: CandidateSet, k: int) -> list[tuple[int, float]]:
    """The page window's best candidates among those the filters allow."""
    return top_ranked(candidates.scores, k, candidates.allowed if candidates.filters.active else None)
