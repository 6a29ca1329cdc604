"""The set of passages a query matches, from posting lists, without scoring a single one.

Where nothing needs a score (browsing a filter, the passages an exclusion removes, the category
and document filters of facets, whether a query matches at all), set algebra over posting lists
is cheaper than any scorer; ranked searches get their match set from kb/search/score.py."""

from __future__ import annotations

from typing import Any

from whoosh.query import And, AndMaybe, AndNot, CompoundQuery, DisjunctionMax, Every, NullQuery, Or, Query, Term, WrappingQuery


def matching_docnums(searcher: Any, query: Query) -> set[int]:
    """Document numbers `query` matches (the same set Whoosh's own matcher would produce)."""
    reader = searcher.reader()
    if query is NullQuery:
        return set()
    if isinstance(query, Term):
        if not reader.doc_frequency(query.fieldname, query.text):
            return set()
        # A segment's postings already leave out its deleted passages (Whoosh filters them).
        return set(reader.postings(query.fieldname, query.text).all_ids())
    if isinstance(query, (Or, DisjunctionMax)):
        out: set[int] = set()
        for sub in query.subqueries:
            out |= matching_docnums(searcher, sub)
        return out
    if isinstance(query, And):
        parts = sorted((matching_docnums(searcher, sub) for sub in query.subqueries), key=len)
        return set.intersection(*parts) if parts else set()
    if isinstance(query, AndMaybe):
        return matching_docnums(searcher, query.a)
    if isinstance(query, AndNot):
        return matching_docnums(searcher, query.a) - matching_docnums(searcher, query.b)
    if isinstance(query, WrappingQuery):  # ConstantScoreQuery and other score-only wrappers
        return matching_docnums(searcher, query.child)
    if isinstance(query, Every):
        return set(reader.all_doc_ids())
    if isinstance(query, CompoundQuery) and not query.subqueries:
        return set()
    # Phrases and anything else: Whoosh's matcher knows best.
    return set(searcher.docs_for_query(query))

