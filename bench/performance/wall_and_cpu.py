"""Wall and CPU time of new queries in this process, side by side: CPU above wall means threads
besides the search's own (numpy's BLAS, the embedding session) are at work; `--profile` prints
where a third set of new hybrid queries spends its time. Measured with it (issue 29): OpenBLAS's
second thread, 47.4 ms of CPU for 23.7 ms of wall per new hybrid query at scale.

    python -m bench.performance.wall_and_cpu INDEX [--queries 150] [--profile]
    OPENBLAS_NUM_THREADS=1 KB_EMBED_THREADS=1 python -m bench.performance.wall_and_cpu INDEX
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from bench.performance.corpus_queries import query_sets
from bench.performance.queries import BenchQuery
from kb.search import SearchRequest, search
from kb.search.request import HYBRID, LEXICAL
from kb.storage.store import KnowledgeBase


def timings(kb: KnowledgeBase, queries: list[BenchQuery], mode: str) -> str:
    """p50 and p90 of wall and CPU milliseconds per search."""
    wall, cpu = [], []
    for q in queries:
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        search(kb, SearchRequest(q.text, categories=q.categories, limit=10, mode=mode))
        wall.append((time.perf_counter() - wall_start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    wall.sort()
    cpu.sort()

    def at(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))]

    return (f"wall p50 {at(wall, 0.5):.1f} p90 {at(wall, 0.9):.1f} ms, "
            f"CPU p50 {at(cpu, 0.5):.1f} p90 {at(cpu, 0.9):.1f} ms ({len(queries)} new queries)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=int, default=150)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    kb = KnowledgeBase(args.index)
    sets = query_sets(kb, args.queries)
    search(kb, SearchRequest("échauffement", mode=HYBRID))  # models and reader loaded
    print("hybrid ", timings(kb, sets[0], HYBRID))
    print("lexical", timings(kb, sets[1], LEXICAL))
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        timings(kb, sets[2], HYBRID)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
