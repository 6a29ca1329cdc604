"""The `corpus/` part of docs/benchmarks.md: new queries in process, over HTTP and under wrk,
beside the same measurements of the code before (bench/results/corpus-before.json) when kept."""

from __future__ import annotations

import re
from typing import Any


def _ok(value: float, target: float, higher_is_better: bool = False) -> str:
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "**missed**"


def _row(label: str, s: dict[str, float], before: dict[str, float] | None = None) -> str:
    was = f" | {before['p50']:.1f} / {before['p99']:.1f} ms" if before else " | "
    return f"| {label} | {s['p50']:.2f} ms | {s['p95']:.2f} ms | {s['p99']:.2f} ms | {s['max']:.1f} ms{was} |"


def _latency(c: dict[str, Any], before: dict[str, Any] | None, t: dict[str, Any]) -> list[str]:
    now, was = c["in_process"], (before or {}).get("in_process", {})
    http, was_http = c["http"], (before or {}).get("http", {})
    lexical, fts = now["lexical"], now["fts5"]
    return [
        f"{lexical['n']} queries new to the process per row (disjoint generated sets: words, pairs, phrases, filters, typos, "
        "questions), `kb.search.search()` with snippets, facets and suggestions; FTS5 on the same queries and passages; "
        "one keep-alive HTTP client against a fresh default `kb serve`, one request at a time.",
        "",
        "| | p50 | p95 | p99 | max | before: p50 / p99 |",
        "| --- | --- | --- | --- | --- | --- |",
        _row("in process, words alone", lexical, was.get("lexical")),
        _row("in process, hybrid", now["hybrid"], was.get("hybrid")),
        _row("in process, hybrid, same queries again", now["hybrid_cached"], was.get("hybrid_cached")),
        _row("FTS5, same queries", fts, was.get("fts5")),
        _row("HTTP, one client, words alone", http["lexical"], was_http.get("lexical")),
        _row("HTTP, one client, hybrid", http["hybrid"], was_http.get("hybrid")),
        "",
        f"Ours / FTS5 at p50: {lexical['p50'] / fts['p50']:.0f}×. Targets: in process by words alone p50 ≤ {t['corpus_p50_ms']} ms "
        f"({_ok(lexical['p50'], t['corpus_p50_ms'])}), p99 ≤ {t['corpus_p99_ms']} ms ({_ok(lexical['p99'], t['corpus_p99_ms'])}); "
        f"over HTTP p50 ≤ {t['corpus_http_p50_ms']} ms ({_ok(http['lexical']['p50'], t['corpus_http_p50_ms'])} by words alone, "
        f"{http['hybrid']['p50']:.1f} ms hybrid).",
    ]


def _wrk_row(h: dict[str, Any], label: str = "") -> str:
    if "skipped" in h:
        return f"| {label}{h['skipped']} | | | | |"
    lat = h["latency_ms"]
    errors = h["non_2xx"] + h["socket_errors"]
    return (f"| {label}{h['mode']} | {h['connections']} | {h['rps']:.0f} | {lat.get('50', 0):.0f} / {lat.get('90', 0):.0f} / "
            f"{lat.get('99', 0):.0f} ms | {errors} of {h['requests']:,} |")


def _load(c: dict[str, Any], before: dict[str, Any] | None, t: dict[str, Any]) -> list[str]:
    runs = [h for h in c["wrk"] if "skipped" not in h]
    lines = [
        "",
        f"`make serve`'s server (`kb serve` defaults: {runs[0]['workers'] if runs else '?'} worker processes, 8 threads each) "
        f"under `wrk -t1 -cN -d{runs[0]['duration_s'] if runs else '?'}s`, {runs[0]['distinct_queries'] if runs else '?'} distinct "
        "generated queries in rotation on `/api/search?mode=…`, a fresh server per run.",
        "",
        "| mode | connections | requests/s | latency p50 / p90 / p99 | errors |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [_wrk_row(h) for h in c["wrk"]]
    lines += [_wrk_row(h, "before: ") for h in (before or {}).get("wrk", [])]
    sixteen = {h["mode"]: h for h in runs if h["connections"] == 16}
    crowd = [h for h in runs if h["connections"] >= 256]
    for mode, h in sixteen.items():
        lines += ["", f"Targets at 16 connections, {mode}: ≥ {t['corpus_rps']} requests/s ({_ok(h['rps'], t['corpus_rps'], True)}: "
                  f"{h['rps']:.0f}), p99 ≤ {t['corpus_rps_p99_ms']} ms ({_ok(h['latency_ms'].get('99', 1e9), t['corpus_rps_p99_ms'])}), "
                  f"0 errors ({_ok(-(h['non_2xx'] + h['socket_errors']), 0, True)})."]
    if crowd:
        errors = sum(h["non_2xx"] + h["socket_errors"] for h in crowd)
        lines += ["", f"256 connections: {errors} errors (target 0: {_ok(-errors, 0, True)})."]
    return lines


def corpus_section(r: dict[str, Any]) -> list[str]:
    """The whole `corpus/` section, or nothing for runs that did not measure it."""
    c = r.get("corpus")
    if not c:
        return []
    t, before = r["targets"], r.get("corpus_before")
    build = c["build"]
    lines = [
        "", "## New queries on `corpus/` (what `make serve` serves)", "",
        f"{c['passages']} passages. Build of `corpus/` from scratch with vectors (empty vector cache): {build['wall']:.1f} s "
        f"(target ≤ {t['corpus_build_s']} s: {_ok(build['wall'], t['corpus_build_s'])}).",
        "",
    ]
    if before:
        lines += [f"« Before » is the same measurement of commit {before.get('commit', '?')} (the code before this work), same machine.", ""]
    lines += _latency(c, before, t) + _load(c, before, t)
    lines += ["", "What a new query by words alone still spends its time on (cProfile, 200 new queries, by own time):", "",
              "```", _trimmed(c["profile"]), "```"]
    return lines


def _trimmed(profile: str, rows: int = 16) -> str:
    """The profile's header line and its top rows, paths shortened to the package."""
    lines = [line for line in profile.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    kept = [lines[i] for i in range(len(lines)) if "function calls" in lines[i]] + lines[start : start + rows + 1]
    return "\n".join(re.sub(r"/\S*/(site-packages|work/[^/ ]+)/", "", line) for line in kept)
