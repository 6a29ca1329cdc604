"""The set of passages a query matches, from posting lists, without scoring a single one.

Where nothing needs a score (browsing a filter, the passages an exclusion removes, the filters
of facets, whether a query matches at all), set algebra over posting lists is cheaper than any
scorer; ranked searches get their match set from scoring.py."""

from __future__ import annotations

from typing import Any

from kb.storage import query as q
from kb.storage.whoosh_adapter.postings import TermReads, deleted_in, term_bytes
from kb.storage.whoosh_adapter.translate import to_whoosh


def matching_docnums(searcher: Any, node: q.Query, reads: TermReads) -> set[int]:
    """Document numbers `node` matches in `searcher` (the whole index, or one segment's searcher
    from a walk), deleted passages left out: the same set Whoosh's own matcher would produce."""
    if isinstance(node, q.Nothing):
        return set()
    if isinstance(node, q.Term):
        return _term_docnums(searcher, node, reads)
    if isinstance(node, (q.AnyOf, q.BestOf)):
        out: set[int] = set()
        for sub in node.clauses:
            out |= matching_docnums(searcher, sub, reads)
        return out
    if isinstance(node, q.AllOf):
        parts = sorted((matching_docnums(searcher, sub, reads) for sub in node.clauses), key=len)
        return set.intersection(*parts) if parts else set()
    if isinstance(node, q.WithBonus):
        return matching_docnums(searcher, node.main, reads)
    if isinstance(node, q.Without):
        return matching_docnums(searcher, node.main, reads) - matching_docnums(searcher, node.excluded, reads)
    if isinstance(node, (q.Constant, q.Tagged)):
        return matching_docnums(searcher, node.child, reads)
    if isinstance(node, q.Everything):
        return set(searcher.reader().all_doc_ids())
    return _stepped_docnums(searcher, node, reads)  # phrases: Whoosh's matcher knows best


def _stepped_docnums(searcher: Any, node: q.Query, reads: TermReads) -> set[int]:
    """What Whoosh's matcher of `node` matches, stepped once per segment and request."""
    out: set[int] = set()
    for leaf, offset in searcher.leaf_searchers():
        segment = leaf.reader()
        stepped = reads.stepped(segment, node)
        if stepped is None:
            stepped = list(leaf.docs_for_query(to_whoosh(node)))
            reads.remember(segment, node, stepped)
        deleted = deleted_in(segment)
        out.update(docnum + offset for docnum in stepped if docnum not in deleted)
    return out


def _term_docnums(searcher: Any, node: q.Term, reads: TermReads) -> set[int]:
    out: set[int] = set()
    for leaf, offset in searcher.leaf_searchers():
        segment = leaf.reader()
        text = term_bytes(leaf.schema, node.field, node.text)
        if text is None or (node.field, text) not in segment:
            continue
        read = reads.of(segment, node.field, text)
        ids = read[0] if read is not None else list(segment.postings(node.field, text).all_ids())
        deleted = deleted_in(segment)
        out.update(docnum + offset for docnum in ids if docnum not in deleted)
    return out
