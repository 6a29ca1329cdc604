"""Exhaustive BM25F scoring by posting-list accumulation, with Whoosh's own scores.

An exact top k needs every match scored (see kb/search/page.py). Whoosh does that by stepping a tree
of matcher objects one passage at a time, about 70 µs per match in Python, so a query of frequent
words (thousands of matches) takes hundreds of milliseconds. Reading each term's postings a block
at a time and adding its BM25F contributions into a dict computes the same scores (same scorer
objects, same formula, same boosts; sums may differ in the last bit by addition order) for a
small fraction of that. Query types this module does not know are scored by Whoosh's matcher."""

from __future__ import annotations

import heapq
from typing import Any

from whoosh.query import And, AndMaybe, AndNot, ConstantScoreQuery, DisjunctionMax, NullQuery, Or, Query, Term
from whoosh.scoring import WeightLengthScorer

from kb.search.match import TermReads, matching_docnums, term_bytes
from kb.storage.derived import derived

Scores = dict[int, float]



def score_matches(searcher: Any, query: Query, reads: TermReads | None = None) -> Scores:
    """Document number → score for every passage `query` matches (deleted passages left out);
    `reads`: the request's postings, each term read once whatever clauses hold it."""
    context = searcher.context()
    reads = reads if reads is not None else TermReads()
    out: Scores = {}
    for leaf, offset in searcher.leaf_searchers():
        scores = _score(leaf, query, context, None, reads)
        deleted = leaf.reader().deleted_docs_set if leaf.reader().has_deletions() else ()
        for docnum, score in scores.items():
            if docnum not in deleted:
                out[docnum + offset] = score
    return out


def _score(leaf: Any, q: Query, context: Any, within: set[int] | None, reads: TermReads) -> Scores:
    """Scores of `q` on one segment; with `within`, only for those passages (a bonus clause)."""
    if q is NullQuery:
        return {}
    if type(q) is Term:
        return _term(leaf, q, context, within, reads)
    if type(q) is ConstantScoreQuery:  # as Whoosh's ListMatcher: the constant, or 1.0 for a zero
        constant = q.score or 1.0
        return {d: constant for d in matching_docnums(leaf, q.child, reads) if within is None or d in within}
    boost = getattr(q, "boost", 1.0)
    if type(q) is Or and not q.minmatch and q.scale is None:  # a plain sum (no coordination)
        out: Scores = {}
        for sub in q.subqueries:
            for docnum, score in _score(leaf, sub, context, within, reads).items():
                out[docnum] = out.get(docnum, 0.0) + score
    elif type(q) is DisjunctionMax and not q.tiebreak:
        out = {}
        for sub in q.subqueries:
            for docnum, score in _score(leaf, sub, context, within, reads).items():
                if score > out.get(docnum, float("-inf")):
                    out[docnum] = score
    elif type(q) is And:
        parts = [_score(leaf, sub, context, within, reads) for sub in q.subqueries]
        if not parts:
            return {}
        common = set.intersection(*(set(p) for p in parts))
        out = {docnum: sum(p[docnum] for p in parts) for docnum in common}
    elif type(q) is AndMaybe:
        out = _score(leaf, q.a, context, within, reads)
        for docnum, score in _score(leaf, q.b, context, set(out), reads).items():
            out[docnum] += score
    elif type(q) is AndNot:
        out = _score(leaf, q.a, context, within, reads)
        for docnum in matching_docnums(leaf, q.b, reads) & set(out):
            del out[docnum]
    else:
        return _matcher_scores(leaf, q, context, within, reads)
    if boost != 1.0:
        out = {docnum: score * boost for docnum, score in out.items()}
    return out


def _term(leaf: Any, q: Term, context: Any, within: set[int] | None, reads: TermReads) -> Scores:
    reader = leaf.reader()
    text = term_bytes(leaf.schema, q)
    if text is None or (q.fieldname, text) not in reader:
        return {}
    scorer = context.weighting.scorer(leaf, q.fieldname, text)
    read = reads.of(reader, q.fieldname, text) if isinstance(scorer, WeightLengthScorer) else None
    if read is None:
        return _matcher_scores(leaf, q, context, within)
    lengths = _field_lengths(reader, q.fieldname)
    bm25 = scorer._score
    boost = q.boost
    out: Scores = {}
    for docnum, weight in zip(*read):
        if within is None or docnum in within:
            # As Whoosh: the scorer's score, then the Term's boost (a WrappingMatcher) if not 1.
            out[docnum] = bm25(weight, lengths[docnum]) * boost if boost != 1.0 else bm25(weight, lengths[docnum])
    return out


def _field_lengths(reader: Any, fieldname: str) -> list[int]:
    """Every document's length in `fieldname` as BM25F sees it (Whoosh's default of 1 if absent),
    read once per build and segment reader (a column read per posting would cost more than the score)."""
    def read(segment: Any) -> list[int]:
        length = segment.doc_field_length
        return [length(docnum, fieldname, 1) or 1 for docnum in range(segment.doc_count_all())]

    return derived(reader, f"field-lengths:{fieldname}", read)


def _matcher_scores(leaf: Any, q: Query, context: Any, within: set[int] | None, reads: TermReads | None = None) -> Scores:
    """Whoosh's own matcher, stepped passage by passage: phrases, prefixes, anything else (what it
    matched is kept in `reads`, for the match sets of the same request)."""
    matcher = q.matcher(leaf, context)
    out: Scores = {}
    stepped: list[int] = []
    while matcher.is_active():
        docnum = matcher.id()
        stepped.append(docnum)
        if within is None or docnum in within:
            out[docnum] = matcher.score()
        matcher.next()
    if reads is not None:
        reads.remember(leaf.reader(), q, stepped)
    return out


def top_ranked(scores: Scores, k: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
    """The best `k` (docnum, score), highest score first, ties by document order (as Whoosh)."""
    candidates = scores.keys() if allowed is None else (d for d in allowed if d in scores)
    best = heapq.nsmallest(k, candidates, key=lambda d: (-scores[d], d))
    return [(d, scores[d]) for d in best]
