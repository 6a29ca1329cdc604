"""The search service: one function feeds the CLI, the HTML pages and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from whoosh import collectors
from whoosh.query import And, AndMaybe, AndNot, ConstantScoreQuery, DisjunctionMax, Every, NullQuery, Or, Phrase, Query, Term

from kb.analysis import LEMMAS, analyze, lemma_alternatives, lemma_analyzer, stem_analyzer, word_analyzer
from kb.errors import InvalidParameterError
from kb.facets import facet_counts
from kb.matching import matching_docnums
from kb.models import Passage
from kb.query import ParsedQuery, Unit, parse_query
from kb.ranking import DEFAULT_PARAMS, RankingParams
from kb.results import passage_json
from kb.snippets import make_snippet
from kb.store import KnowledgeBase
from kb.suggest import corrections, suggest
from kb.taxonomy import load_taxonomy
from kb.thesaurus import Expansion, thesaurus_for

MAX_LIMIT = 100
MAX_OFFSET = 10_000
ARRAY_UNION_CONCEPTS = 6  # from this many concepts on, the array matcher (measured: bench/hostile.py)
_lemma = lemma_analyzer()
_stem = stem_analyzer()
_words = word_analyzer()


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


@dataclass
class CompiledQuery:
    """The Whoosh query plus what snippets need to mark and what the JSON reports."""

    query: Query
    lemmas: set[str] = field(default_factory=set)
    stems: set[str] = field(default_factory=set)
    expansions: list[Expansion] = field(default_factory=list)


def _word_query(text: str, p: RankingParams, boost: float = 1.0, fields: tuple[str, ...] | None = None) -> tuple[Query, set[str], set[str]]:
    lemmas = lemma_alternatives(text)
    stems = analyze(_stem, text)
    boosts = p.field_boosts()
    clauses: list[Query] = []
    for name, weight in boosts.items():
        if (fields and name not in fields) or not weight:
            continue
        for term in dict.fromkeys(stems if name.endswith("_stem") else lemmas):
            clauses.append(Term(name, term, boost=weight * boost))
    if p.words and (not fields or "words" in fields):
        # The word as written (unstemmed, accents kept) is the most precise evidence of all.
        clauses += [Term("words", w, boost=p.words * boost) for w in dict.fromkeys(analyze(_words, text))]
    return (Or(clauses) if clauses else NullQuery), set(lemmas), set(stems)


def _has_content(unit: Unit) -> bool:
    """A unit with something to search beyond stop words."""
    return unit.phrase or unit.prefix or bool(analyze(_lemma, unit.text) or analyze(_stem, unit.text))


def _unit_query(unit: Unit, p: RankingParams, kb: KnowledgeBase, boost: float = 1.0) -> tuple[Query, set[str], set[str]]:
    if unit.phrase:
        lemmas, stems = analyze(_lemma, unit.text), analyze(_stem, unit.text)
        if len(lemmas) > 1 and len(stems) > 1:
            # A lemma depends on context ("ajouté" alone is an adjective): the stem phrase is the net.
            query = Or([Phrase("text", lemmas, slop=1, boost=p.text * 2 * boost), Phrase("text_stem", stems, slop=1, boost=p.text_stem * 2 * boost)])
            return query, set(lemmas), set(stems)
    if unit.prefix:
        prefix = analyze(_stem, unit.text)
        if prefix:
            terms = []
            with kb.reading() as searcher:
                for term in searcher.reader().expand_prefix("text_stem", prefix[0]):
                    terms.append(term.decode() if isinstance(term, bytes) else term)
                    if len(terms) >= p.max_prefix_terms:
                        break
            q = Or([Term("text_stem", t, boost=p.text * boost) for t in terms]) if terms else NullQuery
            return q, set(), set(terms)
    return _word_query(unit.text, p, boost)


def _expansion_query(expression: str, p: RankingParams) -> tuple[Query, set[str], set[str]]:
    """All words of a thesaurus expression, each by lemma or stem, weighted below literal words."""
    lemmas, stems = analyze(_lemma, expression), analyze(_stem, expression)
    words: list[Query] = [Or([Term("text", l), Term("text_stem", s)]) for l, s in zip(lemmas, stems)]
    if not words:
        return NullQuery, set(), set()
    query = And(words, boost=p.thesaurus) if len(words) > 1 else Or(words[0].subqueries, boost=p.thesaurus)
    return query, set(lemmas), set(stems)


def _corrected(unit: Unit, fixes: dict[str, str]) -> str | None:
    """The known word to search beside a one-word unit the index does not know."""
    if unit.phrase or unit.prefix or not fixes:
        return None
    words = analyze(_words, unit.text)
    return fixes.get(words[0]) if len(words) == 1 else None


def compile_query(parsed: ParsedQuery, kb: KnowledgeBase, p: RankingParams = DEFAULT_PARAMS,
                  fixes: dict[str, str] | None = None) -> CompiledQuery:
    """Concepts (OR groups) with optional bonuses, thesaurus expansions and spelling corrections
    (`fixes`: unknown word → closest known word, searched beside it with weight p.correction)."""
    compiled = CompiledQuery(NullQuery)
    spelling: list[Expansion] = []
    groups = parsed.groups
    LEMMAS.prime([u.text for u in parsed.units()] + [u.text for u in parsed.excluded])  # one spaCy batch, not one call per word
    # Stop words ("les", "de") only reach the unstemmed `words` field, where they match nearly
    # every passage: beside content words they only add to the score of passages already
    # matched (a bonus, not a match of their own), which spares a scan of most of the index.
    content = [any(_has_content(u) for u in group) for group in groups]
    per_group: list[Query | None] = []
    function_words: list[Query] = []
    for index, (group, has_content) in enumerate(zip(groups, content)):
        if any(content) and not has_content:
            per_group.append(None)
            function_words += [_unit_query(u, p, kb)[0] for u in group]
            continue
        options = []
        for unit in group:
            q, lemmas, stems = _unit_query(unit, p, kb)
            fixed = _corrected(unit, fixes or {}) if p.correction else None
            if fixed:
                # The typed word is unknown to the index, so it matches nothing: its correction
                # is searched beside it, even when other words of the query match.
                fq, flemmas, fstems = _word_query(fixed, p, boost=p.correction)
                q = Or([q, fq]) if q is not NullQuery else fq
                lemmas, stems = lemmas | flemmas, stems | fstems
                spelling.append(Expansion(index, index + 1, unit.text, "orthographe", (fixed,)))
            compiled.lemmas |= lemmas
            compiled.stems |= stems
            if q is not NullQuery:
                options.append(q)
        per_group.append((Or(options) if len(options) > 1 else options[0]) if options else None)
    keys = [tuple(analyze(_lemma, g[0].text)) if len(g) == 1 and not g[0].phrase else ("\0",) for g in groups]
    compiled.expansions = thesaurus_for(kb.snapshot().path).expand(keys, [g[0].text for g in groups])
    spans = {e.start: e for e in compiled.expansions}
    compiled.expansions += spelling
    concepts: list[Query] = []
    i = 0
    while i < len(groups):
        exp = spans.get(i)
        if exp is None:
            if per_group[i] is not None:
                concepts.append(per_group[i])
            i += 1
            continue
        # A thesaurus span is one concept: its literal words or an expansion, whichever
        # scores best (so the concept is not credited twice).
        literal = [q for q in per_group[exp.start : exp.end] if q is not None]
        alternatives = [And(literal) if len(literal) > 1 else literal[0]] if literal else []
        for expression in exp.added:
            q, lemmas, stems = _expansion_query(expression, p)
            if q is not NullQuery:
                compiled.lemmas |= lemmas
                compiled.stems |= stems
                alternatives.append(q)
        if alternatives:
            concepts.append(DisjunctionMax(alternatives) if len(alternatives) > 1 else alternatives[0])
        i = exp.end
    if not concepts:
        return compiled
    main: Query = Or(concepts) if len(concepts) > 1 else (concepts[0] if concepts else NullQuery)
    if isinstance(main, Or) and len(concepts) >= ARRAY_UNION_CONCEPTS:
        # Many concepts: Whoosh's default Or is a binary tree of union matchers that asks every
        # node whether it is active at every step (millions of calls for a 30-word query); the
        # array matcher adds each term's scores into an array instead. Same scores, same order.
        main.matcher_type = Or.ARRAY_MATCHER
    bonuses: list[Query] = [q for q in function_words if q is not NullQuery]
    if len(concepts) > 1 and p.coverage:
        # Coverage: each distinct concept a passage contains adds the same bonus, so passages
        # that cover more of the query rank above those that repeat one word often.
        bonuses += [ConstantScoreQuery(c, p.coverage) for c in concepts]
    words = [analyze(_stem, g[0].text) for g in groups if len(g) == 1 and not g[0].phrase and not g[0].prefix]
    firsts = [w[0] for w in words if w]
    if p.phrase:
        # Proximity: consecutive query words found close together in the text.
        bonuses += [Phrase("text_stem", pair, slop=p.phrase_slop, boost=p.phrase) for pair in zip(firsts, firsts[1:]) if pair[0] != pair[1]]
    if bonuses and main is not NullQuery:
        main = AndMaybe(main, Or(bonuses))
    if parsed.excluded:
        excluded = [_word_query(u.text, p, fields=("text", "text_stem"))[0] if not u.phrase else _unit_query(u, p, kb)[0] for u in parsed.excluded]
        excluded = [q for q in excluded if q is not NullQuery]
        if excluded:
            main = AndNot(main, Or(excluded))
    compiled.query = main
    return compiled


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
    if params is DEFAULT_PARAMS:
        with kb.reading() as searcher:
            _answer(kb, searcher, parsed, request, params, response)
        return response
    searcher = kb.snapshot().index.searcher(weighting=params.weighting())  # tuning: its own BM25F
    try:
        _answer(kb, searcher, parsed, request, params, response)
    finally:
        searcher.close()
    return response


def _answer(kb: KnowledgeBase, searcher: Any, parsed: ParsedQuery, request: SearchRequest,
            params: RankingParams, response: dict[str, Any]) -> None:
    """Fill `response`: suggestion, ranked page (or the corrected query's), facets, snippets."""
    fixes = corrections(searcher.reader(), parsed) if not parsed.empty else {}
    suggestion = suggest(searcher, parsed, fixes) if fixes else None
    response["suggestion"] = suggestion
    # `correct=False` ("search exactly what I typed") searches no correction at all.
    compiled = compile_query(parsed, kb, params, fixes if request.correct else None) if not parsed.empty else CompiledQuery(Every())
    hits, total, facets = _run(searcher, compiled.query, request, browse=parsed.empty)
    if total and fixes and request.correct and not matching_docnums(searcher, compile_query(parsed, kb, params).query):
        response["corrected_query"] = suggestion  # every match is owed to the corrections: say so
    if total == 0 and suggestion and request.correct:
        corrected = compile_query(parse_query(suggestion), kb, params)
        hits, total, facets = _run(searcher, corrected.query, request, browse=False)
        if total:
            compiled = corrected
            response["corrected_query"] = suggestion
    response["total"] = total
    response["facets"] = facets
    response["expansions"] = [{"matched": e.matched, "entry": e.entry, "added": list(e.added)} for e in compiled.expansions]
    documents = kb.snapshot().documents
    for hit in hits:
        payload = hit["payload"]
        snippet = make_snippet(payload["text"], payload.get("spans", []), compiled.lemmas, compiled.stems)
        score = float(hit.score) if isinstance(hit.score, (int, float)) else 0.0
        response["results"].append(passage_json(payload, documents.get(payload["doc_id"], {}), score, snippet, request.explain))


def _run(searcher: Any, query: Query, request: SearchRequest, browse: bool) -> tuple[list[Any], int, dict[str, dict[str, int]]]:
    window = request.offset + request.limit
    sortedby = ["doc_id", "position"] if browse else None
    # Counts come from the match set (posting-list algebra, nothing scored, no grouping of
    # every scored hit); ranking keeps only the top `window`.
    matched = matching_docnums(searcher, query)
    facets, allowed = facet_counts(searcher, matched, request.categories, request.documents)
    if not allowed:
        return [], 0, facets
    filtering = bool(request.categories or request.documents)
    if browse:
        results = searcher.search(query, limit=window, filter=allowed if filtering else None, sortedby=sortedby)
    else:
        # No matcher replacement: Whoosh's AndMaybe.replace() drops documents that belong in the
        # top k (a window of 4 and one of 10 disagree), so every match is scored as it is.
        collector: collectors.Collector = collectors.TopCollector(limit=window, usequality=False, replace=0)
        if filtering:
            collector = collectors.FilterCollector(collector, allow=allowed)
        searcher.search_with_collector(query, collector)
        results = collector.results()
    # Slicing, not list(): list() asks len(), which makes Whoosh count every match again.
    return results[request.offset : window], len(allowed), facets


MAX_EXPORT = 100_000


def matching_passages(kb: KnowledgeBase, request: SearchRequest, max_results: int = MAX_EXPORT) -> list[Passage]:
    """Every passage a search matches (ranked; filters applied), for bulk export."""
    validate(request, kb)
    parsed = parse_query(request.query)
    if parsed.empty and not (request.categories or request.documents):
        return []
    query = compile_query(parsed, kb).query if not parsed.empty else Every()
    with kb.reading() as searcher:
        matched = matching_docnums(searcher, query)
        _, allowed = facet_counts(searcher, matched, request.categories, request.documents)
        if not allowed:
            return []
        sortedby = ["doc_id", "position"] if parsed.empty else None
        results = searcher.search(query, limit=max_results, filter=allowed, sortedby=sortedby)
        return [Passage.from_dict(hit["payload"]) for hit in results]
