"""New queries on `corpus/` (what `make serve` serves): in process by words alone and hybrid, FTS5
on the same passages, one client over HTTP, wrk against the default `kb serve`, and a profile of
what a new query still spends its time on."""

from __future__ import annotations

import cProfile
import http.client
import io
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from bench.evaluation.baselines import Fts5, index_records
from bench.performance.http import free_port, rss_mb, run_wrk, stop, wait_until_answering
from bench.performance.queries import BenchQuery, build_queries, vocabulary
from kb.search import SearchRequest, search
from kb.search.request import HYBRID, LEXICAL
from kb.storage.store import KnowledgeBase

QUERIES = 200  # per measured set; each set is new to the process that answers it


def summary(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of milliseconds (nearest rank)."""
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": ordered[-1], "n": len(ordered)}


def _timed(run: Callable[[BenchQuery], object], queries: list[BenchQuery]) -> list[float]:
    out = []
    for q in queries:
        start = time.perf_counter()
        run(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def query_sets(kb: KnowledgeBase, n: int = QUERIES) -> list[list[BenchQuery]]:
    """Five disjoint sets of `n` queries drawn from the index's words (different seeds, duplicates
    across sets dropped): no set repeats a query another set has already warmed."""
    vocab = vocabulary(kb)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    sets = []
    for seed in range(11, 16):
        fresh = [q for q in build_queries(kb, 3 * n, seed=seed, vocab=vocab)[19:] if (q.text, q.categories) not in seen]
        sets.append(fresh[:n])
        seen.update((q.text, q.categories) for q in fresh[:n])
    return sets


def in_process(kb: KnowledgeBase, lexical_set: list[BenchQuery], hybrid_set: list[BenchQuery]) -> dict[str, Any]:
    """search() on queries new to this process: by words alone, hybrid, hybrid again (cached), FTS5."""
    search(kb, SearchRequest("warm up", mode=HYBRID))

    def run(mode: str) -> Callable[[BenchQuery], object]:
        return lambda q: search(kb, SearchRequest(q.text, categories=q.categories, limit=10, mode=mode))

    lexical = _timed(run(LEXICAL), lexical_set)
    hybrid = _timed(run(HYBRID), hybrid_set)
    cached = _timed(run(HYBRID), hybrid_set)
    fts5 = Fts5(index_records(kb))
    fts = _timed(lambda q: fts5.rank(q.text), lexical_set)
    return {"lexical": summary(lexical), "hybrid": summary(hybrid), "hybrid_cached": summary(cached), "fts5": summary(fts)}


def profile(kb: KnowledgeBase, queries: list[BenchQuery], top: int = 18) -> str:
    """cProfile of search() by words alone on new queries: the functions that take the most time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for q in queries:
        search(kb, SearchRequest(q.text, categories=q.categories, limit=10, mode=LEXICAL))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def _serve_default(kb_cmd: str, index: Path, port: int) -> subprocess.Popen:
    """`kb serve` with its defaults (one worker per core, hybrid when the build has vectors)."""
    command = [kb_cmd, "serve", "--index", str(index), "--port", str(port)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def one_client(kb_cmd: str, index: Path, lexical_set: list[BenchQuery], hybrid_set: list[BenchQuery]) -> dict[str, Any]:
    """One keep-alive client, one request at a time, against a fresh default `kb serve`."""
    port = free_port()
    proc = _serve_default(kb_cmd, index, port)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/api/health", proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def get(mode: str) -> Callable[[BenchQuery], object]:
            def run(q: BenchQuery) -> object:
                params = [("q", q.text), ("mode", mode)] + [("category", c) for c in q.categories]
                conn.request("GET", "/api/search?" + urlencode(params), headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    raise RuntimeError(f"{response.status} for {q.text!r}: {body[:200]!r}")
                return body
            return run

        return {"lexical": summary(_timed(get(LEXICAL), lexical_set)), "hybrid": summary(_timed(get(HYBRID), hybrid_set)),
                "memory": rss_mb(proc.pid)}
    finally:
        stop(proc)


def bench_corpus(kb_cmd: str, index: Path, duration: int) -> dict[str, Any]:
    """Every new-query measurement on the `corpus/` index at `index`."""
    kb = KnowledgeBase(index)
    lexical_set, hybrid_set, http_lexical, http_hybrid, profiled = query_sets(kb)
    print("corpus/: in process…", file=sys.stderr)
    result: dict[str, Any] = {"passages": kb.stats()["passages"], "in_process": in_process(kb, lexical_set, hybrid_set)}
    print("corpus/: profile…", file=sys.stderr)
    result["profile"] = profile(kb, profiled)
    print("corpus/: one HTTP client…", file=sys.stderr)
    result["http"] = one_client(kb_cmd, index, http_lexical, http_hybrid)
    print("corpus/: wrk…", file=sys.stderr)
    rotation = build_queries(kb, 4000, seed=99)  # run_wrk keeps the distinct ones
    result["wrk"] = [run_wrk(kb_cmd, index, duration, rotation, connections=c, workers=None, mode=m)
                     for m, c in ((HYBRID, 16), (LEXICAL, 16), (HYBRID, 256), (LEXICAL, 256))]
    return result


def main() -> None:
    """Only the `corpus/` measurements, on an existing build (to compare two versions of the code)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.performance.corpus_queries", description=__doc__)
    parser.add_argument("--index", type=Path, required=True, help="an index of corpus/ built with vectors")
    parser.add_argument("--duration", type=int, default=30, help="seconds of each wrk run")
    parser.add_argument("--output", type=Path, required=True, help="where the JSON figures go")
    args = parser.parse_args()
    kb_cmd = str(Path(sys.executable).parent / "kb")
    args.output.write_text(json.dumps(bench_corpus(kb_cmd, args.index, args.duration), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
