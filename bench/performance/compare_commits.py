"""Search cost of several commits, measured in the same run on one index: each commit's code
exported (git archive) and run by search_cpu.py in a fresh process, commits alternating round
after round, so load and cache drift fall on all alike. CPU time per search, not wall time: the
machine may be shared. The query file is written once (new queries from the index's vocabulary).

    python -m bench.performance.compare_commits INDEX --rounds 3 --reps 20 base=3d07a70 now=HEAD"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.performance.queries import build_queries
from kb.storage.store import KnowledgeBase

CHILD = Path(__file__).with_name("search_cpu.py")
ROOT = Path(__file__).resolve().parents[2]


def export(commit: str, into: Path) -> Path:
    """The commit's files in `into` (git archive: its own code, none of the working tree's)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(len(ordered) * q))]  # noqa: E731
    return f"p50 {statistics.median(values):.2f} p90 {pick(0.9):.2f} p99 {pick(0.99):.2f} (n={len(values)})"


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.performance.compare_commits", description=__doc__)
    ap.add_argument("index", type=Path)
    ap.add_argument("commits", nargs="+", help="name=commit, e.g. base=3d07a70 now=HEAD")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20, help="repetitions of the 20 warm queries per round")
    ap.add_argument("--queries", type=int, default=400, help="new queries (half hybrid, half lexical)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-compare-") as tmp:
        queries = Path(tmp) / "queries.json"
        queries.write_text(json.dumps([q.text for q in build_queries(KnowledgeBase(args.index), n=args.queries, seed=11)]), encoding="utf-8")
        trees = {name: export(commit, Path(tmp) / name) for name, commit in (spec.split("=", 1) for spec in args.commits)}
        child = Path(tmp) / CHILD.name  # run from a folder of its own: bench/performance/http.py would shadow the stdlib's
        child.write_text(CHILD.read_text(encoding="utf-8"), encoding="utf-8")
        runs: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                env = {**os.environ, "PYTHONPATH": str(tree)}
                out = subprocess.run([sys.executable, str(child), str(args.index), str(args.reps), str(queries)],
                                     cwd=tree, env=env, check=True, capture_output=True, text=True).stdout
                for kind, values in json.loads(out).items():
                    runs[name].setdefault(kind, []).extend(values)
    print(f"CPU ms per search, {os.getloadavg()[0]:.1f} load at the end")
    for name, kinds in runs.items():
        print(f"{name:<8} " + "  ".join(f"{kind}: {summary(values)}" for kind, values in sorted(kinds.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
