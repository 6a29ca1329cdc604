"""Coordinate search over RankingParams on judged nDCG@10 and PIAF-dev MRR@10/R@1 jointly, as
search() ranks by default (hybrid: words and meaning): minimises the total shortfall under the
targets (the original floors and the hybrid ranking's), then maximises the smallest margin, so
no set is bought at the other's expense. Trials of the fusion's own fields reuse each query's
lexical scores and cosines (bench/evaluation/rankers.py) and take seconds."""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.evaluation import piaf as piaf_set
from bench.evaluation.evaluate import CORPUS, data_file, parse_params
from bench.evaluation.targets import SEMANTIC_TARGETS, TARGETS
from bench.evaluation.judged import JudgedQuery, resolve
from bench.evaluation.metrics import MRR_MIN_GRADE, hit_scores, judged_scores, mean_scores
from bench.evaluation.rankers import StageRanker, lexical_ranker
from indexer.build import build_index
from kb.search.ranking import DEFAULT_PARAMS, FUSION_FIELDS, RankingParams
from kb.storage.store import KnowledgeBase

# Values tried per field; `text` stays 1.0 as the unit the other boosts are relative to.
# A field boost of 0 leaves the field out of the query (kb.search skips it), which also avoids
# Whoosh's division by the boost when it skips low-quality blocks.
GRID: dict[str, tuple[float, ...]] = {
    "k1": (0.4, 0.6, 0.9, 1.2, 1.6, 2.0),
    "b": (0.3, 0.5, 0.75, 0.9, 1.0),
    "heading": (0.0, 0.05, 0.3, 0.6, 1.0),
    "title": (0.0, 0.05, 0.15, 0.3, 0.6),
    "text_stem": (0.05, 0.3, 0.6, 1.0),
    "heading_stem": (0.05, 0.15, 0.3, 0.6),
    "title_stem": (0.0, 0.05, 0.15, 0.3),
    "context_stem": (0.0, 0.05, 0.1, 0.3, 0.6, 1.0),
    "description_stem": (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.3, 0.6),
    "coverage": (0.0, 0.3, 0.6, 1.0, 2.0),
    "phrase": (0.0, 0.75, 1.5, 3.0),
    "phrase_slop": (1, 3, 6),
    "thesaurus": (0.05, 0.1, 0.2, 0.4, 0.7, 1.0),
    "words": (0.05, 0.5, 1.0, 2.0),
    "correction": (0.0, 0.5, 1.0),
    "fusion": ("zscore", "rrf"),
    "semantic": (0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2),
    "semantic_question": (0.3, 0.6, 1.0, 1.5, 2.0, 3.0),
    "question_groups": (3, 4, 5, 6, 99),
    "semantic_candidates": (0, 3, 5, 10, 20, 40),
    "rrf_k": (5, 10, 30, 60, 100),
    "semantic_depth": (20, 50, 100, 200),
}

_state: dict[str, Any] = {}


def _init(corpus: StageRanker, piaf: StageRanker | None, queries: list[JudgedQuery], data: Any, origins: Any, texts: Any,
          lexical_types: dict[str, float]) -> None:
    """Per worker: the rankers and their caches, inherited from the parent through the fork."""
    _state.update(corpus=corpus, piaf=piaf, queries=queries, data=data, origins=origins, texts=texts, lexical_types=lexical_types)


def type_scores(rows: list[dict[str, float]], queries: list[JudgedQuery]) -> dict[str, float]:
    """Judged nDCG@10 per query type."""
    return {t: mean_scores([r for r, q in zip(rows, queries) if q.type == t])["ndcg@10"] for t in sorted({q.type for q in queries})}


def measure(params: RankingParams) -> dict[str, float]:
    """Judged nDCG@10 (overall, per type, worst type, worst drop from words alone) and PIAF
    R@1/MRR@10 of the hybrid ranking with these parameters."""
    out: dict[str, float] = {}
    queries: list[JudgedQuery] = _state["queries"]
    rows = [judged_scores(_state["corpus"].rank(q.query, params), q.grades) for q in queries]
    by_type = type_scores(rows, queries)
    out["judged_ndcg@10"] = mean_scores(rows)["ndcg@10"]
    out["judged_mrr@10"] = mean_scores(rows)["mrr@10"]
    out["judged_min_type_ndcg@10"] = min(by_type.values())
    out["judged_question_ndcg@10"] = by_type.get("question", 1.0)
    out["judged_min_type_gain"] = min(v - _state["lexical_types"].get(t, v) for t, v in by_type.items())
    if _state["piaf"] is not None:
        ranker: StageRanker = _state["piaf"]
        scores = hit_scores(piaf_set.hit_ranks(lambda text: ranker.rank(text, params), _state["data"], _state["origins"], _state["texts"]))
        out["piaf_r@1"], out["piaf_mrr@10"] = scores["r@1"], scores["mrr@10"]
    return out


def margins(m: dict[str, float]) -> list[float]:
    """How far each measured figure is above (or below) its target, original and hybrid floors."""
    out = [m["judged_ndcg@10"] - max(TARGETS["judged_ndcg@10"], SEMANTIC_TARGETS["judged_ndcg@10"]),
           m["judged_min_type_ndcg@10"] - TARGETS["judged_type_ndcg@10"],
           m["judged_question_ndcg@10"] - SEMANTIC_TARGETS["question_ndcg@10"],
           m["judged_min_type_gain"] + SEMANTIC_TARGETS["type_drop"]]
    if "piaf_mrr@10" in m:
        out += [m["piaf_mrr@10"] - max(TARGETS["piaf_mrr@10"], SEMANTIC_TARGETS["piaf_mrr@10"]),
                m["piaf_r@1"] - max(TARGETS["piaf_r@1"], SEMANTIC_TARGETS["piaf_r@1"])]
    return out


def objective(m: dict[str, float]) -> tuple[float, float]:
    """Total shortfall under the targets (0 when all are met), then the smallest margin."""
    ms = margins(m)
    return (round(sum(min(x, 0.0) for x in ms), 6), round(min(ms), 6))


def _line(m: dict[str, Any]) -> str:
    """One trial's figures and objective on one line, so the log shows why a value was kept."""
    figures = "  ".join(f"{k.replace('judged_', 'j-').replace('_type_', '-type-')} {v:.3f}" for k, v in m.items() if isinstance(v, float))
    shortfall, least = objective(m)
    return f"{figures}  shortfall {shortfall:+.3f} min-margin {least:+.3f}"


def coordinate_search(pool: Any, start: RankingParams, passes: int, fields: list[str], log: Any) -> tuple[RankingParams, dict[str, float], list[dict[str, Any]]]:
    """Try every grid value of one field at a time, keep the best, until a pass changes nothing."""
    best, best_m = start, pool.map(measure, [start])[0]
    history = [{"params": dataclasses.asdict(best), **best_m}]
    print(f"start: {_line(best_m)}", file=log, flush=True)
    for n in range(1, passes + 1):
        changed = False
        for name in fields:
            current = getattr(best, name)
            candidates = [dataclasses.replace(best, **{name: v}) for v in GRID[name] if v != current]
            started = time.perf_counter()
            for cand, m in zip(candidates, pool.map(measure, candidates)):
                history.append({"params": dataclasses.asdict(cand), **m})
                print(f"    {name}={getattr(cand, name)!s:<5} {_line(m)}", file=log, flush=True)
                if objective(m) > objective(best_m):
                    best, best_m, changed = cand, m, True
            print(f"pass {n} {name:<13}= {getattr(best, name)!s:<5} {_line(best_m)}  ({time.perf_counter() - started:.0f}s)", file=log, flush=True)
        if not changed:
            break
    return best, best_m, history


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) both indexes, search the grid, print the best parameters and figures."""
    ap = argparse.ArgumentParser(prog="python -m bench.evaluation.tune", description=__doc__)
    ap.add_argument("--passes", type=int, default=3, help="coordinate-search passes at most (default 3)")
    ap.add_argument("--workers", type=int, default=max(1, min(4, multiprocessing.cpu_count())))
    ap.add_argument("--fields", default=",".join(GRID), help="comma-separated RankingParams fields to tune")
    ap.add_argument("--start", default="", help="start point instead of the defaults, e.g. 'k1=0.6,b=0.5'")
    ap.add_argument("--skip-piaf", action="store_true", help="judged queries only (fast, but tunes to one set)")
    ap.add_argument("--judged", type=Path, metavar="PATH", help="judged queries YAML, e.g. tests/data/judged_queries.yaml (required)")
    ap.add_argument("--piaf", type=Path, metavar="PATH", help="PIAF-dev JSON, e.g. ../shared/piaf-dev/piaf-dev.json (required unless --skip-piaf)")
    ap.add_argument("--output", type=Path, help="write the best parameters and every trial as JSON here")
    args = ap.parse_args(argv)
    fields = [f for f in args.fields.split(",") if f]
    unknown = [f for f in fields if f not in GRID]
    if unknown:
        ap.error(f"unknown field(s): {', '.join(unknown)}; tunable: {', '.join(GRID)}")
    try:
        start = parse_params(args.start)
    except (TypeError, ValueError) as exc:
        ap.error(f"--start: {exc}")
    judged_path = data_file(ap, args.judged, "--judged", "the judged queries, YAML")
    piaf_path = None if args.skip_piaf else data_file(ap, args.piaf, "--piaf", "the PIAF-dev questions, JSON", "--skip-piaf")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kb-tune-") as tmp:
        corpus_root = Path(tmp) / "index"
        build_index([CORPUS], corpus_root)
        kb = KnowledgeBase(corpus_root)
        queries = resolve(kb, judged_path)
        corpus = StageRanker(kb)
        corpus.prepare([q.query for q in queries], start)
        lexical = lexical_ranker(kb)
        lexical_types = type_scores([judged_scores(lexical.rank(q.query, start), q.grades) for q in queries], queries)
        data = origins = texts = piaf = None
        if piaf_path is not None:
            data = piaf_set.load(piaf_path)
            pkb = KnowledgeBase(piaf_set.build(data, piaf_path))
            origins, texts, _ = piaf_set.passage_origins(pkb, data)
            piaf = StageRanker(pkb)
            piaf.prepare([q.text for q in data.questions], start)
        print(f"fusion inputs ready ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
        init = (corpus, piaf, queries, data, origins, texts, lexical_types)
        with multiprocessing.get_context("fork").Pool(args.workers, _init, init) as pool:
            best, best_m, history = coordinate_search(pool, start, args.passes, fields, sys.stdout)
    changed = {k: v for k, v in dataclasses.asdict(best).items() if getattr(DEFAULT_PARAMS, k) != v}
    print(f"\nMRR rule: first passage graded >= {MRR_MIN_GRADE}. Trials: {len(history)}, {time.perf_counter() - started:.0f}s")
    print(f"start:   {_line(history[0])}")
    print(f"best:    {_line(best_m)}")
    print("best RankingParams changes: " + (", ".join(f"{k}={v}" for k, v in changed.items()) or "none"))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps({"best": dataclasses.asdict(best), "figures": best_m, "trials": history}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
