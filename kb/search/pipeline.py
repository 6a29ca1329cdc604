"""The search service: one function feeds the CLI, the HTML pages and the JSON API.

It runs the stages in order: parse → (suggest) → compile → match and score → page, then
snippets of the page's passages."""

from __future__ import annotations

from dataclasses import replace

from whoosh.query import Every
from whoosh.searching import Searcher

from kb.models import Passage
from kb.search.compile import CompiledQuery, compile_query
from kb.search.match import matching_docnums
from kb.search.page import Page, select_page
from kb.search.parse import ParsedQuery, parse_query
from kb.search.ranking import DEFAULT_PARAMS, RankingParams
from kb.search.request import SearchRequest, validate
from kb.search.results import Facets, SearchResponse
from kb.search.snippets import make_snippet
from kb.search.suggest import absent_words_note, corrections, suggest, unknown_words
from kb.search.thesaurus import thesaurus_for
from kb.storage.store import KnowledgeBase
from kb.views import DocumentSummary, SearchResult

MAX_EXPORT = 100_000


def search(kb: KnowledgeBase, request: SearchRequest, params: RankingParams = DEFAULT_PARAMS) -> SearchResponse:
    """Ranked passages with snippets, facets, suggestion: to_json() is `kb search --json`."""
    validate(request, kb)
    parsed = parse_query(request.query)
    if parsed.empty and not (request.categories or request.documents):
        unsearchable = ("La requête ne contient aucun mot cherchable.",) if request.query.strip() else ()
        return SearchResponse.nothing(request, tuple(parsed.notes) + unsearchable)
    with kb.reading(params.weighting()) as searcher:
        return _answer(kb, searcher, parsed, request, params)


def _answer(kb: KnowledgeBase, searcher: Searcher, parsed: ParsedQuery, request: SearchRequest,
            params: RankingParams) -> SearchResponse:
    """Suggestion, ranked page (or the corrected query's when the literal one finds nothing)."""
    reader, thesaurus = searcher.reader(), thesaurus_for(kb.snapshot().path)
    unknown = unknown_words(reader, parsed) if not parsed.empty else []
    fixes = corrections(reader, unknown)
    suggestion = suggest(parsed, fixes)
    corrected_query = None
    # `correct=False` ("search exactly what I typed") searches no correction at all.
    compiled = (compile_query(parsed, reader, thesaurus, params, fixes if request.correct else None)
                if not parsed.empty else CompiledQuery(Every()))
    found = select_page(searcher, compiled.query, request, browse=parsed.empty)
    if found.total and fixes and request.correct and not matching_docnums(searcher, compile_query(parsed, reader, thesaurus, params).query):
        corrected_query = suggestion  # every match is owed to the corrections: say so
    if found.total == 0 and suggestion and request.correct:
        corrected = compile_query(parse_query(suggestion), reader, thesaurus, params)
        found = select_page(searcher, corrected.query, request, browse=False)
        if found.total:
            compiled, corrected_query = corrected, suggestion
    notes = list(parsed.notes)
    uncorrected = [w for w in unknown if not (request.correct and w in fixes)]
    if uncorrected:  # say which words found nothing, so the reader knows to rephrase them
        notes.append(absent_words_note(uncorrected))
    return SearchResponse(
        request.query, found.total, request.limit, request.offset, _results(kb, found, compiled, request.explain),
        Facets(**found.facets), suggestion, tuple(compiled.expansions), corrected_query, tuple(notes),
    )


def _results(kb: KnowledgeBase, found: Page, compiled: CompiledQuery, explain: bool) -> tuple[SearchResult, ...]:
    """The page's passages as search results, each with its snippet marking the query's words."""
    documents = kb.snapshot().documents
    out = []
    for fields, score in found.hits:
        payload = fields["payload"]
        passage = Passage.from_dict(payload)
        snippet = make_snippet(passage.text, payload.get("spans", []), compiled.lemmas, compiled.stems)
        document = DocumentSummary.of(passage.doc_id, documents.get(passage.doc_id, {}))
        out.append(SearchResult.of(passage, document, score=round(score, 4), snippet=snippet,
                                   explanation=tuple(passage.explanation) if explain else None))
    return tuple(out)


def matching_passages(kb: KnowledgeBase, request: SearchRequest, max_results: int = MAX_EXPORT) -> list[Passage]:
    """Every passage a search matches (ranked; filters applied), for bulk export."""
    validate(request, kb)
    parsed = parse_query(request.query)
    if parsed.empty and not (request.categories or request.documents):
        return []
    every = replace(request, limit=max_results, offset=0)  # the page is then all of them
    with kb.reading(DEFAULT_PARAMS.weighting()) as searcher:
        query = compile_query(parsed, searcher.reader(), thesaurus_for(kb.snapshot().path)).query if not parsed.empty else Every()
        found = select_page(searcher, query, every, browse=parsed.empty)
        return [Passage.from_dict(fields["payload"]) for fields, _ in found.hits]
