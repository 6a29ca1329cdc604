"""The ranking stages of a search, in the one order every caller runs them (search, exports,
the evaluation's rankers): each reads the request's context and the ranking so far and returns
the next. Words are matched in one walk of the compiled query; fusion with meaning is a stage over
the candidates that walk gathered, as any later reranking would be."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from kb.search.collectors import Matches
from kb.search.compile import CompiledQuery, compile_query
from kb.search.context import SearchContext
from kb.search.dense import cosines
from kb.search.provenance import Provenance, excluded_by, owed_to_corrections, provenance
from kb.search.fuse import FusionInputs, fuse_query
from kb.search.parse import ParsedQuery, parse_query
from kb.search.request import HYBRID, LEXICAL
from kb.search.suggest import absent_words_note, corrections, suggest, unknown_words
from kb.storage.backend import Scores
from kb.storage.query import EVERYTHING, NOTHING


@dataclass
class Ranking:
    """What the stages know of one request so far: the candidates and how they came to be."""

    parsed: ParsedQuery
    compiled: CompiledQuery
    matches: Matches  # the lexical walk: every match's score, what each tagged clause matched
    scores: Scores  # the candidates, scored by the last stage
    suggestion: str | None = None
    corrected_query: str | None = None  # every shown match is owed to this correction of the query
    notes: list[str] = field(default_factory=list)
    mode: str = LEXICAL
    by_meaning: frozenset[int] = frozenset()
    browsing: bool = False  # no words: the filters' passages in reading order

    def provenance(self) -> Provenance | None:
        """How each candidate was found (None when browsing or searching by words alone)."""
        if self.mode != HYBRID:
            return None
        return provenance(self.matches, self.corrected_query, self.by_meaning)


Stage = Callable[[SearchContext, Ranking], Ranking]


def start(ctx: SearchContext, parsed: ParsedQuery) -> Ranking:
    """The query's words checked against the index, corrections found, the query compiled once
    (browsing: every passage the filters allow, nothing compiled)."""
    if parsed.empty:
        every = Matches(dict.fromkeys(ctx.view.matches(EVERYTHING), 0.0))
        return Ranking(parsed, CompiledQuery(EVERYTHING), every, every.scores, notes=list(parsed.notes), browsing=True)
    unknown = unknown_words(ctx.view, parsed)
    fixes = corrections(ctx.vocabulary, unknown) if unknown else {}
    notes = list(parsed.notes)
    uncorrected = [w for w in unknown if not (ctx.request.correct and w in fixes)]
    if uncorrected:  # say which words found nothing, so the reader knows to rephrase them
        notes.append(absent_words_note(uncorrected))
    # `correct=False` ("search exactly what I typed") searches no correction at all.
    compiled = compile_query(parsed, ctx.view, ctx.thesaurus, ctx.params, fixes if ctx.request.correct else None)
    return Ranking(parsed, compiled, Matches(), {}, suggest(parsed, fixes), notes=notes)


def match_words(ctx: SearchContext, ranking: Ranking) -> Ranking:
    """One walk of the compiled query: every match scored, every tagged clause's matches kept."""
    if ranking.browsing or ranking.compiled.query == NOTHING:
        return ranking
    matches = _walk(ctx, ranking.compiled)
    corrected_query = None
    if ranking.suggestion and ctx.request.correct and ctx.filters.any_allowed(matches.scores) and owed_to_corrections(ranking.compiled, matches):
        corrected_query = ranking.suggestion  # every match is owed to the corrections: say so
    return replace(ranking, matches=matches, scores=matches.scores, corrected_query=corrected_query)


def retry_corrected(ctx: SearchContext, ranking: Ranking) -> Ranking:
    """Nothing matches what was typed (under the filters): the suggestion's own query, if it matches."""
    if ranking.browsing or not ranking.suggestion or not ctx.request.correct or ctx.filters.any_allowed(ranking.scores):
        return ranking
    compiled = compile_query(parse_query(ranking.suggestion), ctx.view, ctx.thesaurus, ctx.params)
    matches = _walk(ctx, compiled) if compiled.query != NOTHING else Matches()
    if not ctx.filters.any_allowed(matches.scores):
        return ranking
    return replace(ranking, compiled=compiled, matches=matches, scores=matches.scores, corrected_query=ranking.suggestion)


def rank_down_noncontent(ctx: SearchContext, ranking: Ranking) -> Ranking:
    """Passages that are not content (a press contact, a list of links) keep a share of their
    words' score: they answer a query only when nothing else does as well."""
    noncontent = _noncontent(ctx)
    if ranking.browsing or not noncontent or not noncontent & ranking.scores.keys():
        return ranking
    weight = ctx.params.noncontent_weight
    return replace(ranking, scores={d: s * weight if d in noncontent else s for d, s in ranking.scores.items()})


def fuse_meaning(ctx: SearchContext, ranking: Ranking) -> Ranking:
    """The candidates by meaning join those by words, each scored by both signals; a passage
    found by meaning alone only when its closeness clears the query's own floor (so a query none
    of whose words the corpus holds may still be answered, and an off-topic one finds nothing)."""
    if ranking.browsing or ctx.semantic is None:
        return ranking
    fused = fuse_query(fusion_inputs(ctx, ranking), ctx.params)
    return replace(ranking, scores=fused.scores, by_meaning=fused.by_meaning, mode=HYBRID)


def fusion_inputs(ctx: SearchContext, ranking: Ranking) -> FusionInputs:
    """The lexical scores and the cosines to the (corrected) query: all the fusion depends on
    (the tuner varies the fusion's parameters over them without searching again)."""
    semantic, request, parsed = ctx.semantic, ctx.request, ranking.parsed
    assert semantic is not None
    meant = ranking.suggestion if request.correct and ranking.suggestion else request.query
    exact = any(u.phrase or u.prefix for u in parsed.units())
    excluded = frozenset() if exact else frozenset(excluded_by(ranking.matches))
    cosine = cosines(ctx.view, semantic.vectors, semantic.build, semantic.row(meant))
    return FusionInputs(ranking.scores, cosine, len(parsed.groups), request.query.rstrip().endswith("?"), exact, excluded,
                        _noncontent(ctx))


def _noncontent(ctx: SearchContext) -> frozenset[int]:
    """The document numbers of the passages that are not content (Passage.kind), once per build."""
    return ctx.view.derived("noncontent", lambda view: frozenset(d for d, kind in enumerate(view.column("kind")) if kind))


def _walk(ctx: SearchContext, compiled: CompiledQuery) -> Matches:
    matches = Matches()
    ctx.view.evaluate(compiled.query, [matches])
    return matches


LEXICAL_STAGES: tuple[Stage, ...] = (match_words, retry_corrected, rank_down_noncontent)
RANKING_STAGES: tuple[Stage, ...] = (*LEXICAL_STAGES, fuse_meaning)


def rank(ctx: SearchContext, parsed: ParsedQuery, stages: tuple[Stage, ...] = RANKING_STAGES) -> Ranking:
    """The request's ranking: its start, then each stage in order."""
    ranking = start(ctx, parsed)
    for stage in stages:
        ranking = stage(ctx, ranking)
    return ranking
