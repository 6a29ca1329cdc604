"""IndexView over a Whoosh searcher: what the search stages read of one build, one request at a time."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, TypeVar

from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from kb.storage import query as q
from kb.storage.backend import Collector, IndexView, Weighting
from kb.storage.derived import derived
from kb.storage.whoosh_adapter.matching import matching_docnums
from kb.storage.whoosh_adapter.postings import TermReads
from kb.storage.whoosh_adapter.scoring import evaluate

T = TypeVar("T")


def new_searcher(reader: Any, weighting: Weighting | None) -> Searcher:
    """A searcher of the shared `reader` scoring with BM25F of `weighting` (Whoosh's defaults for None)."""
    scorer = BM25F() if weighting is None else BM25F(B=weighting.b, K1=weighting.k1)
    return Searcher(reader, weighting=scorer, closereader=False)


class WhooshView:
    """One request's view of a build: the shared searcher, and the request's own postings cache."""

    def __init__(self, searcher: Searcher, carried: IndexView | None = None) -> None:
        """`carried`: the view of the same request's previous round, whose postings are kept
        if it read the same reader."""
        self._searcher = searcher
        self._reader = searcher.reader()
        same = isinstance(carried, WhooshView) and carried._reader is self._reader
        self._reads = carried._reads if same else TermReads()  # type: ignore[union-attr]

    @property
    def searcher(self) -> Searcher:
        """The Whoosh searcher under this view (the adapter's tests compare against it)."""
        return self._searcher

    def evaluate(self, query: q.Query, collectors: Sequence[Collector]) -> None:
        evaluate(self._searcher, query, self._reads, collectors)

    def matches(self, query: q.Query) -> set[int]:
        return matching_docnums(self._searcher, query, self._reads)

    def size(self) -> int:
        return int(self._reader.doc_count_all())

    def count(self) -> int:
        return int(self._reader.doc_count())

    def stored(self, docnum: int) -> dict[str, Any]:
        return self._searcher.stored_fields(docnum)  # type: ignore[no-any-return]

    def all_stored(self) -> Iterator[dict[str, Any]]:
        return iter(self._reader.all_stored_fields())

    def docnum(self, passage_id: str) -> int | None:
        return self._searcher.document_number(id=passage_id)  # type: ignore[no-any-return]

    def column(self, name: str) -> Sequence[Any]:
        return self.derived(f"column:{name}", lambda view: list(self._reader.column_reader(name)))

    def passage_ids(self) -> Sequence[str]:
        def read(view: IndexView) -> list[str]:
            ids = [""] * self.size()
            for docnum, fields in self._reader.iter_docs():
                ids[docnum] = fields["id"]
            return ids

        return self.derived("passage-ids", read)

    def doc_frequency(self, field: str, text: str) -> int:
        return int(self._reader.doc_frequency(field, text))

    def expand_prefix(self, field: str, prefix: str) -> Iterator[str]:
        for term in self._reader.expand_prefix(field, prefix):
            yield term.decode() if isinstance(term, bytes) else term

    def vocabulary(self, field: str) -> Iterator[tuple[str, int]]:
        for term, info in self._reader.iter_field(field):
            yield (term.decode("utf-8") if isinstance(term, bytes) else term), info.doc_frequency()

    def more_like(self, docnum: int, field: str, text: str, top: int, terms: int) -> list[tuple[int, float]]:
        hits = self._searcher.more_like(docnum, field, text=text, top=top, numterms=terms)
        return [(hit.docnum, float(hit.score or 0.0)) for hit in hits]

    def derived(self, name: str, compute: Callable[[IndexView], T], build: Hashable | None = None) -> T:
        return derived(self._reader, name, lambda _reader: compute(self), build)
