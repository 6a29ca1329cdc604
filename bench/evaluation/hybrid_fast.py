"""search()'s hybrid ranking for tuning: each query's fusion inputs (lexical scores, cosines) are
computed once, so trials that vary only the fusion's parameters rank without searching again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from bench.evaluation.baselines import OursFast
from kb.search.dense import cosines
from kb.search.fuse import FusionInputs, fuse_query
from kb.search.match import matching_docnums
from kb.search.parse import parse_query
from kb.search.ranking import FUSION_FIELDS, RankingParams
from kb.search.score import top_ranked
from kb.semantic.model import load_embedder
from kb.storage.store import KnowledgeBase


def lexical_key(params: RankingParams) -> tuple[object, ...]:
    """The parameters the fusion inputs depend on (all but the fusion's own)."""
    return tuple(v for k, v in dataclasses.asdict(params).items() if k not in FUSION_FIELDS)


class HybridFast:
    """Ranks as kb.search.search(mode="hybrid") without snippets and facets; `prepare` fills the
    cache before a fork, so worker processes share it and never touch the parent's file handles."""

    name = "ours-hybrid-fast"

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._inputs: dict[tuple[str, tuple[object, ...]], FusionInputs | None] = {}
        self._ids: list[str] = []

    def prepare(self, queries: Iterable[str], params: RankingParams) -> None:
        """Compute and keep the fusion inputs of `queries` under `params`' lexical part."""
        ranker = OursFast(self._kb, params)
        try:
            self._ids = self._passage_ids(ranker)
            for query in queries:
                self._inputs[(query, lexical_key(params))] = self._compute(ranker, query)
        finally:
            ranker.close()

    def rank(self, query: str, params: RankingParams, k: int = 10) -> list[str]:
        """Passage ids of the top k."""
        key = (query, lexical_key(params))
        if key not in self._inputs:  # a trial of the lexical parameters: search again
            ranker = OursFast(self._kb, params)
            try:
                self._ids = self._ids or self._passage_ids(ranker)
                self._inputs[key] = self._compute(ranker, query)
            finally:
                ranker.close()
        inputs = self._inputs[key]
        if inputs is None:
            return []
        return [self._ids[d] for d, _ in top_ranked(fuse_query(inputs, params).scores, k)]

    @staticmethod
    def _passage_ids(ranker: OursFast) -> list[str]:
        reader = ranker.searcher.reader()
        ids = [""] * reader.doc_count_all()
        for docnum, fields in reader.iter_docs():
            ids[docnum] = fields["id"]
        return ids

    def _compute(self, ranker: OursFast, query: str) -> FusionInputs | None:
        """What search() fuses for `query` (None: nothing matches by words, so nothing is shown)."""
        compiled, scores, suggestion = ranker.lexical(query)
        if compiled is None or not scores:
            return None
        snapshot, embedder = self._kb.snapshot(), load_embedder()
        vectors = snapshot.vectors
        parsed = parse_query(query)
        if vectors is None or embedder is None:
            raise RuntimeError("hybrid tuning needs an index with vectors and the model")
        exact = any(u.phrase or u.prefix for u in parsed.units())
        excluded = frozenset() if exact else frozenset(matching_docnums(ranker.searcher, compiled.excluded))
        cosine = cosines(ranker.searcher, vectors, snapshot.key, embedder.query(suggestion or query))
        return FusionInputs(scores, cosine, len(parsed.groups), query.rstrip().endswith("?"), exact, excluded)
