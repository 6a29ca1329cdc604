"""Exhaustive BM25F scoring by posting-list accumulation, with Whoosh's own scores, in one walk
of the query per segment that also reports what each Tagged clause matched.

An exact top k needs every match scored. Whoosh does that by stepping a tree of matcher objects
one passage at a time, about 70 µs per match in Python, so a query of frequent words (thousands of
matches) takes hundreds of milliseconds. Reading each term's postings a block at a time and adding
its BM25F contributions into a dict computes the same scores (same scorer objects, same formula,
same boosts; sums may differ in the last bit by addition order) for a small fraction of that.
Phrases are scored by Whoosh's matcher."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from whoosh.scoring import BM25FScorer, WeightLengthScorer

from kb.storage import query as q
from kb.storage.backend import Collector, Scores, TagKey
from kb.storage.derived import derived
from kb.storage.whoosh_adapter.matching import matching_docnums
from kb.storage.whoosh_adapter.postings import TermReads, deleted_in, term_bytes
from kb.storage.whoosh_adapter.translate import to_whoosh


class _Walk:
    """One segment's walk: its searcher, the scoring context, the request's postings, and what
    the Tagged clauses matched (segment document numbers)."""

    def __init__(self, leaf: Any, context: Any, reads: TermReads) -> None:
        self.leaf, self.context, self.reads = leaf, context, reads
        self.tagged: dict[TagKey, set[int]] = {}

    def score(self, node: q.Query, within: set[int] | None = None) -> Scores:
        """Scores of `node` on this segment; with `within`, only for those passages (a bonus)."""
        if isinstance(node, q.Nothing):
            return {}
        if isinstance(node, q.Term):
            return self._term(node, within)
        if isinstance(node, q.Tagged):
            out = self.score(node.child, within)
            if within is None:
                self.tagged.setdefault((node.origin, node.group), set()).update(out)
            return out
        if isinstance(node, q.Constant):  # as Whoosh's ListMatcher: the constant, or 1.0 for a zero
            constant = node.score or 1.0
            return {d: constant for d in matching_docnums(self.leaf, node.child, self.reads) if within is None or d in within}
        if isinstance(node, q.WithBonus):
            out = self.score(node.main, within)
            for docnum, score in self.score(node.bonus, set(out)).items():
                out[docnum] += score
            return out
        if isinstance(node, q.Without):
            out = self.score(node.main, within)
            for docnum in self._excluded(node.excluded) & set(out):
                del out[docnum]
            return out
        if isinstance(node, (q.AnyOf, q.BestOf, q.AllOf)):
            return self._compound(node, within)
        return self._stepped(node, within)

    def _compound(self, node: q.AnyOf | q.BestOf | q.AllOf, within: set[int] | None) -> Scores:
        parts = [self.score(sub, within) for sub in node.clauses]
        out: Scores = {}
        if isinstance(node, q.AnyOf):  # a plain sum (no coordination)
            for part in parts:
                for docnum, score in part.items():
                    out[docnum] = out.get(docnum, 0.0) + score
        elif isinstance(node, q.BestOf):
            for part in parts:
                for docnum, score in part.items():
                    if score > out.get(docnum, float("-inf")):
                        out[docnum] = score
        elif parts:
            common = set.intersection(*(set(p) for p in parts))
            out = {docnum: sum(p[docnum] for p in parts) for docnum in common}
        if node.boost != 1.0:
            out = {docnum: score * node.boost for docnum, score in out.items()}
        return out

    def _excluded(self, node: q.Query) -> set[int]:
        found = matching_docnums(self.leaf, node, self.reads)
        if isinstance(node, q.Tagged):
            self.tagged.setdefault((node.origin, node.group), set()).update(found)
        return found

    def _term(self, node: q.Term, within: set[int] | None) -> Scores:
        reader = self.leaf.reader()
        text = term_bytes(self.leaf.schema, node.field, node.text)
        if text is None or (node.field, text) not in reader:
            return {}
        scorer = self.context.weighting.scorer(self.leaf, node.field, text)
        read = self.reads.of(reader, node.field, text) if isinstance(scorer, WeightLengthScorer) else None
        if read is None:
            return self._stepped(node, within)
        ids, weights = read
        if within is None and type(scorer) is BM25FScorer:
            return _bm25f(scorer, ids, weights, _field_lengths(reader, node.field), node.boost)
        lengths = _field_lengths(reader, node.field)
        bm25, boost = scorer._score, node.boost
        out: Scores = {}
        for docnum, weight in zip(ids, weights):
            if within is None or docnum in within:
                # As Whoosh: the scorer's score, then the Term's boost (a WrappingMatcher) if not 1.
                out[docnum] = bm25(weight, lengths[docnum]) * boost if boost != 1.0 else bm25(weight, lengths[docnum])
        return out

    def _stepped(self, node: q.Query, within: set[int] | None) -> Scores:
        """Whoosh's own matcher, stepped passage by passage (what it matched is kept for the
        match sets of the same request)."""
        matcher = to_whoosh(node).matcher(self.leaf, self.context)
        out: Scores = {}
        stepped: list[int] = []
        while matcher.is_active():
            docnum = matcher.id()
            stepped.append(docnum)
            if within is None or docnum in within:
                out[docnum] = matcher.score()
            matcher.next()
        self.reads.remember(self.leaf.reader(), node, stepped)
        return out


def evaluate(searcher: Any, node: q.Query, reads: TermReads, collectors: Sequence[Collector]) -> None:
    """Walk `node` once per segment; feed each collector that segment's scores and tag sets
    (index document numbers, deleted passages left out)."""
    context = searcher.context()
    for leaf, offset in searcher.leaf_searchers():
        walk = _Walk(leaf, context, reads)
        scores = walk.score(node)
        deleted = deleted_in(leaf.reader())
        kept = {docnum + offset: score for docnum, score in scores.items() if docnum not in deleted}
        tagged = {key: {d + offset for d in found if d not in deleted} for key, found in walk.tagged.items()}
        for collector in collectors:
            collector.collect(kept, tagged)


def _bm25f(scorer: BM25FScorer, ids: list[int], weights: list[float], lengths: np.ndarray, boost: float) -> Scores:
    """Whoosh's bm25() over a whole posting list at once: the same operations in the same order
    on float64 (IEEE, so the same values as Whoosh's, one passage at a time), then the boost."""
    tf = np.asarray(weights, dtype=np.float64)
    fl = lengths[np.asarray(ids, dtype=np.int64)]
    k1, b = scorer.K1, scorer.B
    scores = scorer.idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / scorer.avgfl)))
    if boost != 1.0:
        scores = scores * boost
    return dict(zip(ids, scores.tolist()))


def _field_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Every document's length in `fieldname` as BM25F sees it (Whoosh's default of 1 if absent),
    read once per build and segment reader (a column read per posting would cost more than the score)."""
    def read(segment: Any) -> np.ndarray:
        length = segment.doc_field_length
        return np.array([length(docnum, fieldname, 1) or 1 for docnum in range(segment.doc_count_all())], dtype=np.float64)

    return derived(reader, f"field-lengths:{fieldname}", read)
