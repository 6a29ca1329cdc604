"""The seam between the search stages and an index backend: what the stages ask of one build.

kb/search speaks only this protocol and the query language of kb/storage/query.py; Whoosh is its
one adapter (kb/storage/whoosh_adapter). Document numbers are the backend's dense passage numbers
within one build (0 … size-1, deleted passages included), stable while a session lasts."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from kb.storage.query import Query

T = TypeVar("T")
Scores = dict[int, float]
TagKey = tuple[str, int]  # (origin, query group) of a Tagged clause


@dataclass(frozen=True)
class Weighting:
    """BM25F's constants (the backend's scorer): k1 saturates a term's frequency, b normalises
    by the field's length."""

    k1: float = 1.2
    b: float = 0.75


class Collector(Protocol):
    """What one walk of a query feeds, once per segment: the scores of the passages the segment
    matches and what each Tagged clause matched there (index document numbers)."""

    def collect(self, scores: Mapping[int, float], tagged: Mapping[TagKey, set[int]]) -> None: ...


class IndexView(Protocol):
    """One build as one request reads it: created per session, so what it caches (each term's
    postings) is the request's own."""

    def evaluate(self, query: Query, collectors: Sequence[Collector]) -> None:
        """Walk `query` once, scoring every match, feeding `collectors`."""

    def matches(self, query: Query) -> set[int]:
        """The passages `query` matches, nothing scored."""

    def size(self) -> int:
        """Document numbers in this build (deleted passages included)."""

    def count(self) -> int:
        """Passages in this build (deleted ones left out)."""

    def stored(self, docnum: int) -> dict[str, Any]:
        """A passage's stored fields (id, doc_id, position, categories, payload)."""

    def all_stored(self) -> Iterator[dict[str, Any]]:
        """Every passage's stored fields, in document number order."""

    def docnum(self, passage_id: str) -> int | None:
        """The document number of a passage id, None if the build has no such passage."""

    def column(self, name: str) -> Sequence[Any]:
        """A sortable field's value for every document number (doc_id, position, category_set)."""

    def passage_ids(self) -> Sequence[str]:
        """Each document number's passage id ('' for a deleted one)."""

    def doc_frequency(self, field: str, text: str) -> int:
        """How many passages hold `text` in `field`."""

    def expand_prefix(self, field: str, prefix: str) -> Iterator[str]:
        """The field's terms that start with `prefix`, in order."""

    def vocabulary(self, field: str) -> Iterator[tuple[str, int]]:
        """Every term of `field` with its passage count."""

    def more_like(self, docnum: int, field: str, text: str, top: int, terms: int) -> list[tuple[int, float]]:
        """The passages closest to `text` by its `terms` most telling terms of `field`, best first."""

    def derived(self, name: str, compute: Callable[[IndexView], T], build: Hashable | None = None) -> T:
        """`compute(self)` once per build and reader (see kb/storage/derived.py)."""
