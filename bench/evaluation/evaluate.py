"""`make eval`: judged queries and people's queries over corpus/, and PIAF-dev, ours beside
Whoosh-default and FTS5 baselines computed in the same run on the same passages; --check fails when
a target is missed."""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.evaluation import people as people_set
from bench.evaluation import piaf as piaf_set
from bench.evaluation.baselines import Fts5, Ours, WhooshDefault, index_records
from bench.evaluation.rankers import lexical_ranker
from bench.evaluation.judged import JudgedDataError, JudgedQuery, relevant_detail, resolve
from bench.evaluation.targets import checks, people_checks, semantic_checks
from bench.evaluation.metrics import MRR_MIN_GRADE, ceiling_ndcg, first_rank, hit_scores, judged_scores, mean_scores
from indexer.build import build_index
from kb.search.ranking import DEFAULT_PARAMS, RankingParams
from kb.storage.store import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
RESULTS = ROOT / "bench" / "results" / "eval.json"
SYSTEMS = ("ours", "ours-lexical", "whoosh-default", "fts5")
FAIL_NDCG = 0.8  # a judged query is listed as failing below this nDCG@10 ...
FAIL_RANK = 3  # ... or when its first passage graded ≥ 2 is not in the top 3
MRR_RULE = f"MRR@10 counts the first passage graded >= {MRR_MIN_GRADE}; nDCG gain 2^grade-1, ideal from all judged passages"
Ranker = Callable[[str], Sequence[str]]
Matcher = Callable[[str], set[str]]


def source_state() -> dict[str, Any]:
    """Commit measured and whether kb/ or indexer/ had uncommitted changes (read-only git)."""
    def git(*args: str) -> str | None:
        """One git query, None when git or the repository is missing: the figures never depend on it."""
        try:
            out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    status = git("status", "--porcelain", "--", "kb", "indexer")
    return {"commit": git("rev-parse", "--short", "HEAD"), "engine_changed_since_commit": None if status is None else bool(status)}


def _systems(kb: KnowledgeBase, params: RankingParams) -> dict[str, Any]:
    """The systems over the passages of one index: ours (hybrid when it has vectors), ours by
    words alone, and the two baselines."""
    records = index_records(kb)
    return {"ours": Ours(kb, params), "ours-lexical": Ours(kb, params, mode="lexical"),
            "whoosh-default": WhooshDefault(records), "fts5": Fts5(records)}


def judged_report(queries: list[JudgedQuery], rankers: dict[str, Ranker], texts: dict[str, str] | None = None,
                  matcher: Matcher | None = None) -> dict[str, Any]:
    """Overall and per-type nDCG@10, MRR@10, recall@10 per system, plus our per-query detail
    (with `texts`, passage id → text: each judged passage's rank and the query stems it lacks;
    with `matcher`, our match set per query: the ceiling no reordering of it can beat)."""
    types = sorted({q.type for q in queries})
    out: dict[str, Any] = {"queries": len(queries), "judged_passages": sum(len(q.grades) for q in queries), "rule": MRR_RULE, "systems": {}}
    per_query: list[dict[str, Any]] = []
    for name, rank in rankers.items():
        rows = []
        for q in queries:
            ranked = list(rank(q.query))
            scores = judged_scores(ranked, q.grades)
            rows.append(scores)
            if name == "ours":
                per_query.append({"query": q.query, "type": q.type, **scores, "first_rank": first_rank(ranked, q.grades, MRR_MIN_GRADE),
                                  "best_rank": first_rank(ranked, q.grades, max(q.grades.values())),
                                  "top3": [f"{pid} (g{q.grades.get(pid, 0)})" for pid in ranked[:3]],
                                  **({"relevant": relevant_detail(q.query, q.grades, ranked, texts)} if texts else {})})
        out["systems"][name] = {
            "overall": mean_scores(rows),
            "per_type": {t: {"n": sum(q.type == t for q in queries), **mean_scores([r for r, q in zip(rows, queries) if q.type == t])} for t in types},
        }
    if matcher is not None:
        ceilings = [ceiling_ndcg(matcher(q.query), q.grades) for q in queries]
        for row, value in zip(per_query, ceilings):
            row["ceiling"] = value
        out["ceiling"] = {"overall": _mean(ceilings),
                          "per_type": {t: _mean([c for c, q in zip(ceilings, queries) if q.type == t]) for t in types}}
    out["per_query"] = per_query
    out["failing"] = [r for r in per_query if r["ndcg@10"] < FAIL_NDCG or r["first_rank"] is None or r["first_rank"] > FAIL_RANK]
    return out


def _mean(values: list[float]) -> float:
    """Mean that is 0 for no values, so a query type with no rows never raises."""
    return sum(values) / len(values) if values else 0.0


def piaf_report(kb: KnowledgeBase, data: piaf_set.PiafSet, rankers: dict[str, Ranker]) -> dict[str, Any]:
    """R@1, R@5 and MRR@10 per system over every PIAF-dev question."""
    origins, texts, unmapped = piaf_set.passage_origins(kb, data)
    out: dict[str, Any] = {
        "articles": len(data.titles), "paragraphs": sum(len(c) for c in data.contexts), "passages": len(origins),
        "unmapped_passages": unmapped, "questions": len(data.questions), "systems": {}, "seconds": {},
    }
    for name, rank in rankers.items():
        started = time.perf_counter()
        out["systems"][name] = hit_scores(piaf_set.hit_ranks(rank, data, origins, texts))
        out["seconds"][name] = round(time.perf_counter() - started, 1)
    return out


def run(corpus_root: Path | None = None, piaf_root: Path | None = None, *, judged_path: Path | None = None,
        piaf_path: Path | None = None, params: RankingParams = DEFAULT_PARAMS,
        piaf_systems: tuple[str, ...] = SYSTEMS, people_path: Path | None = None) -> dict[str, Any]:
    """Evaluate each set whose file is given; index roots are built (PIAF: cached in bench/cache) when
    not given. `piaf_systems` picks which systems rank PIAF-dev's 2,025 questions (all by default)."""
    results: dict[str, Any] = {"source": source_state(), "params": dataclasses.asdict(params), "seconds": {}}
    if judged_path is not None or people_path is not None:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
            root = corpus_root or Path(tmp) / "index"
            if corpus_root is None:
                build_index([CORPUS], root)
            kb = KnowledgeBase(root)
            if judged_path is not None:
                systems = _systems(kb, params)
                texts = {p.id: p.text for p in kb.all_passages()}
                words = lexical_ranker(kb)
                results["judged"] = judged_report(resolve(kb, judged_path), {n: s.rank for n, s in systems.items()}, texts,
                                                  lambda query: words.matched(query, params))
                for s in systems.values():
                    s.close()
                results["seconds"]["judged"] = round(time.perf_counter() - started, 1)
            if people_path is not None:
                started = time.perf_counter()
                results["people"] = people_set.report(kb, people_path, params)
                results["seconds"]["people"] = round(time.perf_counter() - started, 1)
    if piaf_path is not None:
        started = time.perf_counter()
        data = piaf_set.load(piaf_path)
        kb = KnowledgeBase(piaf_root or piaf_set.build(data, piaf_path))
        results["seconds"]["piaf_index"] = round(time.perf_counter() - started, 1)
        systems = _systems(kb, params)
        results["piaf"] = piaf_report(kb, data, {n: s.rank for n, s in systems.items() if n in piaf_systems})
        for s in systems.values():
            s.close()
        results["seconds"]["piaf"] = round(time.perf_counter() - started, 1)
    results["checks"] = checks(results)
    results["semantic_checks"] = semantic_checks(results)
    results["people_checks"] = people_checks(results)
    return results


def _fmt(value: float) -> str:
    """Three decimals, the precision every table and target line shares."""
    return f"{value:.3f}"


def tables(results: dict[str, Any]) -> str:
    """Plain-text tables: judged (overall + per type), PIAF, failing judged queries, targets."""
    lines: list[str] = []
    judged = results.get("judged")
    if judged:
        lines.append(f"Judged queries over corpus/ ({judged['queries']} queries, {judged['judged_passages']} judged passages)")
        lines.append(f"  {judged['rule']}")
        head = f"{'type':<12}{'n':>4} | " + " | ".join(f"{s:^23}" for s in SYSTEMS)
        sub = f"{'':<12}{'':>4} | " + " | ".join(f"{'nDCG':>7}{'MRR':>8}{'R@10':>8}" for _ in SYSTEMS)
        lines += [head, sub, "-" * len(head)]
        rows = [("overall", judged["queries"], {s: judged["systems"][s]["overall"] for s in SYSTEMS})]
        for t in judged["systems"]["ours"]["per_type"]:
            rows.append((t, judged["systems"]["ours"]["per_type"][t]["n"], {s: judged["systems"][s]["per_type"][t] for s in SYSTEMS}))
        for label, n, by in rows:
            cells = " | ".join(f"{_fmt(by[s]['ndcg@10']):>7}{_fmt(by[s]['mrr@10']):>8}{_fmt(by[s]['recall@10']):>8}" for s in SYSTEMS)
            lines.append(f"{label:<12}{n:>4} | {cells}")
        ceiling = judged.get("ceiling")
        if ceiling:
            by_type = ", ".join(f"{t} {_fmt(v)}" for t, v in ceiling["per_type"].items())
            lines.append("Ceiling of words alone (nDCG@10 of the best order of the passages each query's words match; no reranking")
            lines.append(f"  can beat it, only matching more): overall {_fmt(ceiling['overall'])}; {by_type}")
        lines.append("")
        lines.append(f"Failing judged queries (ours; nDCG@10 < {FAIL_NDCG} or first passage graded >= 2 not in top {FAIL_RANK}): {len(judged['failing'])}")
        for r in judged["failing"]:
            ceiling_note = f" (ceiling {_fmt(r['ceiling'])})" if "ceiling" in r else ""
            lines.append(f"  [{r['type']}] {r['query']!r}: nDCG {_fmt(r['ndcg@10'])}{ceiling_note}, first g>=2 at {r['first_rank'] or '-'}, best-graded at {r['best_rank'] or '-'}")
            lines.append(f"      top 3: {', '.join(r['top3']) or '(nothing)'}")
            for rel in r.get("relevant", []):
                lacks = ", ".join(rel["lacks"]) or "nothing"
                lines.append(f"      g{rel['grade']} at {rel['rank'] or '-'}, lacks {lacks}: {rel['id']}")
        lines.append("")
    if results.get("people"):
        lines += [people_set.tables(results["people"]), ""]
    piaf = results.get("piaf")
    if piaf:
        lines.append(f"PIAF-dev ({piaf['questions']} questions, {piaf['articles']} articles, {piaf['paragraphs']} paragraphs -> {piaf['passages']} passages, {piaf['unmapped_passages']} unmapped)")
        lines.append("  hit = passage from the gold paragraph that contains an answer text")
        lines.append(f"{'system':<16}{'R@1':>7}{'R@5':>7}{'MRR@10':>8}{'seconds':>9}")
        for s in (s for s in SYSTEMS if s in piaf["systems"]):
            m = piaf["systems"][s]
            lines.append(f"{s:<16}{_fmt(m['r@1']):>7}{_fmt(m['r@5']):>7}{_fmt(m['mrr@10']):>8}{piaf['seconds'][s]:>9}")
        lines.append(f"{'(ref) Lucene FR':<16}{'0.706':>7}{'0.884':>7}{'0.780':>8}   from the issue (not recomputed): Lucene French BM25, k1 1.2 b 0.75")
        lines.append("")
    lines.append("Targets (ours)")
    for c in results["checks"] + results.get("semantic_checks", []) + results.get("people_checks", []):
        if c.get("at_most"):  # stored negated so that `ok` reads the same way
            lines.append(f"  {'ok  ' if c['ok'] else 'MISS'} {c['name']:<34} {_fmt(-c['value'])}  (target <= {-c['target']:.3f})")
        else:
            lines.append(f"  {'ok  ' if c['ok'] else 'MISS'} {c['name']:<34} {_fmt(c['value'])}  (target >= {c['target']:.3f})")
    src = results.get("source") or {}
    dirty = " + uncommitted kb/ or indexer/ changes" if src.get("engine_changed_since_commit") else ""
    lines.append(f"Engine: commit {src.get('commit') or '?'}{dirty}. Seconds: " + ", ".join(f"{k} {v}" for k, v in results["seconds"].items()))
    return "\n".join(lines)


def parse_params(text: str) -> RankingParams:
    """'k1=0.6,b=0.5' → RankingParams with those fields changed (types as declared)."""
    kinds = {f.name: type(getattr(DEFAULT_PARAMS, f.name)) for f in dataclasses.fields(RankingParams)}
    changes: dict[str, Any] = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        name, _, value = item.partition("=")
        if name not in kinds:
            raise ValueError(f"unknown field {name!r}")
        changes[name] = kinds[name](value)
    return dataclasses.replace(DEFAULT_PARAMS, **changes)


def data_file(ap: argparse.ArgumentParser, path: Path | None, option: str, what: str, skip_option: str | None = None) -> Path:
    """The data file an option names, checked before any index is built so a missing one fails at once, named."""
    if path is None:
        ap.error(f"{option} PATH is required ({what})" + (f", or {skip_option}" if skip_option else ""))
    if not path.is_file():
        ap.error(f"{option}: {path} does not exist or is not a file")
    return path


def main(argv: list[str] | None = None) -> int:
    """Print the tables (or JSON), write bench/results/eval.json, exit 1 with --check on a miss."""
    ap = argparse.ArgumentParser(prog="python -m bench.evaluation.evaluate", description=__doc__)
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    ap.add_argument("--check", action="store_true", help="exit with status 1 when a target is missed")
    ap.add_argument("--skip-piaf", action="store_true", help="judged queries only (seconds instead of a minute)")
    ap.add_argument("--skip-judged", action="store_true", help="PIAF-dev only")
    ap.add_argument("--judged", type=Path, metavar="PATH", help="judged queries YAML, e.g. tests/data/judged_queries.yaml (required unless --skip-judged)")
    ap.add_argument("--piaf", type=Path, metavar="PATH", help="PIAF-dev JSON, e.g. ../shared/piaf-dev/piaf-dev.json (required unless --skip-piaf)")
    ap.add_argument("--people", type=Path, metavar="PATH", help="people's queries YAML, e.g. tests/data/people_queries.yaml (optional)")
    ap.add_argument("--output", type=Path, default=RESULTS, help=f"where to write the JSON results (default {RESULTS.relative_to(ROOT)})")
    ap.add_argument("--no-write", action="store_true", help="do not write the JSON results file")
    ap.add_argument("--params", default="", help="RankingParams changes to evaluate, e.g. 'k1=0.4,b=0.5' (see bench.evaluation.tune)")
    args = ap.parse_args(argv)
    try:
        params = parse_params(args.params) if args.params else DEFAULT_PARAMS
    except (TypeError, ValueError) as exc:
        ap.error(f"--params: {exc}")
    judged_path = None if args.skip_judged else data_file(ap, args.judged, "--judged", "the judged queries, YAML", "--skip-judged")
    piaf_path = None if args.skip_piaf else data_file(ap, args.piaf, "--piaf", "the PIAF-dev questions, JSON", "--skip-piaf")
    people_path = None if args.people is None else data_file(ap, args.people, "--people", "the people's queries, YAML")
    started = time.perf_counter()
    try:
        results = run(judged_path=judged_path, piaf_path=piaf_path, params=params, people_path=people_path)
    except JudgedDataError as exc:  # a data error, not a quality figure: say so and stop
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results["seconds"]["total"] = round(time.perf_counter() - started, 1)
    if not args.no_write:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=1) if args.json else tables(results))
    missed = [c["name"] for c in results["checks"] if not c["ok"]]
    if args.check and missed:
        print(f"missed {len(missed)} target(s): {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
