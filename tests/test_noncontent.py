"""Passages that are not content (issue 28, item 4): the recogniser on the passages the real
indexer cuts from corpus/, on edge cases, and the kind stored in the index, read back by the
search service and shown in the API's JSON and by `kb explain`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask

from indexer.corpus_passages import read_passages
from indexer.noncontent import passage_kind
from kb.models import PASSAGE_KINDS, Link, Passage
from kb.storage.store import KnowledgeBase
from kbcli import main

from .conftest import CORPUS, ROOT

pytest_plugins = ["tests.conftest_web"]

LABELS = yaml.safe_load((ROOT / "tests" / "data" / "noncontent_labels.yaml").read_text(encoding="utf-8"))
PRESS_CONTACT = "amnesty-ia-droits-humains/conclusion-9"
ORDINARY = "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-1"


@pytest.fixture(scope="module")
def corpus_passages() -> dict[str, Passage]:
    """Every passage of corpus/, cut by the real indexer, by id."""
    read = read_passages([CORPUS])
    return {p.id: p for ps in read.passages.values() for p in ps}


def test_press_contact_is_a_contact_block(corpus_passages: dict[str, Passage]) -> None:
    contact = corpus_passages[PRESS_CONTACT]
    assert "@" in contact.text  # the passage the issue names: « Contact presse : … / 06 … »
    assert contact.kind == "contact"


def test_corpus_passages_match_the_judged_labels(corpus_passages: dict[str, Passage]) -> None:
    """Every passage of every document of corpus/ is content but the ones judged otherwise."""
    expected = {pid: LABELS["noncontent"].get(pid) for pid in corpus_passages}
    found = {pid: p.kind for pid, p in corpus_passages.items()}
    assert found == expected
    documents = {p.doc_id for p in corpus_passages.values()}
    assert len(documents) >= 3 and all(
        sum(p.kind is None for p in corpus_passages.values() if p.doc_id == doc) >= 5 for doc in documents
    )


LINKS = {
    "Améliorez le site web.": [Link("Améliorez le site web.", "https://example.org/")],
    "Manifestez : rejoignez une des manifestations ou organisez-en une vous-même.": [
        Link("Manifestez", "https://example.org/"), Link("manifestations", "https://example.org/m"),
        Link("organisez-en une vous-même", "https://example.org/o")],
}


@pytest.mark.parametrize("text", [
    # Prose that cites one address, one phone number, or years and page spans stays content.
    "Pour toute question sur ce dossier, les journalistes peuvent écrire à presse@exemple.org : le service répond sous 48 heures.",
    "Le numéro vert 08 00 00 00 00 est ouvert aux victimes de discrimination algorithmique du lundi au vendredi, de 9 h à 18 h.",
    "Le rapport financier 2024-2025 détaille 84 000 € de recettes ; voir les pages 1500-1576 de l'annexe.",
    # A sentence that happens to be a link, and a call to action with its links, stay content.
    "Améliorez le site web.",
    "Manifestez : rejoignez une des manifestations ou organisez-en une vous-même.",
    # A numbered note written in sentences is content, not a reference.
    "[11] Ce terme a été utilisé pour la première fois par l'un des grands penseurs de l'IA, en 1965.",
    "[2] Ce point est discuté plus loin, dans la partie 2.",
    # A dated line that says something is no credits line.
    "Le 22 janvier 2015, le blog a publié un essai sur la superintelligence lu par des millions de personnes.",
])
def test_prose_stays_content(text: str) -> None:
    assert passage_kind(text, LINKS.get(text, [])) is None


@pytest.mark.parametrize("text, links, kind", [
    ("Contact presse :\nMarie Exemple\nmarie@exemple.org / 01 23 45 67 89", [], "contact"),
    ("Service presse — 12 rue Exemple 75000 Paris — presse@exemple.org — +33 1 23 45 67 89", [], "contact"),
    ("https://a.example.org/un\nhttps://b.example.org/deux\nhttps://c.example.org\nhttps://d.example.org/x?y=1\nwww.e.example.org", [], "links"),
    ("Ressources : https://a.example.org, https://b.example.org, https://c.example.org et https://d.example.org.", [], "links"),
    ("Pour en savoir plus : Les dangers de l'IA.", [Link("Les dangers de l'IA", "/dangers")], "links"),
    ("Télécharger le rapport annuel (PDF)", [Link("Télécharger le rapport annuel (PDF)", "/rapport.pdf")], "links"),
    ("[4] Vardi, Artificial Intelligence: Past and Future, 5. [5] Bostrom, Superintelligence, loc. 597", [], "references"),
    ("© 2024 Exemple International. Tous droits réservés.", [], "credits"),
    ("12 mars 2021 Par Jeanne Exemple – mise à jour juin 2023", [], "credits"),
    ("Sommaire\nIntroduction ........ 3\nLes risques ........ 7\nConclusion …… 12", [], "toc"),
])
def test_noncontent_kinds(text: str, links: list[Link], kind: str) -> None:
    assert passage_kind(text, links) == kind
    assert kind in PASSAGE_KINDS


def test_hostile_text_is_classified_without_a_blowup() -> None:
    """Long runs the patterns scan (word characters before no « @ », dots, digits) stay cheap:
    a blow-up would hang here (one block of a table is never split)."""
    for text in ("a" * 200_000, "." * 200_000 + " 3", "0 " * 100_000, "[1] " + "x, " * 50_000 + "5."):
        assert passage_kind(text) in (None, *PASSAGE_KINDS)


def test_kind_is_stored_and_read_back(kb: KnowledgeBase) -> None:
    assert kb.passage(PRESS_CONTACT).kind == "contact"
    assert kb.passage(ORDINARY).kind is None


def test_older_payload_without_kind_reads_as_content() -> None:
    payload = Passage("d/a-1", "d", ("A",), "a-1", "Un texte.", 0).to_dict()
    assert payload["kind"] is None
    del payload["kind"]
    assert Passage.from_dict(payload).kind is None


def test_api_and_explain_show_the_kind(web_app: Flask, corpus_index: Path) -> None:
    client = web_app.test_client()
    assert client.get(f"/api/passages/{PRESS_CONTACT}").get_json()["kind"] == "contact"
    assert client.get(f"/api/passages/{ORDINARY}").get_json()["kind"] is None
    results = client.get("/api/search?q=contact+presse&mode=lexical").get_json()["results"]
    assert {r["id"]: r["kind"] for r in results}.get(PRESS_CONTACT) == "contact"
    runner = CliRunner()
    shown = runner.invoke(main, ["explain", PRESS_CONTACT, "--index", str(corpus_index)])
    assert shown.exit_code == 0 and "Nature : coordonnées (contact) — pas du contenu citable" in shown.output
    plain = runner.invoke(main, ["explain", ORDINARY, "--index", str(corpus_index)])
    assert plain.exit_code == 0 and "Nature" not in plain.output
