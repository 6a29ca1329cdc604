"""Categorisation by risk type: the labelled set's target, the known traps, explanations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbcli import main
from indexer.corpus_passages import passages_by_source
from kb.categories.evaluation import evaluate_categories, format_report
from kb.categories.classify import Classifier
from kb.models import Passage
from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase
from kb.categories.taxonomy import CORE_SLUGS, get_category, load_taxonomy

from .conftest import CORPUS, EXTRA

LABELS = Path(__file__).parent / "data" / "category_labels.yaml"


@pytest.fixture(scope="module")
def report():
    passages, titles = passages_by_source([CORPUS, EXTRA])
    return evaluate_categories(LABELS, passages, titles=titles)


def test_labelled_set_meets_the_target(report) -> None:
    print(format_report(report))
    assert len(report.judgements) >= 60
    assert report.micro["f1"] >= 0.90, format_report(report)
    for slug in CORE_SLUGS:
        assert report.per_category[slug]["f1"] >= 0.80, format_report(report)


def test_labelled_set_covers_every_category_and_none(report) -> None:
    for slug in CORE_SLUGS:
        assert report.per_category[slug]["support"] >= 8
    assert sum(1 for j in report.judgements if not j.gold) >= 15


def _classify(text: str, section: tuple[str, ...] = (), title: str | None = None) -> list[str]:
    return Classifier.load().classify(Passage("t/x-1", "t", section, "x-1", text, 0), title)[0]


@pytest.mark.parametrize(
    ("text", "section", "wrong"),
    [
        ("2. Pause IA est une association pacifiste. Nous n’utiliserons et n’encouragerons jamais d’actes de violence.", ("Nos valeurs",), "armes"),
        ("Échangez sur les risques de l'IA sur les réseaux sociaux. Le site web de Pause IA est sans doute un bon point de départ.", (), "algorithmes"),
        ("Tentez de convaincre des journalistes d'écrire sur la question de la sécurité de l'IA.", (), "surveillance"),
        ("Organisez un séminaire sur la sécurité de l'IA sur votre lieu de travail.", (), "surveillance"),
    ],
)
def test_known_traps_do_not_fire(text: str, section: tuple[str, ...], wrong: str) -> None:
    assert wrong not in _classify(text, section)


def test_section_heading_carries_the_category_unless_the_text_says_otherwise() -> None:
    section = ("I. LES ATTEINTES AUX DROITS HUMAINS LIÉES À L'IA", "1. Surveillance généralisée et discriminatoire")
    assert "surveillance" in _classify("Par ailleurs, les conséquences ne touchent pas tout le monde de la même manière.", section)
    assert "surveillance" not in _classify("Par ailleurs, les conséquences ne touchent pas tout le monde de la même manière.", ())


def test_multiple_categories_from_text_evidence() -> None:
    cats = _classify("Les logiciels espions et la reconnaissance faciale côtoient les systèmes d'armes autonomes.")
    assert {"surveillance", "armes"} <= set(cats)


def test_taxonomy_has_required_slugs_definitions_and_mit_mapping() -> None:
    slugs = [c.slug for c in load_taxonomy()]
    assert slugs[:4] == list(CORE_SLUGS)
    for c in load_taxonomy():
        assert c.label and c.definition and c.mit_domains and c.evidence
    assert any(d["id"] == "4.2" for d in get_category("armes").mit_domains)
    assert any(d["id"] == "4.1" for d in get_category("surveillance").mit_domains)


def test_index_keeps_the_explanation_and_filters_by_category(kb: KnowledgeBase) -> None:
    pid = "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-5"
    passage = kb.passage(pid)
    assert "surveillance" in passage.categories
    why = next(e for e in passage.explanation if e["category"] == "surveillance")
    assert why["assigned"] and why["score"] >= why["threshold"]
    assert why["section"]["heading"] == "1. Surveillance généralisée et discriminatoire"
    results = search(kb, SearchRequest("droits", categories=("armes",), limit=100, explain=True)).to_json()["results"]
    assert results and all("armes" in r["categories"] for r in results)
    assert all(any(e["category"] == "armes" and e["assigned"] for e in r["explanation"]) for r in results)


def test_cli_category_filter_stats_explain_and_eval(corpus_index: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["search", "droits", "--category", "armes", "--category", "surveillance", "--json", "--index", str(corpus_index), "--limit", "100"])
    data = json.loads(out.output)
    assert data["total"] == len(data["results"]) and all({"armes", "surveillance"} & set(r["categories"]) for r in data["results"])
    assert set(data["facets"]["category"]) >= {"armes", "surveillance"}
    explain = runner.invoke(main, ["explain", "amnesty-ia-droits-humains/4-l-autonomisation-des-armes-1", "--index", str(corpus_index), "--json"])
    assert "armes" in json.loads(explain.output)["categories"]
    evaluation = runner.invoke(main, ["eval", "categories", "--labels", str(LABELS), "--corpus", str(CORPUS), "--corpus", str(EXTRA), "--check"])
    assert evaluation.exit_code == 0, evaluation.output
    assert "micro" in evaluation.output and "surveillance" in evaluation.output
