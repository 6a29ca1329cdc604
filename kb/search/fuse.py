"""The fusion stage: the lexical and the semantic rankings into one (the kinds and weights
compared on the judged queries and PIAF-dev are in docs/search-quality.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kb.search.ranking import RankingParams
from kb.storage.backend import Scores


@dataclass(frozen=True)
class Fused:
    """The fused scores, and the passages the semantic ranking put among its best."""

    scores: Scores
    by_meaning: frozenset[int]


@dataclass(frozen=True)
class FusionInputs:
    """What the fusion of one query depends on, computed once: the tuner varies the fusion's
    parameters over these without searching again (bench/evaluation/tune.py)."""

    lexical: Scores
    cosine: np.ndarray  # by document number; -inf where a passage has no vector
    groups: int  # the query's terms, to tell a question from keywords
    asks: bool  # ends with "?"
    exact: bool  # a "phrase" or a prefix*: passages without the words are not shown
    excluded: frozenset[int]  # passages holding an -excluded word: never shown
    noncontent: frozenset[int] = frozenset()  # contact blocks, link lists…: never shown by meaning alone


def fuse_query(inputs: FusionInputs, p: RankingParams) -> Fused:
    """The shown ranking of a hybrid search: the semantic signal weighs p.semantic_question for a
    question (ending in "?" or of p.question_groups terms or more), p.semantic otherwise; passages
    found by meaning alone are left out when the query asks for exact words, they hold an
    excluded word, they are not content, or their closeness does not clear the query's floor."""
    question = inputs.asks or inputs.groups >= p.question_groups
    cosine = _floored(inputs, p, p.meaning_floor_question if question else p.meaning_floor)
    fused = fuse(inputs.lexical, cosine, p, p.semantic_question if question else p.semantic, inputs.cosine)
    if inputs.exact:
        shown = {d: s for d, s in fused.scores.items() if d in inputs.lexical}
    elif inputs.excluded:
        shown = {d: s for d, s in fused.scores.items() if d not in inputs.excluded}
    else:
        return fused
    return Fused(shown, fused.by_meaning)


def meaning_floor(cosine: np.ndarray, p: RankingParams, floor: float) -> float:
    """The closeness a passage must reach to be shown by meaning alone: p.meaning_z standard
    deviations above the query's mean cosine over the whole index, and at least `floor`.
    Relative to the query's own distribution: e5's cosines sit in 0.7-0.9 for any text, and
    some queries are close to everything."""
    finite = cosine[np.isfinite(cosine)]
    if not len(finite):
        return float("inf")
    return max(floor, float(finite.mean() + p.meaning_z * finite.std()))


def _floored(inputs: FusionInputs, p: RankingParams, floor: float) -> np.ndarray:
    """The cosines with what may not be shown by meaning alone set to -inf (those passages stay
    ranked by both signals when their words match)."""
    cosine = inputs.cosine.copy()
    below = cosine < meaning_floor(inputs.cosine, p, floor)
    if inputs.noncontent:
        below[list(inputs.noncontent)] = True
    if inputs.lexical:
        below[list(inputs.lexical)] = False
    cosine[below] = -np.inf
    return cosine


def fuse(lexical: Scores, cosine: np.ndarray, p: RankingParams, weight: float, scoring: np.ndarray | None = None) -> Fused:
    """Lexical matches and the semantic ranking's first p.semantic_candidates passages (of
    `cosine`), scored by p.fusion: "zscore" (each signal standardised over those candidates, the
    semantic one — `scoring`'s cosines, `cosine`'s by default — times `weight`) or "rrf" (reciprocal
    ranks, 1/(p.rrf_k + rank), the semantic one's times `weight`)."""
    scoring = cosine if scoring is None else scoring
    scored = np.flatnonzero(np.isfinite(cosine))
    depth = min(max(p.semantic_depth, p.semantic_candidates), len(scored))
    semantic_order = scored[_best_first(cosine[scored], depth)].tolist()
    best = frozenset(semantic_order[: p.semantic_candidates])
    candidates = sorted(set(lexical) | best)
    if p.fusion == "rrf":
        return Fused(_rrf(lexical, semantic_order, candidates, p.rrf_k, weight), best)
    lex = np.array([lexical.get(d, 0.0) for d in candidates])
    fused = _standard(lex) + weight * _standard(scoring[candidates].astype(np.float64))
    return Fused(dict(zip(candidates, fused.tolist())), best)


def _best_first(values: np.ndarray, depth: int) -> np.ndarray:
    """Positions of the `depth` highest values, highest first, ties in position order: what a
    stable argsort's first `depth` are, without sorting them all (3.2 ms → 0.3 ms over 33,534)."""
    if depth <= 0:
        return np.zeros(0, dtype=np.int64)
    negated = -values
    if depth >= len(values):
        return np.argsort(negated, kind="stable")
    kth = np.partition(negated, depth - 1)[depth - 1]
    within = np.flatnonzero(negated <= kth)  # every tie of the last one kept, then cut in position order
    return within[np.lexsort((within, negated[within]))][:depth]


def _standard(values: np.ndarray) -> np.ndarray:
    """(x - mean) / sd over the candidates: BM25 and cosines on one scale (cosines of e5 all sit
    in 0.7-0.9, so a raw sum would be BM25 alone). A value that is not finite (-inf: a lexical
    match the build has no vector for) says nothing either way: it stands at the mean, 0, and
    the others are standardised without it."""
    finite = np.isfinite(values)
    out = np.zeros_like(values, dtype=np.float64)
    if finite.sum() < 2:
        return out
    kept = values[finite]
    sd = kept.std()
    if sd > 0:
        out[finite] = (kept - kept.mean()) / sd
    return out


def _rrf(lexical: Scores, semantic_order: list[int], candidates: list[int], k: int, weight: float) -> Scores:
    lexical_rank = {d: r for r, d in enumerate(sorted(lexical, key=lambda d: (-lexical[d], d)))}
    semantic_rank = {d: r for r, d in enumerate(semantic_order)}
    out: Scores = {}
    for d in candidates:
        score = 1.0 / (k + lexical_rank[d] + 1) if d in lexical_rank else 0.0
        if d in semantic_rank:
            score += weight / (k + semantic_rank[d] + 1)
        out[d] = score
    return out
