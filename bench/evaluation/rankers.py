"""Our ranking for the evaluation and the tuner, through kb.search's own stages (kb/search/stages.py
via kb.search.pipeline.run_stages): no copy of the pipeline to keep equal. Each query's fusion
inputs are kept, so trials that vary only the fusion's parameters rank without searching again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from kb.search.collectors import top_ranked
from kb.search.context import SearchContext
from kb.search.fuse import FusionInputs, fuse_query
from kb.search.pipeline import run_stages
from kb.search.ranking import FUSION_FIELDS, RankingParams
from kb.search.request import HYBRID, LEXICAL, SearchRequest
from kb.search.stages import LEXICAL_STAGES, Ranking, fusion_inputs
from kb.storage.store import KnowledgeBase

Computed = tuple[Sequence[str], dict[int, float], FusionInputs | None]


def lexical_key(params: RankingParams) -> tuple[object, ...]:
    """The parameters the fusion inputs depend on (all but the fusion's own)."""
    return tuple(v for k, v in dataclasses.asdict(params).items() if k not in FUSION_FIELDS)


class StageRanker:
    """Ranks as kb.search.search() in `mode` ("hybrid": words and meaning, "lexical": words alone),
    without snippets and facets; `prepare` fills the cache before a fork, so worker processes
    share it and never touch the parent's file handles."""

    def __init__(self, kb: KnowledgeBase, mode: str = HYBRID) -> None:
        self._kb = kb
        self._mode = mode
        self._computed: dict[tuple[str, tuple[object, ...]], Computed | None] = {}

    def prepare(self, queries: Iterable[str], params: RankingParams) -> None:
        """Compute and keep the ranking inputs of `queries` under `params`' lexical part."""
        for query in queries:
            self._inputs(query, params)

    def rank(self, query: str, params: RankingParams, k: int = 10) -> list[str]:
        """Passage ids of the top k."""
        computed = self._inputs(query, params)
        if computed is None:
            return []
        ids, lexical, inputs = computed
        scores = fuse_query(inputs, params).scores if inputs is not None else lexical
        return [ids[d] for d, _ in top_ranked(scores, k)]

    def matched(self, query: str, params: RankingParams) -> set[str]:
        """Ids of every passage the query matches by its words (what any reordering works with)."""
        computed = self._inputs(query, params)
        return set() if computed is None else {computed[0][d] for d in computed[1]}

    def _inputs(self, query: str, params: RankingParams) -> Computed | None:
        key = (query, lexical_key(params))
        if key not in self._computed:
            request = SearchRequest(query, mode=self._mode)
            self._computed[key] = run_stages(self._kb, request, params, LEXICAL_STAGES, _computed)  # type: ignore[assignment]
        return self._computed[key]


def _computed(ctx: SearchContext, ranking: Ranking) -> Computed:
    """What ranking a query needs after the lexical stages: the fusion stage's inputs (None when
    search() would not fuse: words alone)."""
    fuses = ctx.semantic is not None and not ranking.browsing
    return ctx.view.passage_ids(), ranking.scores, fusion_inputs(ctx, ranking) if fuses else None


def lexical_ranker(kb: KnowledgeBase) -> StageRanker:
    """The ranking by words alone."""
    return StageRanker(kb, LEXICAL)
