"""The search service: one function feeds the CLI, the HTML pages, the JSON API and the exports.

Every request runs the same stages (kb/search/stages.py): parse → (suggest) → compile → one walk
of the query → (retry corrected) → (fuse with meaning) → page; then snippets and provenance of
the page's passages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from kb.analysis import analyze, stem_analyzer
from kb.models import Passage
from kb.search.compile import compile_query
from kb.search.context import SearchContext
from kb.search.meaning import NotEmbedded, embedded_beforehand, semantic_inputs
from kb.search.page import Page, collect_page
from kb.search.parse import ParsedQuery, parse_query
from kb.search.ranking import DEFAULT_PARAMS, RankingParams
from kb.search.request import HYBRID, LEXICAL, SearchRequest, check_documents, check_request
from kb.search.results import DocumentMatch, Facets, SearchResponse
from kb.search.snippets import Marks, make_snippet
from kb.search.stages import RANKING_STAGES, Ranking, Stage, rank
from kb.search.thesaurus import thesaurus_for
from kb.storage.query import AnyOf, Term
from kb.storage.store import KnowledgeBase
from kb.views import DocumentSummary, SearchResult

MAX_EXPORT = 100_000
_STEM = stem_analyzer()
EMBED_ROUNDS = 3  # answers tried with the rows embedded beforehand; the last may embed under the lock


T = TypeVar("T")


def search(kb: KnowledgeBase, request: SearchRequest, params: RankingParams = DEFAULT_PARAMS) -> SearchResponse:
    """Ranked passages with snippets, facets, suggestion: to_json() is `kb search --json`."""
    check_request(request)
    answered = _run(kb, request, params, _response)
    if answered is None:
        unsearchable = ("La requête ne contient aucun mot cherchable.",) if request.query.strip() else ()
        return SearchResponse.nothing(request, tuple(parse_query(request.query).notes) + unsearchable, _mode_of(kb, request))
    return answered


def matching_passages(kb: KnowledgeBase, request: SearchRequest, max_results: int = MAX_EXPORT,
                      params: RankingParams = DEFAULT_PARAMS) -> list[Passage]:
    """The passages search() shows for `request`, page after page, in the same order (corrections,
    filters and meaning alike), at most `max_results`: what an export of the search holds."""
    check_request(request)
    every = replace(request, limit=max_results, offset=0)  # the page is then all of them
    return _run(kb, every, params, lambda ctx, ranking: _passages(collect_page(ctx, ranking))) or []


def run_stages(kb: KnowledgeBase, request: SearchRequest, params: RankingParams = DEFAULT_PARAMS,
               stages: tuple[Stage, ...] = RANKING_STAGES, finish: Callable[[SearchContext, Ranking], T] | None = None) -> T | Ranking | None:
    """The ranking of `request` through `stages` (all of search()'s by default), with `finish`
    applied in its context: what the evaluation's rankers run, so they rank as search() does."""
    check_request(request)
    return _run(kb, request, params, finish or (lambda _ctx, ranking: ranking), stages)


def _run(kb: KnowledgeBase, request: SearchRequest, params: RankingParams,
         finish: Callable[[SearchContext, Ranking], T], stages: tuple[Stage, ...] = RANKING_STAGES) -> T | None:
    """The stages for one request, `finish` applied to their answer in the same context; None
    when there is nothing to search. The query is embedded first, then one Session gives the
    build, its vectors and its view: a build switched in meanwhile is read whole, never mixed."""
    parsed = parse_query(request.query)
    if parsed.empty and not (request.categories or request.documents):
        return None
    rows = embedded_beforehand(kb, request)
    carried = None  # the postings a round read are kept for the next while the build is the same
    for attempt in range(EMBED_ROUNDS):
        with kb.session(params.weighting(), carried) as held:
            carried = held.view
            check_documents(request, held.snapshot.documents)
            semantic, note = semantic_inputs(kb, held, request, rows, may_embed=attempt == EMBED_ROUNDS - 1)
            ctx = SearchContext(kb, held, request, params, semantic)
            try:
                ranking = rank(ctx, parsed, stages)
                ranking.notes.extend(note)
                return finish(ctx, ranking)
            except NotEmbedded as missing:  # a row is needed that was not embedded before the lock
                needed = missing
        rows[needed.text] = needed.embedder.query(needed.text)
    raise AssertionError("unreachable: the last round embeds under the lock")


def _mode_of(kb: KnowledgeBase, request: SearchRequest) -> str:
    """The mode a search with words would run in, reported even when there is nothing to search."""
    if request.mode == LEXICAL or kb.snapshot().vectors is None:
        return LEXICAL
    return HYBRID if kb.query_embedder() is not None else LEXICAL


def _passages(found: Page) -> list[Passage]:
    return [Passage.from_dict(fields["payload"]) for _, fields, _ in found.hits]


def _described(ctx: SearchContext, parsed: ParsedQuery) -> tuple[DocumentMatch, ...]:
    """The documents whose description holds a word of the query as typed (no thesaurus), by title."""
    stems = {s for group in parsed.groups for unit in group for s in analyze(_STEM, unit.text)}
    if not stems:
        return ()
    query = AnyOf(tuple(Term("description_stem", stem) for stem in sorted(stems)))
    column = ctx.view.column("doc_id")
    doc_ids = {column[d] for d in ctx.view.matches(query)}
    documents = ctx.documents
    found = [DocumentMatch(d, documents[d]["title"], documents[d].get("description") or "") for d in doc_ids if d in documents]
    return tuple(sorted(found, key=lambda m: m.title.lower()))


def _response(ctx: SearchContext, ranking: Ranking) -> SearchResponse:
    """The response object: the page's passages with snippets and how each was found."""
    request, found, documents = ctx.request, collect_page(ctx, ranking), ctx.documents
    compiled, origin = ranking.compiled, ranking.provenance()
    results = []
    for docnum, fields, score in found.hits:
        payload = fields["payload"]
        passage = Passage.from_dict(payload)
        snippet = make_snippet(passage.text, payload.get("spans", []), compiled.lemmas, compiled.stems, compiled.expressions)
        document = DocumentSummary.of(passage.doc_id, documents.get(passage.doc_id, {}))
        results.append(SearchResult.of(
            passage, document, **ctx.citation_facts(passage), score=round(score, 4), snippet=snippet, found_by=origin.of(docnum) if origin else (),
            explanation=tuple(passage.explanation) if request.explain else None))
    described = () if ranking.parsed.empty else _described(ctx, ranking.parsed)
    return SearchResponse(
        request.query, found.total, request.limit, request.offset, ranking.mode, tuple(results), Facets(**found.facets),
        ranking.suggestion, tuple(compiled.expansions), ranking.corrected_query, tuple(ranking.notes), described,
        found.total - found.by_meaning, found.by_meaning,
    )


def query_marks(kb: KnowledgeBase, query: str) -> Marks:
    """What a query searches (its words' stems, corrections aside; its thesaurus expressions), to mark them in a document."""
    parsed = parse_query(query)
    if parsed.empty:
        return Marks()
    with kb.session(DEFAULT_PARAMS.weighting()) as held:
        compiled = compile_query(parsed, held.view, thesaurus_for(held.snapshot.path))
    return Marks(frozenset(compiled.stems), frozenset(stems for _, stems in compiled.expressions))
