"""The query language the search stages speak to a backend: what to match and how to score it,
with no backend's types in it. kb/search/compile.py writes it; an adapter (kb/storage/whoosh_adapter)
evaluates it. Nodes are frozen and hashable, so a request can cache what a node matched.

Scores follow BM25F over the fields named in each Term: AnyOf sums its clauses' scores, BestOf
takes the best, AllOf sums and requires every clause, WithBonus adds its bonus to what `main`
matched (never matching by itself), Without drops what `excluded` matches, Constant gives every
match of its child one score. A Tagged clause scores as its child; the evaluator reports what
each tag matched, which is how the stages learn where a passage came from (provenance)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

LITERAL, CORRECTION, THESAURUS, EXCLUSION = "literal", "correction", "thesaurus", "exclusion"


@dataclass(frozen=True)
class Term:
    """An indexed term of one field."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Words of one field following each other, at most `slop` positions apart."""

    field: str
    words: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class AnyOf:
    """Any clause; the scores of those that match add up."""

    clauses: tuple[Query, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class BestOf:
    """Any clause; a match scores as its best clause (alternatives of one concept)."""

    clauses: tuple[Query, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class AllOf:
    """Every clause; their scores add up."""

    clauses: tuple[Query, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class WithBonus:
    """What `main` matches, with `bonus`'s score added where it matches too."""

    main: Query
    bonus: Query


@dataclass(frozen=True)
class Without:
    """What `main` matches and `excluded` does not."""

    main: Query
    excluded: Query


@dataclass(frozen=True)
class Constant:
    """Every match of `child`, scored `score`."""

    child: Query
    score: float


@dataclass(frozen=True)
class Tagged:
    """`child`, whose matches the evaluator reports under (origin, group): a query group's typed
    words, its spelling correction, a thesaurus expression, an exclusion."""

    origin: str
    group: int
    child: Query


@dataclass(frozen=True)
class Everything:
    """Every passage (browsing the filters)."""


@dataclass(frozen=True)
class Nothing:
    """No passage."""


NOTHING = Nothing()
EVERYTHING = Everything()

Query = Union[Term, Phrase, AnyOf, BestOf, AllOf, WithBonus, Without, Constant, Tagged, Everything, Nothing]


def any_of(clauses: list[Query], boost: float = 1.0) -> Query:
    """The clauses as one (a single clause unwrapped), NOTHING for none."""
    kept = [c for c in clauses if c != NOTHING]
    if not kept:
        return NOTHING
    return kept[0] if len(kept) == 1 and boost == 1.0 else AnyOf(tuple(kept), boost)


def field_terms(query: Query, field: str) -> list[str]:
    """The texts of `field`'s Terms anywhere in `query` (tests and diagnostics)."""
    if isinstance(query, Term):
        return [query.text] if query.field == field else []
    out: list[str] = []
    for child in children(query):
        out += field_terms(child, field)
    return out


def children(query: Query) -> tuple[Query, ...]:
    """The direct sub-queries of a node."""
    if isinstance(query, (AnyOf, BestOf, AllOf)):
        return query.clauses
    if isinstance(query, WithBonus):
        return (query.main, query.bonus)
    if isinstance(query, Without):
        return (query.main, query.excluded)
    if isinstance(query, (Constant, Tagged)):
        return (query.child,)
    return ()
