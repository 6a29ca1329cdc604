"""Categorisation by risk type: the labelled set's target, the known traps, explanations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbcli import main
from indexer.corpus_passages import passages_by_source, read_passages
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


def _document(*sections: tuple[tuple[str, ...], str]) -> list[tuple[list[str], list[dict]]]:
    passages = [Passage(f"t/x-{i}", "t", section, f"x-{i}", text, i) for i, (section, text) in enumerate(sections)]
    return Classifier.load().classify_document(passages, "Manuel")


def test_one_ambiguous_cue_needs_an_ai_context() -> None:
    text = "Liste des outils de surveillance et de contrôle de l'activité des programmes."
    assert "surveillance" not in _classify(text, ("Surveiller les processus",))
    assert "surveillance" in _classify(text, ("L'IA au travail",))
    [(_, why)] = _document((("Surveiller les processus",), text))
    entry = next(e for e in why if e["category"] == "surveillance")
    assert entry["score"] >= entry["threshold"] and not entry["assigned"]
    assert entry["ai_context"] is None and entry["independent_cues"] == 1  # « surveillance » is inside « outil de surveillance »


def test_two_independent_cues_one_of_several_words_suffice_without_ai() -> None:
    assert "surveillance" in _classify("La vidéosurveillance municipale conserve les données biométriques des passants.")
    assert "surveillance" not in _classify("La vidéosurveillance municipale filme les passants.")


def test_the_ai_context_reaches_the_section_and_the_document() -> None:
    cue = "Les élus ont voté la loi et sa réglementation entrera en vigueur."
    section = (("Les systèmes d'IA",), "Les systèmes d'IA générative se multiplient."), (("Les systèmes d'IA",), cue)
    (_, first), (cats, why) = _document(*section)
    assert "regulation" in cats and why[0]["ai_context"] == "section"
    elsewhere = _document((("Chapitre 1",), "L'IA générative."), (("Chapitre 2",), cue), (("Chapitre 3",), "Rien."), (("Chapitre 4",), "Rien."))
    assert "regulation" not in elsewhere[1][0]  # one section of four names AI: not the document's subject
    mostly = _document((("Chapitre 1",), "L'IA générative."), (("Chapitre 2",), cue), (("Chapitre 3",), "Les LLM."))
    assert "regulation" in mostly[1][0] and next(e for e in mostly[1][1] if e["category"] == "regulation")["ai_context"] == "document"


def test_names_and_verbs_are_not_ai() -> None:
    from kb.categories.words import pattern_keys

    assert pattern_keys("AI act") == ("ai", "act") and pattern_keys("faire un don") == ("faire", "don")
    target = "La cible de make dépend d'une autre cible ; chaque cible est reconstruite."
    assert "armes" not in _classify(target, ("Compiler pour IA-32",))
    assert "armes" in _classify(target, ("Compiler pour l'IA",))


def test_off_topic_manual_gets_no_category(debian_reference_package: Path, tmp_path: Path) -> None:
    """The Debian reference manual (its HTML chapters): software documentation, no AI risk in it."""
    from kb.categories.evaluation import evaluate_off_topic

    chapters = tmp_path / "debian-reference"
    chapters.mkdir()
    for page in (debian_reference_package / "usr/share/debian-reference").glob("*.fr.html"):
        shutil.copy(page, chapters)
    read = read_passages([chapters])
    off_topic = evaluate_off_topic([(ps, read.titles[path]) for path, ps in read.passages.items()], n_process=2)
    assert off_topic.documents >= 10 and off_topic.passages > 2000
    assert not off_topic.categorised, [(p.id, c, p.text[:80]) for p, c in off_topic.categorised]


def test_eval_check_fails_on_a_categorised_off_topic_passage(tmp_path: Path) -> None:
    (tmp_path / "notice.md").write_text("# Notice\n\nLa vidéosurveillance municipale conserve les données biométriques des passants.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "categories", "--labels", str(LABELS), "--corpus", str(CORPUS), "--corpus", str(EXTRA),
                                       "--off-topic", str(tmp_path), "--check", "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert "1 passages, 1 with a category (must be 0): surveillance 1" in result.output
    assert "notice/" in result.output


def test_explanations_say_what_the_ai_context_decided() -> None:
    from kb.categories.context import describe_context

    [(_, why)] = _document((("Surveiller les processus",), "Liste des outils de surveillance et de contrôle de l'activité des programmes."))
    surveillance = next(e for e in why if e["category"] == "surveillance")
    assert describe_context(surveillance).startswith("Hors contexte IA\u00a0: 1 indice indépendant\u00a0; il en faut deux")
    below = dict(surveillance, score=0.5)
    assert describe_context(below) is None  # the score decided alone
    older = {k: v for k, v in surveillance.items() if k not in ("ai_context", "independent_cues")}
    assert describe_context(older) is None
    [(cats, why)] = _document(((), "La vidéosurveillance municipale conserve les données biométriques des passants."))
    assert cats == ["surveillance"] and describe_context(why[0]).startswith("Hors contexte IA, mais 2 indices")
