"""The people set (issue 28): queries as people type them (tests/data/people_queries.yaml), reported
beside the judged set: nDCG@10 per system overall and per type, form and persona; answerable
queries that get an empty answer; off-topic queries padded with passages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.evaluation.baselines import Fts5, WhooshDefault, index_records
from bench.evaluation.judged import JudgedQuery, resolve
from bench.evaluation.metrics import MRR_MIN_GRADE, first_rank, judged_scores, mean_scores
from kb.search import SearchRequest, SearchResponse, search
from kb.search.ranking import RankingParams
from kb.semantic.model import load_embedder
from kb.storage.store import KnowledgeBase

OFF_TOPIC = "off-topic"  # the type of a query the corpus cannot answer: no relevant passage
QUESTION_FORMS = ("question", "sentence")  # full questions and sentences, as opposed to "keywords"
PERSONAS = ("volunteer", "journalist", "researcher", "citizen")
SYSTEMS = ("ours", "ours-lexical", "dense", "whoosh-default", "fts5")
MEANING = ("meaning",)  # found_by of a passage found by meaning alone
WORST = 15
K = 10
Ranker = Callable[[str], Sequence[str]]


class Traced:
    """Our engine through kb.search.search() (hybrid by default, or `mode`), keeping each query's
    response: the ids ranked, how each passage was found, the total announced."""

    def __init__(self, kb: KnowledgeBase, params: RankingParams, mode: str | None = None) -> None:
        self._kb, self._params, self._mode = kb, params, mode
        self._responses: dict[str, SearchResponse] = {}

    def response(self, query: str) -> SearchResponse:
        """The first page of K results for `query` (searched once per query)."""
        if query not in self._responses:
            self._responses[query] = search(self._kb, SearchRequest(query, limit=K, mode=self._mode), self._params)
        return self._responses[query]

    def rank(self, query: str) -> list[str]:
        """Passage ids of the first page."""
        return [r.id for r in self.response(query).results]


class Dense:
    """Dense vectors alone: every passage ranked by the cosine of its vector to the query (what
    the issue calls "dense alone"; no words, no floor, so it never answers empty)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._vectors = kb.snapshot().vectors
        self._embedder = load_embedder()
        if self._vectors is None or self._embedder is None:
            raise RuntimeError("the people report needs an index with vectors and the model (kb index builds them)")

    def rank(self, query: str) -> list[str]:
        """Passage ids of the K highest cosines."""
        assert self._vectors is not None and self._embedder is not None
        cosines = self._vectors.matrix @ self._embedder.query(query)
        return [self._vectors.ids[i] for i in np.argsort(-cosines, kind="stable")[:K]]


def load(kb: KnowledgeBase, path: Path) -> tuple[list[JudgedQuery], list[JudgedQuery]]:
    """The answerable queries (every quote resolved to one passage) and the off-topic ones."""
    queries = resolve(kb, path, unanswerable=OFF_TOPIC)
    return [q for q in queries if q.type != OFF_TOPIC], [q for q in queries if q.type == OFF_TOPIC]


def _groups(queries: list[JudgedQuery], rows: list[dict[str, float]], key: Callable[[JudgedQuery], str]) -> dict[str, Any]:
    """Mean scores per value of `key`, with the number of queries of each."""
    out: dict[str, Any] = {}
    for value in sorted({key(q) for q in queries}):
        picked = [r for r, q in zip(rows, queries) if key(q) == value]
        out[value] = {"n": len(picked), **mean_scores(picked)}
    return out


def _system_scores(queries: list[JudgedQuery], rank: Ranker) -> tuple[dict[str, Any], list[list[str]]]:
    """One system over the answerable queries: overall, questions, per type/form/persona, empties."""
    ranked = [list(rank(q.query)) for q in queries]
    rows = [judged_scores(r, q.grades) for r, q in zip(ranked, queries)]
    asked = [r for r, q in zip(rows, queries) if q.form in QUESTION_FORMS]
    return {
        "overall": mean_scores(rows),
        "questions": {"n": len(asked), **mean_scores(asked)},
        "per_type": _groups(queries, rows, lambda q: q.type),
        "per_form": _groups(queries, rows, lambda q: q.form),
        "per_persona": _groups(queries, rows, lambda q: q.persona),
        "empty": sum(1 for r in ranked if not r),
    }, ranked


def _first(response: SearchResponse) -> dict[str, Any] | None:
    """The first result as a reader sees it: id, how it was found, the start of its text."""
    if not response.results:
        return None
    top = response.results[0]
    return {"id": top.id, "found_by": list(top.found_by), "text": " ".join(top.text.split())[:120]}


def _padding(off_topic: list[JudgedQuery], ours: Traced, lexical: Traced) -> dict[str, Any]:
    """Off-topic queries answered anyway: with a passage found by meaning alone in the first K
    (hybrid), with any passage at all (hybrid, and by words alone)."""
    rows = []
    for q in off_topic:
        hybrid, words = ours.response(q.query), lexical.response(q.query)
        rows.append({"query": q.query, "persona": q.persona, "note": q.note, "total": hybrid.total, "shown": len(hybrid.results),
                     "meaning_only": sum(1 for r in hybrid.results if tuple(r.found_by) == MEANING),
                     "lexical_total": words.total, "first": _first(hybrid)})
    return {"queries": len(rows),
            "meaning_only_in_top10": sum(1 for r in rows if r["meaning_only"]),
            "any_passage": sum(1 for r in rows if r["shown"]),
            "any_passage_lexical": sum(1 for r in rows if r["lexical_total"]),
            "per_query": rows}


def _per_query(queries: list[JudgedQuery], ranked: list[list[str]], ours: Traced) -> list[dict[str, Any]]:
    """Our (hybrid) figures per answerable query, with what comes first."""
    out = []
    for q, ids in zip(queries, ranked):
        response = ours.response(q.query)
        out.append({"query": q.query, "type": q.type, "form": q.form, "persona": q.persona, **judged_scores(ids, q.grades),
                    "first_rank": first_rank(ids, q.grades, MRR_MIN_GRADE), "total": response.total,
                    "meaning_only": sum(1 for r in response.results if tuple(r.found_by) == MEANING),
                    "first": _first(response), "first_grade": q.grades.get(ids[0], 0) if ids else None})
    return out


def report(kb: KnowledgeBase, path: Path, params: RankingParams) -> dict[str, Any]:
    """Every figure of the people set over one index of corpus/."""
    answerable, off_topic = load(kb, path)
    ours, lexical = Traced(kb, params), Traced(kb, params, mode="lexical")
    records = index_records(kb)
    baselines = {"whoosh-default": WhooshDefault(records), "fts5": Fts5(records)}
    rankers: dict[str, Ranker] = {"ours": ours.rank, "ours-lexical": lexical.rank, "dense": Dense(kb).rank,
                                  **{n: b.rank for n, b in baselines.items()}}
    out: dict[str, Any] = {"queries": len(answerable) + len(off_topic), "answerable": len(answerable), "off_topic": len(off_topic),
                           "judged_passages": sum(len(q.grades) for q in answerable), "systems": {}}
    try:
        for name, rank in rankers.items():
            out["systems"][name], ranked = _system_scores(answerable, rank)
            if name == "ours":
                out["per_query"] = _per_query(answerable, ranked, ours)
        out["empty_answers"] = {name: s["empty"] for name, s in out["systems"].items()}
        out["padding"] = _padding(off_topic, ours, lexical)
    finally:
        for b in baselines.values():
            b.close()
    out["worst"] = sorted(out["per_query"], key=lambda r: (r["ndcg@10"], r["query"]))[:WORST]
    return out


def _fmt(value: float) -> str:
    """Three decimals, as evaluate.py's tables."""
    return f"{value:.3f}"


def tables(people: dict[str, Any]) -> str:
    """Plain-text tables: nDCG@10 per system by type, form and persona; empties; padding; worst."""
    systems = [s for s in SYSTEMS if s in people["systems"]]
    ours = people["systems"]["ours"]
    lines = [f"People queries over corpus/ ({people['answerable']} answerable, {people['judged_passages']} judged passages; "
             f"{people['off_topic']} off-topic). nDCG@10 (MRR@10 for ours)",
             f"{'group':<22}{'n':>4} | " + "".join(f"{s:>15}" for s in systems) + f"{'ours MRR':>10}"]
    lines.append("-" * len(lines[-1]))
    groups = [("overall", people["answerable"], lambda s: people["systems"][s]["overall"]),
              ("questions+sentences", ours["questions"]["n"], lambda s: people["systems"][s]["questions"])]
    for part, label in (("per_type", "type"), ("per_form", "form"), ("per_persona", "persona")):
        for value, row in ours[part].items():
            groups.append((f"{label} {value}", row["n"], lambda s, part=part, value=value: people["systems"][s][part][value]))
    for label, n, of in groups:
        lines.append(f"{label:<22}{n:>4} | " + "".join(f"{_fmt(of(s)['ndcg@10']):>15}" for s in systems) + f"{_fmt(of('ours')['mrr@10']):>10}")
    lines.append("Answerable queries with an empty answer: " + ", ".join(f"{s} {people['empty_answers'][s]}" for s in systems))
    pad = people["padding"]
    lines.append(f"Off-topic padding ({pad['queries']} queries): {pad['meaning_only_in_top10']} with a passage found by meaning alone "
                 f"in the first {K} (hybrid); {pad['any_passage']} with any passage (hybrid), {pad['any_passage_lexical']} by words alone")
    for r in pad["per_query"]:
        if r["shown"]:
            first = r["first"] or {}
            lines.append(f"  {r['query']!r}: {r['total']} announced, {r['meaning_only']} of {r['shown']} shown by meaning alone; "
                         f"first {first.get('id')} ({'+'.join(first.get('found_by', []))})")
    lines.append(f"Worst {len(people['worst'])} answerable queries (ours, hybrid): what comes first")
    for r in people["worst"]:
        first = r["first"]
        head = f"{first['id']} (g{r['first_grade']}, {'+'.join(first['found_by'])}): {first['text'][:70]!r}" if first else "(nothing)"
        lines.append(f"  [{r['type']}/{r['persona']}] {r['query']!r}: nDCG {_fmt(r['ndcg@10'])}, first g>=2 at {r['first_rank'] or '-'}; {head}")
    return "\n".join(lines)
