"""The search service: one function feeds the CLI, the HTML pages and the JSON API.

It runs the stages in order: parse → (suggest) → compile → match and score → (dense → fuse) →
page, then snippets and provenance of the page's passages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from whoosh.query import Every, Or, Term

from kb.analysis import analyze, stem_analyzer
from kb.models import Passage
from kb.search.compile import CompiledQuery, compile_query
from kb.search.facets import document_ids
from kb.search.dense import cosines
from kb.search.found import Provenance, provenance
from kb.search.fuse import FusionInputs, fuse_query
from kb.search.match import TermReads, matching_docnums
from kb.search.page import Page, browse_page, matched_total, ranked_page
from kb.search.parse import ParsedQuery, parse_query
from kb.search.ranking import DEFAULT_PARAMS, RankingParams
from kb.search.context import SearchContext
from kb.search.request import HYBRID, LEXICAL, SearchRequest, check_documents, check_request
from kb.search.results import DocumentMatch, Facets, SearchResponse
from kb.search.score import score_matches
from kb.search.snippets import Marks, make_snippet
from kb.search.suggest import absent_words_note, corrections, suggest, unknown_words
from kb.search.thesaurus import thesaurus_for
from kb.search.meaning import NotEmbedded, embedded_beforehand, semantic_inputs
from kb.storage.store import KnowledgeBase
from kb.views import DocumentSummary, SearchResult

MAX_EXPORT = 100_000
_STEM = stem_analyzer()
EMBED_ROUNDS = 3  # answers tried with the rows embedded beforehand; the last may embed under the lock


@dataclass(frozen=True)
class Answer:
    """What the stages found for one request, before it is shown: the page and how it came to be."""

    found: Page
    compiled: CompiledQuery
    suggestion: str | None
    corrected_query: str | None
    notes: list[str]
    origin: Provenance | None
    mode: str
    parsed: ParsedQuery


T = TypeVar("T")


def search(kb: KnowledgeBase, request: SearchRequest, params: RankingParams = DEFAULT_PARAMS) -> SearchResponse:
    """Ranked passages with snippets, facets, suggestion: to_json() is `kb search --json`."""
    check_request(request)
    answered = _run(kb, request, params, _response)
    if answered is None:
        unsearchable = ("La requête ne contient aucun mot cherchable.",) if request.query.strip() else ()
        return SearchResponse.nothing(request, tuple(parse_query(request.query).notes) + unsearchable, _mode_of(kb, request))
    return answered


def matching_passages(kb: KnowledgeBase, request: SearchRequest, max_results: int = MAX_EXPORT) -> list[Passage]:
    """The passages search() shows for `request`, page after page, in the same order (corrections,
    filters and meaning alike), at most `max_results`: what an export of the search holds."""
    check_request(request)
    every = replace(request, limit=max_results, offset=0)  # the page is then all of them
    return _run(kb, every, DEFAULT_PARAMS, lambda _ctx, answer: _passages(answer)) or []


def _run(kb: KnowledgeBase, request: SearchRequest, params: RankingParams,
         finish: Callable[[SearchContext, Answer], T]) -> T | None:
    """The stages for one request, `finish` applied to their answer in the same context; None
    when there is nothing to search. The query is embedded first, then one Session gives the
    build, its vectors and its searcher: a build switched in meanwhile is read whole, never mixed."""
    parsed = parse_query(request.query)
    if parsed.empty and not (request.categories or request.documents):
        return None
    rows = embedded_beforehand(kb, request)
    reads, read_in = TermReads(), None  # postings read in a round are kept while the build is the same
    for attempt in range(EMBED_ROUNDS):
        with kb.session(params.weighting()) as held:
            check_documents(request, held.snapshot.documents)
            semantic, note = semantic_inputs(kb, held, request, rows, may_embed=attempt == EMBED_ROUNDS - 1)
            if read_in is not held.snapshot:
                reads, read_in = TermReads(), held.snapshot
            ctx = SearchContext(kb, held, request, params, semantic, reads)
            try:
                answer = _answer(ctx, parsed)
            except NotEmbedded as missing:
                needed = missing
            else:
                answer.notes.extend(note)
                return finish(ctx, answer)
        rows[needed.text] = needed.embedder.query(needed.text)
    raise AssertionError("unreachable: the last round embeds under the lock")


def _mode_of(kb: KnowledgeBase, request: SearchRequest) -> str:
    """The mode a search with words would run in, reported even when there is nothing to search."""
    if request.mode == LEXICAL or kb.snapshot().vectors is None:
        return LEXICAL
    return HYBRID if kb.query_embedder() is not None else LEXICAL


def _answer(ctx: SearchContext, parsed: ParsedQuery) -> Answer:
    """Suggestion, ranked page (or the corrected query's when the literal one finds nothing)."""
    searcher, reader, request, params = ctx.searcher, ctx.reader, ctx.request, ctx.params
    unknown = unknown_words(reader, parsed) if not parsed.empty else []
    fixes = corrections(ctx.vocabulary, unknown) if unknown else {}
    suggestion = suggest(parsed, fixes)
    notes = list(parsed.notes)
    uncorrected = [w for w in unknown if not (request.correct and w in fixes)]
    if uncorrected:  # say which words found nothing, so the reader knows to rephrase them
        notes.append(absent_words_note(uncorrected))
    if parsed.empty:
        return Answer(browse_page(searcher, Every(), request, ctx.reads), CompiledQuery(Every()), suggestion, None, notes, None, LEXICAL, parsed)
    # `correct=False` ("search exactly what I typed") searches no correction at all.
    compiled = compile_query(parsed, reader, ctx.thesaurus, params, fixes if request.correct else None)
    scores = score_matches(searcher, compiled.query, ctx.reads)
    corrected_query, total = None, matched_total(searcher, scores, request, ctx.reads)
    if total and fixes and request.correct and not matching_docnums(searcher, compiled.uncorrected, ctx.reads):
        corrected_query = suggestion  # every match is owed to the corrections: say so
    if not total and suggestion and request.correct:
        corrected = compile_query(parse_query(suggestion), reader, ctx.thesaurus, params)
        retried = score_matches(searcher, corrected.query, ctx.reads)
        if matched_total(searcher, retried, request, ctx.reads):
            compiled, scores, corrected_query = corrected, retried, suggestion
    mode = LEXICAL if ctx.semantic is None else HYBRID
    if ctx.semantic is None or not scores:
        # A query none of whose words the corpus holds is not about the corpus: its nearest
        # passages by meaning are unrelated ones (« ornithorynque »), so it finds nothing.
        return Answer(ranked_page(searcher, scores, request, ctx.reads), compiled, suggestion, corrected_query, notes, None, mode, parsed)
    meant = suggestion if request.correct and suggestion else request.query
    fused = fuse_query(_fusion_inputs(ctx, parsed, compiled, scores, meant), params)
    found = ranked_page(searcher, fused.scores, request, ctx.reads)
    origin = provenance(searcher, compiled, corrected_query, scores, fused.by_meaning, ctx.reads)
    return Answer(found, compiled, suggestion, corrected_query, notes, origin, HYBRID, parsed)


def _passages(answer: Answer) -> list[Passage]:
    return [Passage.from_dict(fields["payload"]) for _, fields, _ in answer.found.hits]


def _fusion_inputs(ctx: SearchContext, parsed: ParsedQuery, compiled: CompiledQuery, scores: dict[int, float], meant: str) -> FusionInputs:
    """The lexical scores and the cosines to the (corrected) query, and what limits the shown passages."""
    semantic, request = ctx.semantic, ctx.request
    assert semantic is not None
    exact = any(u.phrase or u.prefix for u in parsed.units())
    excluded = frozenset() if exact else frozenset(matching_docnums(ctx.searcher, compiled.excluded, ctx.reads))
    cosine = cosines(ctx.searcher, semantic.vectors, semantic.build, semantic.row(meant))
    return FusionInputs(scores, cosine, len(parsed.groups),
                        request.query.rstrip().endswith("?"), exact, excluded)


def _described(ctx: SearchContext, parsed: ParsedQuery) -> tuple[DocumentMatch, ...]:
    """The documents whose description holds a word of the query as typed (no thesaurus), by title."""
    stems = {s for group in parsed.groups for unit in group for s in analyze(_STEM, unit.text)}
    if not stems:
        return ()
    query = Or([Term("description_stem", stem) for stem in sorted(stems)])
    doc_ids = document_ids(ctx.searcher, matching_docnums(ctx.searcher, query, ctx.reads))
    documents = ctx.documents
    found = [DocumentMatch(d, documents[d]["title"], documents[d].get("description") or "") for d in doc_ids if d in documents]
    return tuple(sorted(found, key=lambda m: m.title.lower()))


def _response(ctx: SearchContext, answer: Answer) -> SearchResponse:
    """The response object: the page's passages with snippets and how each was found."""
    request, found, compiled, origin, documents = ctx.request, answer.found, answer.compiled, answer.origin, ctx.documents
    results = []
    for docnum, fields, score in found.hits:
        payload = fields["payload"]
        passage = Passage.from_dict(payload)
        snippet = make_snippet(passage.text, payload.get("spans", []), compiled.lemmas, compiled.stems, compiled.expressions)
        document = DocumentSummary.of(passage.doc_id, documents.get(passage.doc_id, {}))
        results.append(SearchResult.of(
            passage, document, **ctx.citer.facts(passage), score=round(score, 4), snippet=snippet, found_by=origin.of(docnum) if origin else (),
            explanation=tuple(passage.explanation) if request.explain else None))
    described = () if answer.parsed.empty else _described(ctx, answer.parsed)
    return SearchResponse(
        request.query, found.total, request.limit, request.offset, answer.mode, tuple(results), Facets(**found.facets),
        answer.suggestion, tuple(compiled.expansions), answer.corrected_query, tuple(answer.notes), described,
    )


def query_marks(kb: KnowledgeBase, query: str) -> Marks:
    """What a query searches (its words' stems, corrections aside; its thesaurus expressions), to mark them in a document."""
    parsed = parse_query(query)
    if parsed.empty:
        return Marks()
    with kb.session(DEFAULT_PARAMS.weighting()) as held:
        compiled = compile_query(parsed, held.searcher.reader(), thesaurus_for(held.snapshot.path))
    return Marks(frozenset(compiled.stems), frozenset(stems for _, stems in compiled.expressions))
