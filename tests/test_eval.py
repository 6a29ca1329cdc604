"""The search-quality evaluation (`make eval`) run in-process: metrics, data checks, targets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench.evaluation import evaluate, people, piaf
from bench.evaluation.baselines import Fts5, Record, fts5_query, search_ids
from bench.evaluation.rankers import StageRanker
from bench.evaluation.judged import JudgedDataError, load_raw, resolve
from bench.evaluation.metrics import ceiling_ndcg, hit_scores, judged_scores, ndcg, recall, reciprocal_rank
from kb.search import SearchRequest, search
from kb.search.ranking import DEFAULT_PARAMS
from kb.storage.store import KnowledgeBase

from .conftest import PIAF

JUDGED = Path(__file__).parent / "data" / "judged_queries.yaml"
PEOPLE = Path(__file__).parent / "data" / "people_queries.yaml"
PIAF_SYSTEMS = ("ours", "ours-lexical", "fts5")
JUDGED_TYPES = sorted({str(e["type"]) for e in load_raw(JUDGED)})


@pytest.fixture(scope="session")
def piaf_data() -> piaf.PiafSet:
    return piaf.load(PIAF)


@pytest.fixture(scope="session")
def piaf_index(piaf_data: piaf.PiafSet) -> Path:
    """The PIAF-dev articles indexed once (cached in bench/cache while code and data are unchanged)."""
    return piaf.build(piaf_data, PIAF)


@pytest.fixture(scope="session")
def judged_results(corpus_index: Path) -> dict[str, Any]:
    return evaluate.run(corpus_root=corpus_index, judged_path=JUDGED)


@pytest.fixture(scope="session")
def people_results(corpus_index: Path) -> dict[str, Any]:
    return evaluate.run(corpus_root=corpus_index, people_path=PEOPLE)


@pytest.fixture(scope="session")
def piaf_results(piaf_index: Path) -> dict[str, Any]:
    # whoosh-default's PIAF figures (30 s of the suite's budget) are make eval's: its judged ones stay here.
    return evaluate.run(piaf_root=piaf_index, piaf_path=PIAF, piaf_systems=PIAF_SYSTEMS)


# Metrics ------------------------------------------------------------------------------------


def test_ndcg_uses_exponential_gains_and_the_ideal_of_all_judged_passages() -> None:
    grades = {"a": 3, "b": 1}
    assert ndcg(["a", "b"], grades) == pytest.approx(1.0)
    assert ndcg(["b", "a"], grades) == pytest.approx((1 + 7 / 1.5849625) / (7 + 1 / 1.5849625))
    assert ndcg(["x"] * 10 + ["a"], grades) == 0.0  # beyond the cut-off


def test_mrr_counts_the_first_passage_graded_two_or_more() -> None:
    grades = {"weak": 1, "good": 2}
    assert judged_scores(["weak", "good"], grades)["mrr@10"] == 0.5
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert recall(["weak", "x"], grades) == 0.5


def test_ceiling_is_the_best_order_of_the_matched_judged_passages() -> None:
    grades = {"a": 3, "b": 1, "c": 2, "unjudged": 0}
    assert ceiling_ndcg({"a", "b", "c", "x"}, grades) == pytest.approx(1.0)
    assert ceiling_ndcg({"b", "c"}, grades) == pytest.approx(ndcg(["c", "b"], grades))  # "a" unmatched: lost
    assert ceiling_ndcg({"unjudged", "x"}, grades) == 0.0


def test_hit_scores() -> None:
    assert hit_scores([1, 2, None, 11]) == {"r@1": 0.25, "r@5": 0.5, "mrr@10": pytest.approx((1 + 0.5) / 4)}


# Data and systems ---------------------------------------------------------------------------


def test_every_judged_quote_maps_to_one_passage(kb: KnowledgeBase) -> None:
    queries = resolve(kb, JUDGED)
    assert len(queries) == len(load_raw(JUDGED))
    assert all(q.grades for q in queries)


def test_a_quote_found_nowhere_is_a_data_error(kb: KnowledgeBase, tmp_path: Path) -> None:
    bad = tmp_path / "judged.yaml"
    bad.write_text('- query: "x"\n  type: exact\n  relevant:\n    - {doc: charte-des-valeurs, quote: "pas dans le corpus", grade: 3}\n')
    with pytest.raises(JudgedDataError, match="pas dans le corpus"):
        resolve(kb, bad)


def test_people_set_meets_the_issue_minimums() -> None:
    """Issue 28: >= 100 answerable queries, >= 20 off-topic, at least half of them full questions or
    sentences, four personas, the kinds of query people type; no query twice."""
    entries = load_raw(PEOPLE, unanswerable=people.OFF_TOPIC)
    answerable = [e for e in entries if e["type"] != people.OFF_TOPIC]
    off_topic = [e for e in entries if e["type"] == people.OFF_TOPIC]
    assert len(answerable) >= 100 and len(off_topic) >= 20
    assert {e["form"] for e in entries} == {*people.QUESTION_FORMS, "keywords"}
    for subset in (entries, answerable):
        assert sum(e["form"] in people.QUESTION_FORMS for e in subset) >= len(subset) / 2
    assert {e["persona"] for e in entries} == set(people.PERSONAS)
    assert all(sum(e["persona"] == p for e in answerable) >= 20 for p in people.PERSONAS)
    assert {"question", "informal", "vocabulary-gap", "english", "no-accents", "typo", "keywords"} == {e["type"] for e in answerable}
    assert len({e["query"].casefold() for e in entries}) == len(entries)


def test_every_people_quote_maps_to_one_passage(kb: KnowledgeBase) -> None:
    answerable, off_topic = people.load(kb, PEOPLE)
    raw = [e for e in load_raw(PEOPLE, unanswerable=people.OFF_TOPIC) if e["type"] != people.OFF_TOPIC]
    assert off_topic and not any(q.grades for q in off_topic)
    # each quote names its own passage: two quotes of one query in one passage would lose a grade
    assert [len(q.grades) for q in answerable] == [len(e["relevant"]) for e in raw]
    assert all(q.persona in people.PERSONAS and q.form for q in answerable + off_topic)


def test_the_judged_loader_still_needs_relevant_passages(tmp_path: Path) -> None:
    """Only a caller naming the unanswerable type accepts entries without passages."""
    entry = '- query: "horoscope"\n  type: off-topic\n'
    bare, listed = tmp_path / "bare.yaml", tmp_path / "listed.yaml"
    bare.write_text(entry)
    listed.write_text(entry + '  relevant:\n    - {doc: charte-des-valeurs, quote: "pacifiste", grade: 3}\n')
    for path in (bare, PEOPLE):
        with pytest.raises(JudgedDataError, match="needs query, type and relevant"):
            load_raw(path)
    assert load_raw(bare, unanswerable="off-topic")[0]["query"] == "horoscope"
    with pytest.raises(JudgedDataError, match="is off-topic but lists relevant passages"):
        load_raw(listed, unanswerable="off-topic")


def test_people_report_has_its_figures(people_results: dict[str, Any], kb: KnowledgeBase) -> None:
    report = people_results["people"]
    assert report["answerable"] >= 100 and report["off_topic"] >= 20
    assert set(report["systems"]) == set(people.SYSTEMS)
    for name, system in report["systems"].items():
        assert 0 <= system["overall"]["ndcg@10"] <= 1 and system["questions"]["n"] >= report["answerable"] / 2
        assert sum(row["n"] for row in system["per_type"].values()) == report["answerable"]
        assert set(system["per_persona"]) == set(people.PERSONAS) and set(system["per_form"]) == {*people.QUESTION_FORMS, "keywords"}
        assert report["empty_answers"][name] == system["empty"] <= report["answerable"]
    assert report["empty_answers"]["dense"] == 0  # vectors alone always rank every passage
    rows = report["per_query"]
    assert sum(r["ndcg@10"] for r in rows) / len(rows) == pytest.approx(report["systems"]["ours"]["overall"]["ndcg@10"])
    assert sum(r["first"] is None for r in rows) == report["empty_answers"]["ours"]
    padding = report["padding"]
    assert padding["queries"] == report["off_topic"] == len(padding["per_query"])
    assert 0 <= padding["meaning_only_in_top10"] <= padding["any_passage"] <= padding["queries"]
    assert padding["meaning_only_in_top10"] == sum(1 for r in padding["per_query"] if r["meaning_only"])
    assert padding["any_passage_lexical"] == sum(1 for r in padding["per_query"] if r["lexical_total"])
    for row in padding["per_query"]:  # the counts are the service's own answers, page by page
        hybrid = search(kb, SearchRequest(row["query"], limit=10)).results
        assert row["meaning_only"] == sum(1 for r in hybrid if r.found_by == ("meaning",)) and row["shown"] == len(hybrid)
        assert row["lexical_total"] == search(kb, SearchRequest(row["query"], mode="lexical")).total
    worst = report["worst"]
    assert len(worst) == people.WORST and worst[-1]["ndcg@10"] <= min(r["ndcg@10"] for r in rows if r not in worst)
    text = evaluate.tables(people_results)
    assert "People queries" in text and "empty answer" in text and "Off-topic padding" in text and worst[0]["query"] in text


PEOPLE_MET = ["people off-topic padded share"]
PEOPLE_MISSED = ["people nDCG@10", "people nDCG@10 [questions]", "people empty answers"]  # 0.667, 0.592, 1 when written


def _people_check(results: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in results["people_checks"] if c["name"] == name)


@pytest.mark.parametrize("name", PEOPLE_MET)
def test_people_floors_met(people_results: dict[str, Any], name: str) -> None:
    assert {c["name"] for c in people_results["people_checks"]} == set(PEOPLE_MET + PEOPLE_MISSED)
    assert _people_check(people_results, name)["ok"], _people_check(people_results, name)


@pytest.mark.xfail(strict=True, reason="issue 28's people floors not met yet (nDCG@10 0.667 < 0.80, questions 0.592 < 0.70, "
                   "1 empty answer > 0): the suite flags the day one passes")
@pytest.mark.parametrize("name", PEOPLE_MISSED)
def test_people_floors_missed(people_results: dict[str, Any], name: str) -> None:
    assert _people_check(people_results, name)["ok"], _people_check(people_results, name)


def test_fts5_queries_never_break_on_syntax() -> None:
    fts = Fts5([Record("p1", "La reconnaissance faciale à Paris", "Surveillance", "Dossier")])
    try:
        for query in ['"reconnaissance faciale"', 'AND OR NOT NEAR( * ^ : "', "l'IA ?", "-", '"un"']:
            fts.rank(query)
        assert fts.rank("reconnaissance OR rien") == ["p1"]
        assert fts5_query('l\'IA "reconnaissance faciale" x"y') == '"l" OR "IA" OR "reconnaissance faciale" OR "x" OR "y"'
    finally:
        fts.close()


def test_piaf_paragraphs_stay_intact(piaf_index: Path, piaf_data: piaf.PiafSet) -> None:
    origins, _, unmapped = piaf.passage_origins(KnowledgeBase(piaf_index), piaf_data)
    assert unmapped == 0
    assert len(origins) >= sum(len(c) for c in piaf_data.contexts)


def test_a_trial_of_the_fusion_reuses_the_inputs_and_ranks_as_search_with_it(kb: KnowledgeBase) -> None:
    """The tuner's ranker runs search()'s own stages; what it adds is the cache of each query's
    fusion inputs, keyed by the lexical parameters: a trial of the fusion's must rank as search()."""
    queries = [e["query"] for e in load_raw(JUDGED)][::4]
    ranker = StageRanker(kb)
    ranker.prepare(queries, DEFAULT_PARAMS)
    other = replace(DEFAULT_PARAMS, semantic_question=0.5, semantic=0.8, semantic_candidates=5)  # a trial of the fusion
    lexical = replace(DEFAULT_PARAMS, k1=1.6)  # a trial of the words' ranking: searched again
    for params in (DEFAULT_PARAMS, other, lexical):
        assert [ranker.rank(q, params) for q in queries] == [search_ids(kb, q, params, mode="hybrid") for q in queries], params


def test_failing_queries_say_which_query_words_their_passages_lack(judged_results: dict[str, Any]) -> None:
    from kb.analysis import analyze, stem_analyzer

    failing = judged_results["judged"]["failing"]
    assert failing, "no failing query: the strict xfail below must go"
    for row in failing:
        stems = set(analyze(stem_analyzer(), row["query"]))
        assert row["relevant"] and all(set(rel["lacks"]) <= stems for rel in row["relevant"])
        assert all(rel["rank"] is None or 1 <= rel["rank"] <= 10 for rel in row["relevant"])
    assert "lacks" in evaluate.tables(judged_results)


def test_no_query_ranks_above_the_ceiling_of_its_own_match_set(judged_results: dict[str, Any]) -> None:
    """The matcher behind the ceiling sees the passages the lexical ranker ranks: never less
    (the hybrid ranking also shows passages found by meaning, so it may pass that ceiling)."""
    judged = judged_results["judged"]
    assert judged["ceiling"]["overall"] >= judged["systems"]["ours-lexical"]["overall"]["ndcg@10"]
    for kind, row in judged["ceiling"]["per_type"].items():
        assert row >= judged["systems"]["ours-lexical"]["per_type"][kind]["ndcg@10"] - 1e-9, kind
    assert "Ceiling of words alone" in evaluate.tables(judged_results)


# Targets ------------------------------------------------------------------------------------


@pytest.mark.xfail(strict=True, reason="target not met yet (issue 4 stays open): judged nDCG@10 0.876 overall (hybrid), "
                   "question 0.705; strict, so the suite flags the day it passes and this marker must go")
def test_judged_query_targets(judged_results: dict[str, Any]) -> None:
    checks = judged_results["checks"]
    assert {c["name"] for c in checks} == {"judged nDCG@10"} | {f"judged nDCG@10 [{t}]" for t in JUDGED_TYPES}
    missed = [f"{c['name']} {c['value']:.3f} < {c['target']}" for c in checks if not c["ok"]]
    assert not missed, "missed: " + "; ".join(missed) + "\n\n" + evaluate.tables(judged_results)


@pytest.mark.slow
def test_piaf_targets(piaf_results: dict[str, Any]) -> None:
    piaf_part = piaf_results["piaf"]
    assert piaf_part["questions"] == 2025
    assert set(piaf_part["systems"]) == set(PIAF_SYSTEMS)
    assert piaf_part["systems"]["ours"]["r@1"] > piaf_part["systems"]["ours-lexical"]["r@1"]  # meaning adds to words
    missed = [f"{c['name']} {c['value']:.3f} < {c['target']}" for c in piaf_results["checks"] if not c["ok"]]
    assert not missed, "missed: " + "; ".join(missed) + "\n\n" + evaluate.tables(piaf_results)


MET = ["hybrid judged nDCG@10", "hybrid judged [question]", "hybrid PIAF MRR@10"] + [f"hybrid [{t}] vs words alone" for t in JUDGED_TYPES]
# PIAF R@1 sits on its floor of 0.78, and where exactly depends on the CPU that embeds: with the
# same code (562378a), 0.781 on the Intel Xeon (AVX-512) a session ran on (cold or warm vector
# cache alike) and 0.779 on the CI host, whose vectors differ in their last bits. `make eval` reports the
# floor itself; the suite fails when R@1 falls more than that measured spread (3 of 2,025
# questions) below it.
PIAF_R1_CPU_SPREAD = 3 / 2025


def _semantic_check(results: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in results["semantic_checks"] if c["name"] == name)


@pytest.mark.slow
@pytest.mark.parametrize("name", MET)
def test_semantic_targets_met(judged_results: dict[str, Any], piaf_results: dict[str, Any], name: str) -> None:
    check = _semantic_check(piaf_results if "PIAF" in name else judged_results, name)
    assert check["ok"], f"{name} {check['value']:.3f} < {check['target']}"


@pytest.mark.slow
def test_piaf_r1_within_the_cpu_spread_of_its_floor(piaf_results: dict[str, Any]) -> None:
    check = _semantic_check(piaf_results, "hybrid PIAF R@1")
    assert check["value"] >= check["target"] - PIAF_R1_CPU_SPREAD, f"hybrid PIAF R@1 {check['value']:.4f} < {check['target']} - {PIAF_R1_CPU_SPREAD:.4f}"


def test_check_flag_sets_the_exit_status(judged_results: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(evaluate, "run", lambda **_: judged_results)
    expected = 0 if all(c["ok"] for c in judged_results["checks"]) else 1
    assert evaluate.main(["--skip-piaf", "--judged", str(JUDGED), "--no-write", "--check"]) == expected
    out = capsys.readouterr().out
    assert "whoosh-default" in out and "fts5" in out and "Failing judged queries" in out
    assert evaluate.main(["--skip-piaf", "--judged", str(JUDGED), "--no-write"]) == 0


def test_data_files_are_named_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No default data path: a missing option or file stops the run before any index is built, named."""
    for argv, named in ([["--skip-piaf"], "--judged PATH is required"], [["--skip-judged"], "--piaf PATH is required"],
                        [["--skip-piaf", "--judged", str(tmp_path / "none.yaml")], f"--judged: {tmp_path / 'none.yaml'} does not exist"],
                        [["--skip-piaf", "--judged", str(JUDGED), "--people", str(tmp_path / "p.yaml")], f"--people: {tmp_path / 'p.yaml'} does not exist"]):
        with pytest.raises(SystemExit) as exc:
            evaluate.main([*argv, "--no-write"])
        assert exc.value.code == 2 and named in capsys.readouterr().err


def test_people_option_reaches_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(**kwargs: Any) -> dict[str, Any]:
        seen.update(kwargs)
        return {"source": {}, "seconds": {}, "checks": [], "semantic_checks": []}

    monkeypatch.setattr(evaluate, "run", fake_run)
    assert evaluate.main(["--skip-piaf", "--judged", str(JUDGED), "--people", str(PEOPLE), "--no-write"]) == 0
    assert seen["people_path"] == PEOPLE and seen["judged_path"] == JUDGED
