"""The stages' queries (kb/storage/query.py) as Whoosh queries, for what Whoosh's own matchers
step: phrases, the reference scores of the tests, and anything the block scorer does not know."""

from __future__ import annotations

from functools import lru_cache

from whoosh import query as wq

from kb.storage import query as q


@lru_cache(maxsize=4096)
def to_whoosh(node: q.Query) -> wq.Query:
    """The Whoosh query that matches and scores as `node` (Tagged is transparent)."""
    if isinstance(node, q.Term):
        return wq.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, q.Phrase):
        return wq.Phrase(node.field, list(node.words), slop=node.slop, boost=node.boost)
    if isinstance(node, q.AnyOf):
        return wq.Or([to_whoosh(c) for c in node.clauses], boost=node.boost)
    if isinstance(node, q.BestOf):
        return wq.DisjunctionMax([to_whoosh(c) for c in node.clauses], boost=node.boost)
    if isinstance(node, q.AllOf):
        return wq.And([to_whoosh(c) for c in node.clauses], boost=node.boost)
    if isinstance(node, q.WithBonus):
        return wq.AndMaybe(to_whoosh(node.main), to_whoosh(node.bonus))
    if isinstance(node, q.Without):
        return wq.AndNot(to_whoosh(node.main), to_whoosh(node.excluded))
    if isinstance(node, q.Constant):
        return wq.ConstantScoreQuery(to_whoosh(node.child), node.score)
    if isinstance(node, q.Tagged):
        return to_whoosh(node.child)
    if isinstance(node, q.Everything):
        return wq.Every()
    return wq.NullQuery
