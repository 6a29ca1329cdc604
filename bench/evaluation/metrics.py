"""Ranking metrics (graded nDCG, MRR, recall, R@k) and their per-group averages."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

K = 10
MRR_MIN_GRADE = 2  # MRR counts the first passage graded ≥ 2 ("clearly relevant")


def gain(grade: int) -> float:
    """Exponential gain 2^grade − 1: a direct answer (3) is worth 7 partial ones (1)."""
    return float(2**grade - 1)


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain with the log2(rank + 1) discount."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """nDCG@k; the ideal ranking is built from every judged passage of the query."""
    ideal = dcg(sorted((gain(g) for g in grades.values()), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([gain(grades.get(pid, 0)) for pid in ranked[:k]]) / ideal


def ceiling_ndcg(matched: set[str], grades: Mapping[str, int], k: int = K) -> float:
    """nDCG@k of the best order of the passages a system matched: what no reranking of its
    match set can beat (a judged passage it does not match is lost to ranking)."""
    best = sorted((pid for pid, g in grades.items() if g > 0 and pid in matched), key=lambda pid: -grades[pid])
    return ndcg(best, grades, k)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str] | Mapping[str, int], k: int = K, min_grade: int = 1) -> float:
    """1/rank of the first relevant passage in the top k (grade ≥ min_grade when graded), else 0."""
    for i, pid in enumerate(ranked[:k], 1):
        if isinstance(relevant, Mapping):
            if relevant.get(pid, 0) >= min_grade:
                return 1.0 / i
        elif pid in relevant:
            return 1.0 / i
    return 0.0


def recall(ranked: Sequence[str], relevant: set[str] | Mapping[str, int], k: int = K) -> float:
    """Share of the judged passages found in the top k."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def first_rank(ranked: Sequence[str], grades: Mapping[str, int], min_grade: int = 1) -> int | None:
    """1-based rank of the first passage graded ≥ min_grade, None when not returned."""
    for i, pid in enumerate(ranked, 1):
        if grades.get(pid, 0) >= min_grade:
            return i
    return None


def judged_scores(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> dict[str, float]:
    """nDCG@k, MRR@k (first passage graded ≥ 2) and recall@k of one judged query."""
    return {
        "ndcg@10": ndcg(ranked, grades, k),
        "mrr@10": reciprocal_rank(ranked, grades, k, MRR_MIN_GRADE),
        "recall@10": recall(ranked, grades, k),
    }


def hit_scores(hit_ranks: Sequence[int | None]) -> dict[str, float]:
    """R@1, R@5, MRR@10 from the 1-based rank of the first hit of each question (None: missed)."""
    n = len(hit_ranks) or 1
    return {
        "r@1": sum(1 for r in hit_ranks if r is not None and r <= 1) / n,
        "r@5": sum(1 for r in hit_ranks if r is not None and r <= 5) / n,
        "mrr@10": sum(1.0 / r for r in hit_ranks if r is not None and r <= 10) / n,
    }


def mean_scores(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per-metric mean over queries (0 for an empty list)."""
    if not rows:
        return {}
    return {key: sum(r[key] for r in rows) / len(rows) for key in rows[0]}
