"""The targets `make eval` checks: the original floors, and those of the hybrid ranking (issue 16)."""

from __future__ import annotations

from typing import Any

TARGETS = {"judged_ndcg@10": 0.90, "judged_type_ndcg@10": 0.80, "piaf_mrr@10": 0.80, "piaf_r@1": 0.73}
SEMANTIC_TARGETS = {"judged_ndcg@10": 0.87, "question_ndcg@10": 0.70, "type_drop": 0.01, "piaf_mrr@10": 0.85, "piaf_r@1": 0.78}
# Issue 28: the people set (queries as people type them): nDCG@10 of its answerable queries, of
# its questions and sentences, answerable queries with an empty answer (at most), share of
# off-topic queries with a passage found by meaning alone in their first 10 (at most).
PEOPLE_TARGETS = {"ndcg@10": 0.80, "questions_ndcg@10": 0.70, "empty": 0, "padded_share": 0.10}


def _check(name: str, value: float, target: float) -> dict[str, Any]:
    """One target with our measured value; `ok` False when it is missed."""
    return {"name": name, "value": value, "target": target, "ok": value >= target - 1e-9}


def checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every original target with our measured value."""
    out: list[dict[str, Any]] = []
    if results.get("judged"):
        ours = results["judged"]["systems"]["ours"]
        out.append(_check("judged nDCG@10", ours["overall"]["ndcg@10"], TARGETS["judged_ndcg@10"]))
        out += [_check(f"judged nDCG@10 [{t}]", row["ndcg@10"], TARGETS["judged_type_ndcg@10"]) for t, row in ours["per_type"].items()]
    if results.get("piaf"):
        ours = results["piaf"]["systems"]["ours"]
        out += [_check("PIAF MRR@10", ours["mrr@10"], TARGETS["piaf_mrr@10"]), _check("PIAF R@1", ours["r@1"], TARGETS["piaf_r@1"])]
    return out


def semantic_checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The hybrid ranking's floors, and no judged type more than SEMANTIC_TARGETS["type_drop"]
    below its figure by words alone."""
    out: list[dict[str, Any]] = []
    if results.get("judged"):
        ours, lexical = results["judged"]["systems"]["ours"], results["judged"]["systems"]["ours-lexical"]
        out.append(_check("hybrid judged nDCG@10", ours["overall"]["ndcg@10"], SEMANTIC_TARGETS["judged_ndcg@10"]))
        out.append(_check("hybrid judged [question]", ours["per_type"]["question"]["ndcg@10"], SEMANTIC_TARGETS["question_ndcg@10"]))
        drop = SEMANTIC_TARGETS["type_drop"]
        out += [_check(f"hybrid [{t}] vs words alone", row["ndcg@10"], round(lexical["per_type"][t]["ndcg@10"] - drop, 3))
                for t, row in ours["per_type"].items()]
    if results.get("piaf"):
        ours = results["piaf"]["systems"]["ours"]
        out += [_check("hybrid PIAF MRR@10", ours["mrr@10"], SEMANTIC_TARGETS["piaf_mrr@10"]),
                _check("hybrid PIAF R@1", ours["r@1"], SEMANTIC_TARGETS["piaf_r@1"])]
    return out


def people_checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The people set's floors (issue 28); counts are checked as 'at most', written as negatives."""
    people = results.get("people")
    if not people:
        return []
    ours = people["systems"]["ours"]
    padded = people["padding"]["meaning_only_in_top10"] / max(1, people["padding"]["queries"])
    return [_check("people nDCG@10", ours["overall"]["ndcg@10"], PEOPLE_TARGETS["ndcg@10"]),
            _check("people nDCG@10 [questions]", ours["questions"]["ndcg@10"], PEOPLE_TARGETS["questions_ndcg@10"]),
            {**_check("people empty answers", -people["empty_answers"]["ours"], -PEOPLE_TARGETS["empty"]), "at_most": True},
            {**_check("people off-topic padded share", -padded, -PEOPLE_TARGETS["padded_share"]), "at_most": True}]
