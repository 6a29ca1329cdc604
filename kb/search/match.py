"""The set of passages a query matches, from posting lists, without scoring a single one.

Where nothing needs a score (browsing a filter, the passages an exclusion removes, the category
and document filters of facets, whether a query matches at all), set algebra over posting lists
is cheaper than any scorer; ranked searches get their match set from kb/search/score.py."""

from __future__ import annotations

from typing import Any

from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, AndMaybe, AndNot, CompoundQuery, DisjunctionMax, Every, NullQuery, Or, Query, Term, WrappingQuery


Postings = tuple[list[int], list[float]]


class TermReads:
    """The postings of one request, each term's read once per segment: its document numbers
    (deleted ones included, as stored) and weights. Scoring and every match set of the request
    (provenance, exclusions, filters, facets) share them; a request's context holds one."""

    def __init__(self) -> None:
        self._read: dict[tuple[int, str, bytes], Postings | None] = {}
        self._matched: dict[tuple[int, Query], list[int]] = {}  # phrases and other queries Whoosh's matcher steps

    def remember(self, leaf: Any, query: Query, docnums: list[int]) -> None:
        """What Whoosh's matcher of `query` matched in segment `leaf`, while it scored them."""
        self._matched[(id(leaf), query)] = docnums

    def matched(self, leaf: Any, query: Query) -> list[int]:
        """What `query` matches in segment `leaf` (a searcher), stepped once per request."""
        key = (id(leaf.reader()), query)
        if key not in self._matched:
            self._matched[key] = list(leaf.docs_for_query(query))
        return self._matched[key]

    def of(self, leaf: Any, fieldname: str, text: bytes) -> Postings | None:
        """The postings of (fieldname, text) in segment `leaf` (a reader), None when its matcher
        does not read by blocks (then the caller steps Whoosh's own matcher)."""
        key = (id(leaf), fieldname, text)
        if key not in self._read:
            self._read[key] = _read_postings(leaf.postings(fieldname, text))
        return self._read[key]


def _read_postings(matcher: Any) -> Postings | None:
    """(document numbers, weights) of a segment's leaf matcher, a block at a time."""
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # deletions are dropped by the callers, once
    if not hasattr(matcher, "_read_weights"):
        return None
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        start = matcher._i
        ids += matcher._ids[start:]
        weights += matcher._weights[start:]
        matcher._next_block()
    return ids, weights


def term_bytes(schema: Any, query: Term) -> bytes | None:
    """The indexed form of a Term's text, None when the field or the text cannot be indexed."""
    if query.fieldname not in schema:
        return None
    try:
        return schema[query.fieldname].to_bytes(query.text)  # type: ignore[no-any-return]
    except ValueError:
        return None


def matching_docnums(searcher: Any, query: Query, reads: TermReads | None = None) -> set[int]:
    """Document numbers `query` matches (the same set Whoosh's own matcher would produce);
    with `reads`, each term's postings are those the request already read."""
    reader = searcher.reader()
    if query is NullQuery:
        return set()
    if isinstance(query, Term):
        return _term_docnums(searcher, query, reads)
    if isinstance(query, (Or, DisjunctionMax)):
        out: set[int] = set()
        for sub in query.subqueries:
            out |= matching_docnums(searcher, sub, reads)
        return out
    if isinstance(query, And):
        parts = sorted((matching_docnums(searcher, sub, reads) for sub in query.subqueries), key=len)
        return set.intersection(*parts) if parts else set()
    if isinstance(query, AndMaybe):
        return matching_docnums(searcher, query.a, reads)
    if isinstance(query, AndNot):
        return matching_docnums(searcher, query.a, reads) - matching_docnums(searcher, query.b, reads)
    if isinstance(query, WrappingQuery):  # ConstantScoreQuery and other score-only wrappers
        return matching_docnums(searcher, query.child, reads)
    if isinstance(query, Every):
        return set(reader.all_doc_ids())
    if isinstance(query, CompoundQuery) and not query.subqueries:
        return set()
    # Phrases and anything else: Whoosh's matcher knows best.
    if reads is None:
        return set(searcher.docs_for_query(query))
    out = set()
    for leaf, offset in searcher.leaf_searchers():
        deleted = leaf.reader().deleted_docs_set if leaf.reader().has_deletions() else ()
        out.update(docnum + offset for docnum in reads.matched(leaf, query) if docnum not in deleted)
    return out


def _term_docnums(searcher: Any, query: Term, reads: TermReads | None) -> set[int]:
    reader = searcher.reader()
    if not reader.doc_frequency(query.fieldname, query.text):
        return set()
    if reads is None:
        # A segment's postings already leave out its deleted passages (Whoosh filters them).
        return set(reader.postings(query.fieldname, query.text).all_ids())
    out: set[int] = set()
    for leaf, offset in searcher.leaf_searchers():
        segment = leaf.reader()
        text = term_bytes(leaf.schema, query)
        if text is None or (query.fieldname, text) not in segment:
            continue
        read = reads.of(segment, query.fieldname, text)
        ids = read[0] if read is not None else list(segment.postings(query.fieldname, text).all_ids())
        deleted = segment.deleted_docs_set if segment.has_deletions() else ()
        out.update(docnum + offset for docnum in ids if docnum not in deleted)
    return out
