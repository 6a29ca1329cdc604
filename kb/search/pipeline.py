"""The search service: one function feeds the CLI, the HTML pages and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from whoosh.query import Every, Query

from kb.search.compile import CompiledQuery, compile_query
from kb.errors import InvalidParameterError
from kb.search.facets import facet_counts
from kb.search.match import matching_docnums
from kb.models import Passage
from kb.search.parse import ParsedQuery, parse_query
from kb.search.ranking import DEFAULT_PARAMS, RankingParams
from kb.results import passage_json
from kb.search.score import score_matches, top_ranked
from kb.search.snippets import make_snippet
from kb.storage.store import KnowledgeBase
from kb.search.thesaurus import thesaurus_for
from kb.search.suggest import absent_words_note, corrections, suggest, unknown_words
from kb.categories.taxonomy import load_taxonomy

MAX_LIMIT = 100
MAX_OFFSET = 10_000


@dataclass
class SearchRequest:
    """What a caller may ask: query text, filters (any of each), page."""

    query: str = ""
    categories: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    limit: int = 10
    offset: int = 0
    explain: bool = False
    correct: bool = True  # search the suggestion when the literal query finds nothing


def validate(request: SearchRequest, kb: KnowledgeBase) -> None:
    """Raise InvalidParameterError naming the parameter that is out of range or unknown."""
    if not 1 <= request.limit <= MAX_LIMIT:
        raise InvalidParameterError("limit", f"limit must be between 1 and {MAX_LIMIT} (got {request.limit})")
    if not 0 <= request.offset <= MAX_OFFSET:
        raise InvalidParameterError("offset", f"offset must be between 0 and {MAX_OFFSET} (got {request.offset})")
    slugs = {c.slug for c in load_taxonomy()}
    for slug in request.categories:
        if slug not in slugs:
            raise InvalidParameterError("category", f"unknown category '{slug}'; valid: {', '.join(sorted(slugs))}")
    docs = kb.snapshot().documents
    for doc in request.documents:
        if doc not in docs:
            raise InvalidParameterError("document", f"unknown document '{doc}'")


def search(kb: KnowledgeBase, request: SearchRequest, params: RankingParams = DEFAULT_PARAMS) -> dict[str, Any]:
    """Ranked passages with snippets, facets, suggestion: the object of `kb search --json`."""
    validate(request, kb)
    parsed = parse_query(request.query)
    response: dict[str, Any] = {
        "query": request.query,
        "total": 0,
        "limit": request.limit,
        "offset": request.offset,
        "results": [],
        "facets": {"category": {}, "document": {}},
        "suggestion": None,
        "expansions": [],
        "corrected_query": None,
        "notes": list(parsed.notes),
    }
    filtering = bool(request.categories or request.documents)
    if parsed.empty and not filtering:
        if request.query.strip():
            response["notes"].append("La requête ne contient aucun mot cherchable.")
        return response
    with kb.reading(params.weighting()) as searcher:
        _answer(kb, searcher, parsed, request, params, response)
    return response


def _answer(kb: KnowledgeBase, searcher: Any, parsed: ParsedQuery, request: SearchRequest,
            params: RankingParams, response: dict[str, Any]) -> None:
    """Fill `response`: suggestion, ranked page (or the corrected query's), facets, snippets."""
    unknown = unknown_words(searcher.reader(), parsed) if not parsed.empty else []
    fixes = corrections(searcher.reader(), unknown)
    suggestion = suggest(parsed, fixes)
    response["suggestion"] = suggestion
    # `correct=False` ("search exactly what I typed") searches no correction at all.
    reader, thesaurus = searcher.reader(), thesaurus_for(kb.snapshot().path)
    compiled = compile_query(parsed, reader, thesaurus, params, fixes if request.correct else None) if not parsed.empty else CompiledQuery(Every())
    hits, total, facets = _run(searcher, compiled.query, request, browse=parsed.empty)
    if total and fixes and request.correct and not matching_docnums(searcher, compile_query(parsed, reader, thesaurus, params).query):
        response["corrected_query"] = suggestion  # every match is owed to the corrections: say so
    if total == 0 and suggestion and request.correct:
        corrected = compile_query(parse_query(suggestion), reader, thesaurus, params)
        hits, total, facets = _run(searcher, corrected.query, request, browse=False)
        if total:
            compiled = corrected
            response["corrected_query"] = suggestion
    uncorrected = [w for w in unknown if not (request.correct and w in fixes)]
    if uncorrected:  # say which words found nothing, so the reader knows to rephrase them
        response["notes"].append(absent_words_note(uncorrected))
    response["total"] = total
    response["facets"] = facets
    response["expansions"] = [{"matched": e.matched, "entry": e.entry, "added": list(e.added)} for e in compiled.expansions]
    documents = kb.snapshot().documents
    for fields, score in hits:
        payload = fields["payload"]
        snippet = make_snippet(payload["text"], payload.get("spans", []), compiled.lemmas, compiled.stems)
        response["results"].append(passage_json(payload, documents.get(payload["doc_id"], {}), score, snippet, request.explain))


def _run(searcher: Any, query: Query, request: SearchRequest, browse: bool) -> tuple[list[tuple[dict[str, Any], float]], int, dict[str, dict[str, int]]]:
    """(stored fields, score) of the requested page, the number of matches, the facet counts."""
    window = request.offset + request.limit
    if browse:
        # Every passage (of the filters): reading order, nothing scored.
        matched = matching_docnums(searcher, query)
        facets, allowed = facet_counts(searcher, matched, request.categories, request.documents)
        if not allowed:
            return [], 0, facets
        results = searcher.search(query, limit=window, filter=allowed, sortedby=["doc_id", "position"])
        return [(hit.fields(), 0.0) for hit in results[request.offset : window]], len(allowed), facets
    # Every match is scored (an exact top k; see kb/search/score.py), so the scores' keys are also
    # the match set that totals and facets count.
    scores = score_matches(searcher, query)
    facets, allowed = facet_counts(searcher, set(scores), request.categories, request.documents)
    filtering = bool(request.categories or request.documents)
    page = top_ranked(scores, window, allowed if filtering else None)[request.offset :]
    return [(searcher.stored_fields(d), score) for d, score in page], len(allowed), facets


MAX_EXPORT = 100_000


def matching_passages(kb: KnowledgeBase, request: SearchRequest, max_results: int = MAX_EXPORT) -> list[Passage]:
    """Every passage a search matches (ranked; filters applied), for bulk export."""
    validate(request, kb)
    parsed = parse_query(request.query)
    if parsed.empty and not (request.categories or request.documents):
        return []
    every = replace(request, limit=max_results, offset=0)  # the page of _run() is then all of them
    with kb.reading(DEFAULT_PARAMS.weighting()) as searcher:
        query = compile_query(parsed, searcher.reader(), thesaurus_for(kb.snapshot().path)).query if not parsed.empty else Every()
        hits, _, _ = _run(searcher, query, every, browse=parsed.empty)
        return [Passage.from_dict(fields["payload"]) for fields, _ in hits]
