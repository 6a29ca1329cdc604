"""Coordinate search over RankingParams on judged nDCG@10 and PIAF-dev MRR@10/R@1 jointly:
minimises the total shortfall under the targets, then maximises the smallest margin, so no
set is bought at the other's expense."""

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
from bench.evaluation.baselines import OursFast, search_ids
from bench.evaluation.evaluate import CORPUS, data_file, parse_params
from bench.evaluation.targets import TARGETS
from bench.evaluation.judged import JudgedQuery, resolve
from bench.evaluation.metrics import MRR_MIN_GRADE, hit_scores, judged_scores, mean_scores
from indexer.build import build_index
from kb.search.ranking import DEFAULT_PARAMS, RankingParams
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
    "coverage": (0.0, 0.3, 0.6, 1.0, 2.0),
    "phrase": (0.0, 0.75, 1.5, 3.0),
    "phrase_slop": (1, 3, 6),
    "thesaurus": (0.05, 0.1, 0.2, 0.4, 0.7, 1.0),
    "words": (0.05, 0.5, 1.0, 2.0),
    "correction": (0.0, 0.5, 1.0),
}

_state: dict[str, Any] = {}


def _init(corpus_root: str, piaf_root: str | None, queries: list[JudgedQuery], data: Any, origins: Any, texts: Any) -> None:
    """Per worker: its own KnowledgeBase objects (no file handle shared across the fork)."""
    _state.update(corpus=KnowledgeBase(Path(corpus_root)), piaf=KnowledgeBase(Path(piaf_root)) if piaf_root else None,
                  queries=queries, data=data, origins=origins, texts=texts)


def measure(params: RankingParams) -> dict[str, float]:
    """Judged nDCG@10 (overall, worst type) and PIAF R@1/MRR@10 with these parameters."""
    fresh = dataclasses.replace(params)  # never DEFAULT_PARAMS itself: each call opens its own searcher
    out: dict[str, float] = {}
    ours = OursFast(_state["corpus"], fresh)
    queries: list[JudgedQuery] = _state["queries"]
    rows = [judged_scores(ours.rank(q.query), q.grades) for q in queries]
    ours.close()
    out["judged_ndcg@10"] = mean_scores(rows)["ndcg@10"]
    out["judged_mrr@10"] = mean_scores(rows)["mrr@10"]
    out["judged_min_type_ndcg@10"] = min(
        mean_scores([r for r, q in zip(rows, queries) if q.type == t])["ndcg@10"] for t in {q.type for q in queries}
    )
    if _state["piaf"] is not None:
        ours = OursFast(_state["piaf"], fresh)
        scores = hit_scores(piaf_set.hit_ranks(ours.rank, _state["data"], _state["origins"], _state["texts"]))
        ours.close()
        out["piaf_r@1"], out["piaf_mrr@10"] = scores["r@1"], scores["mrr@10"]
    return out


def margins(m: dict[str, float]) -> list[float]:
    """How far each measured figure is above (or below) its target."""
    out = [m["judged_ndcg@10"] - TARGETS["judged_ndcg@10"], m["judged_min_type_ndcg@10"] - TARGETS["judged_type_ndcg@10"]]
    if "piaf_mrr@10" in m:
        out += [m["piaf_mrr@10"] - TARGETS["piaf_mrr@10"], m["piaf_r@1"] - TARGETS["piaf_r@1"]]
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
        fast = OursFast(kb)
        drift = [q.query for q in queries if fast.rank(q.query) != search_ids(kb, q.query)]
        if drift:  # the fast ranker must rank as search() does, or tuning optimises something else
            raise SystemExit(f"OursFast no longer ranks as kb.search.search() on {len(drift)} judged queries, e.g. {drift[0]!r}")
        data = origins = texts = piaf_root = None
        if piaf_path is not None:
            data = piaf_set.load(piaf_path)
            piaf_root = piaf_set.build(data, piaf_path)
            origins, texts, _ = piaf_set.passage_origins(KnowledgeBase(piaf_root), data)
        init = (str(corpus_root), str(piaf_root) if piaf_root else None, queries, data, origins, texts)
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
