"""What search() returns: the response, its hits and facets, typed; to_json() is the object of
`kb search --json` and /api/search."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.search.request import LEXICAL, MAX_LIMIT, MAX_OFFSET, MODES, SearchRequest
from kb.search.thesaurus import Expansion
from kb.views import JsonView, SearchResult

COUNTS = {"schema": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}}


@dataclass(frozen=True)
class Facets(JsonView):
    """Passages per category and per document among the matches (each ignoring its own filter)."""

    category: dict[str, int] = field(default_factory=dict, metadata=COUNTS)
    document: dict[str, int] = field(default_factory=dict, metadata=COUNTS)


@dataclass(frozen=True)
class DocumentMatch(JsonView):
    """A document whose own description holds words of the query (it is found as a document:
    its description ranks no passage, see kb/search/ranking.py)."""

    id: str
    title: str
    description: str


@dataclass(frozen=True)
class SearchResponse(JsonView):
    """One page of ranked passages, with what the reader needs to refine the search."""

    query: str
    total: int = field(metadata={"description": "Passages found (under the filters): by_words + by_meaning."})
    limit: int = field(metadata={"schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}})
    offset: int = field(metadata={"schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}})
    mode: str = field(default=LEXICAL, metadata={"schema": {"enum": list(MODES),
                      "description": "hybrid: ranked by words and meaning; lexical: by words alone."}})
    results: tuple[SearchResult, ...] = ()
    facets: Facets = field(default_factory=Facets)
    suggestion: str | None = None
    expansions: tuple[Expansion, ...] = ()
    corrected_query: str | None = None
    notes: tuple[str, ...] = ()
    documents: tuple[DocumentMatch, ...] = field(default=(), metadata={
        "description": "Documents whose description holds words of the query (filters aside)."})
    by_words: int = field(default=0, metadata={
        "description": "Of the total, the passages that hold words of the query (or their correction, or a thesaurus expression of them)."})
    by_meaning: int = field(default=0, metadata={
        "description": "Of the total, the passages found by meaning alone: none of the query's words, close enough in meaning."})

    @classmethod
    def nothing(cls, request: SearchRequest, notes: tuple[str, ...], mode: str) -> SearchResponse:
        """The response to a request with nothing to search."""
        return cls(request.query, 0, request.limit, request.offset, mode, notes=notes)
