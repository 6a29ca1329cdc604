"""Renders one benchmark run as docs/benchmarks.md: tables, targets, machine, how to reproduce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.performance.corpus_report import corpus_section
from bench.performance.engine_report import ENGINE_COMMANDS, engine_section


def _ok(value: float, target: float, higher_is_better: bool) -> str:
    """'met' or a bold 'missed', so a missed target stands out in the rendered page."""
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "**missed**"


def _header(r: dict[str, Any]) -> list[str]:
    """Title, date and machine, and where the scale corpus comes from: what the figures are of."""
    m = r["machine"]
    return [
        "# Benchmarks",
        "",
        f"One run of `make bench` on {r['date']}. Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, "
        f"Python {m['python']}, {m['os']}.",
        "",
        "Scale corpus: `corpus/` + `../shared/corpus-extra/` + Debian's `libreoffice-help-fr` (2,561 HTML pages, "
        "fetched by `bench/performance/scale_corpus.py` with `apt-get download` and `dpkg -x` into `bench/cache/`).",
        "",
    ]


def _build_section(r: dict[str, Any]) -> list[str]:
    """Builds by words alone and with vectors, incremental and no-op: the words-per-second target
    is read off the build by words alone (the one the target was set for)."""
    t = r["targets"]
    full, inc, same = r["build"]["full"], r["build"]["incremental"], r["build"]["unchanged"]
    lexical = r["build"].get("lexical", full)
    wps = lexical["words"] / lexical["wall"]
    lines = [
        "## Index build",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| documents / passages / words | {full['documents']:,} / {full['passages']:,} / {full['words']:,} | |",
        f"| wall time, full build by words alone (`--no-semantic`) | {lexical['wall']:.1f} s | |",
        f"| words per second (build by words alone) | {wps:,.0f} | ≥ {t['words_per_s']:,} ({_ok(wps, t['words_per_s'], True)}) |",
    ]
    alone = lexical.get("spacy_alone")
    if alone:
        merit = wps / alone["words_per_s"]
        lines.append(f"| figure of merit: build words/s ÷ spaCy's own words/s (one process, same passages: "
                     f"{alone['words_per_s']:,.0f} words/s) | {merit:.2f} | ≥ {t.get('merit', 0.75)} ({_ok(merit, t.get('merit', 0.75), True)}) |")
    lines += _vector_rows(full, inc, same)
    lines += [
        f"| peak memory (build process / analysis workers) | {full['rss_mb']:.0f} MB / {full['children_rss_mb']:.0f} MB | |",
        f"| index size on disk (with vectors / words alone) | {full['size_mb']:.1f} MB / {lexical['size_mb']:.1f} MB | |",
        f"| incremental rebuild, one page changed | {inc['wall']:.1f} s ({inc['reindexed']} document re-indexed{_embedded(inc)}) | "
        f"≤ {t.get('incremental_s', 3)} s ({_ok(inc['wall'], t.get('incremental_s', 3), False)}) |",
        f"| rebuild with nothing changed | {same['wall']:.1f} s{_embedded(same, ', ')} | |",
        "",
        "Build phases (seconds, full build with vectors): " + ", ".join(f"{k} {v:.1f}" for k, v in full["timings"].items()) + ".",
        "",
    ]
    return lines


def _embedded(build: dict[str, Any], lead: str = "; ") -> str:
    """How many passages a rebuild embedded (older runs did not record it)."""
    vectors = build.get("vectors") or {}
    return f"{lead}{vectors['embedded']} passages embedded" if "embedded" in vectors else ""


def _vector_rows(full: dict[str, Any], inc: dict[str, Any], same: dict[str, Any]) -> list[str]:
    """The full build with vectors from an empty vector cache, and its embedding stage."""
    vectors = full.get("vectors")
    if not vectors or vectors.get("unavailable"):
        return []
    rate = vectors["embedded"] / vectors["seconds"] if vectors["seconds"] else 0.0
    return [
        f"| wall time, full build with vectors (empty vector cache) | {full['wall']:.1f} s | |",
        f"| embedding stage | {vectors['embedded']:,} passages in {vectors['seconds']:.0f} s ({rate:.1f} passages/s) | |",
    ]


def _queries_section(r: dict[str, Any]) -> list[str]:
    """In-process latency, ours beside FTS5 on the same queries, then ours per query kind."""
    t, q = r["targets"], r["queries"]
    ours, fts = q["ours"], q["fts5"]
    lines = [
        "## Query latency, in process",
        "",
        f"{q['queries']} varied queries (short, pairs, long, phrases, category-filtered, typos, questions, operators, prefixes) "
        "on the scale index, through `kb.search.search()` (snippets, facets and suggestions included); the same queries "
        "against SQLite FTS5 (`unicode61 remove_diacritics 2`, bm25, words OR-ed) over the same passages.",
        "",
        "| | p50 | p95 | p99 | max |",
        "| --- | --- | --- | --- | --- |",
        f"| ours, words alone (`mode=lexical`) | {ours['p50']:.1f} ms | {ours['p95']:.1f} ms | {ours['p99']:.1f} ms | {ours['max']:.1f} ms |",
        *_hybrid_rows(q),
        f"| FTS5 | {fts['p50']:.2f} ms | {fts['p95']:.2f} ms | {fts['p99']:.2f} ms | {fts['max']:.2f} ms |",
        f"| ratio ours / FTS5 | {ours['p50'] / fts['p50']:.0f}× | {ours['p95'] / fts['p95']:.0f}× | {ours['p99'] / fts['p99']:.0f}× | |",
        "",
        f"Targets by words alone: p50 ≤ {t['p50_ms']} ms ({_ok(ours['p50'], t['p50_ms'], False)}), p99 ≤ {t['p99_ms']} ms "
        f"({_ok(ours['p99'], t['p99_ms'], False)})." + (
            f" Hybrid, new queries: p50 ≤ {t['hybrid_p50_ms']} ms ({_ok(q['hybrid']['p50'], t['hybrid_p50_ms'], False)})."
            if "hybrid" in q else ""),
        "",
        "| kind | n | p50 | p95 | max |",
        "| --- | --- | --- | --- | --- |",
    ]
    return lines + [f"| {k} | {v['n']} | {v['p50']:.1f} ms | {v['p95']:.1f} ms | {v['max']:.1f} ms |" for k, v in q["by_kind"].items()]


def _hybrid_rows(q: dict[str, Any]) -> list[str]:
    """Hybrid latency, new queries (embedded now) and the same again (embedding cached by text)."""
    rows = []
    for key, label in (("hybrid", "ours, hybrid, new queries"), ("hybrid_cached", "ours, hybrid, same queries again")):
        if key in q:
            h = q[key]
            rows.append(f"| {label} | {h['p50']:.1f} ms | {h['p95']:.1f} ms | {h['p99']:.1f} ms | {h['max']:.1f} ms |")
    return rows


def _hostile_section(hostile: dict[str, Any] | None) -> list[str]:
    """Seeded hostile queries per kind, their targets and the slowest; nothing for older runs without them."""
    if not hostile:
        return []
    lines = [
        "", "## Hostile queries", "",
        f"{hostile['queries']} seeded hostile queries (`bench/performance/hostile.py`: operator soup, wildcards such as `*` and "
        "`a*`, 10 KB strings, thousands of words, control and arbitrary Unicode characters) through "
        "`kb.search.search()` on the scale index.",
        "",
        "| kind | n | max | mean |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {k} | {v['n']} | {v['max_ms']:.1f} ms | {v['mean_ms']:.1f} ms |" for k, v in hostile["by_kind"].items()]
    lines += [
        "",
        f"Slowest {hostile['max_ms']:.0f} ms; {hostile['over_1s']} over 1 s (target 0: {_ok(-hostile['over_1s'], 0, True)}); "
        f"{len(hostile['errors'])} raised (target 0: {_ok(-len(hostile['errors']), 0, True)}).",
    ]
    lines += [f"- {e}" for e in hostile["errors"][:10]]
    if hostile.get("slowest"):
        lines += ["", "The slowest: " + "; ".join(
            f"{q['ms']:.0f} ms, {q['kind']}, {q['words']:,} words / {q['chars']:,} characters" for q in hostile["slowest"]) + "."]
    return lines


def _http_row(h: dict[str, Any]) -> str:
    """One wrk run as a table row, so runs with 1 and N workers read side by side."""
    lat, rss = h["latency_ms"], h["memory_after"]
    errors = h["non_2xx"] + h["socket_errors"]
    return (
        f"| {h.get('mode', 'lexical')} | {h.get('workers', 1)} | {h['rps']:.0f} | {lat.get('50', 0):.0f} / {lat.get('75', 0):.0f} / {lat.get('90', 0):.0f} / "
        f"{lat.get('99', 0):.0f} ms | {errors} of {h['requests']:,} | {rss['rss_mb']:.0f} MB / {rss['peakrss_mb']:.0f} MB |"
    )


def _http_targets(done: list[dict[str, Any]], t: dict[str, Any]) -> str:
    """The HTTP targets judged on the best throughput, all errors and the largest worker peak."""
    best = max(done, key=lambda h: h["rps"])
    worst_memory = max(h["memory_after"]["peakrss_mb"] for h in done)
    errors = sum(h["non_2xx"] + h["socket_errors"] for h in done)
    return (
        f"Targets: ≥ {t['rps']} requests/s ({_ok(best['rps'], t['rps'], True)}: best {best['rps']:.0f} with "
        f"{best.get('workers', 1)} worker(s)), 0 errors ({_ok(-errors, 0, True)}), ≤ {t['rss_mb']} MB per worker "
        f"({_ok(worst_memory, t['rss_mb'], False)}: largest peak {worst_memory:.0f} MB)."
    )


def _http_section(r: dict[str, Any]) -> list[str]:
    """wrk load per worker count (older runs stored one dict, not a list), or why it was skipped."""
    runs = r["http"] if isinstance(r["http"], list) else [r["http"]]
    lines = ["", "## HTTP under load", ""]
    done = [h for h in runs if "skipped" not in h]
    if not done:
        return lines + [f"Skipped: {runs[0]['skipped']}."]
    first = done[0]
    lines += [
        f"`kb serve --workers N` on 127.0.0.1 (N = 1: waitress, one process, 8 threads; N > 1: N waitress worker "
        f"processes forked after loading, 8 threads each), `wrk -t1 -c{first['connections']} -d{first['duration_s']}s` "
        f"on `/api/search?mode=…` with {first.get('distinct_queries', 240):,} distinct generated queries in rotation, a fresh "
        "server per run (so in hybrid mode every query is embedded on arrival). Memory is the largest worker's.",
        "",
        "| mode | workers | requests/s | latency p50 / p75 / p90 / p99 | errors | memory per worker (now / peak) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [_http_row(h) for h in done]
    return lines + ["", _http_targets(done, r["targets"])]


def _startup_section(r: dict[str, Any]) -> list[str]:
    """Time from launching the server to its first answer, against the start-up target."""
    s, t = r["startup"], r["targets"]
    return [
        "",
        "## Start-up",
        "",
        f"From launching `kb serve` to the first answered `/api/search` (existing scale index): median {s['median']:.2f} s, "
        f"max {s['max']:.2f} s over {s['runs']} runs (target ≤ {t['startup_s']} s: {_ok(s['max'], t['startup_s'], False)}).",
        "",
    ]


def _closing(notes: str) -> list[str]:
    """The hand-written notes (bench/notes.md) if any, then the command that reproduces the run."""
    lines = ["## Notes", "", notes.strip(), ""] if notes else []
    return lines + ["## Reproduce", "", "```sh", "make bench        # or: .venv/bin/python -m bench.performance.run --extra-corpus ../shared/corpus-extra --duration 30 --queries 240",
                     *ENGINE_COMMANDS, "```", ""]


def write_report(r: dict[str, Any], path: Path, notes: str = "") -> None:
    """Write the Markdown report of one run."""
    lines = _header(r) + _build_section(r) + _queries_section(r) + _hostile_section(r.get("hostile"))
    lines += _http_section(r) + _startup_section(r) + corpus_section(r)
    if r.get("engines"):
        lines += engine_section(r["engines"], r["build"]["full"])
    lines += ["", ""] + _closing(notes)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
