"""Document → passages: merging fragments, splitting long paragraphs, stable readable ids."""

from __future__ import annotations

import re

import pytest

from indexer.catalogue import load_catalogue
from indexer.loaders import load_document
from indexer.passages import MAX_CHARS, make_passages, merge_fragments, split_long
from kb.models import Block

from .conftest import CORPUS, EXTRA

ID_RE = re.compile(r"^[a-z0-9-]+/[a-z0-9-]+-\d+$")


def _passages(name: str, folder=CORPUS):
    return make_passages(load_document(folder / name, load_catalogue(folder).get(name)))


def test_ids_are_readable_url_safe_and_unique() -> None:
    for name in ("passez-a-l-action.md", "charte-des-valeurs.md", "amnesty-dossier-de-presse-ia-droits-humains.txt"):
        passages = _passages(name)
        ids = [p.id for p in passages]
        assert len(ids) == len(set(ids))
        assert all(ID_RE.match(i) for i in ids), ids
    dossier = _passages("amnesty-dossier-de-presse-ia-droits-humains.txt")
    assert dossier[4].id == "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-1"


def test_ids_are_stable_across_runs_and_unrelated_edits(tmp_path) -> None:
    source = (CORPUS / "passez-a-l-action.md").read_text(encoding="utf-8")
    first = [(p.id, p.text) for p in _passages("passez-a-l-action.md")]
    assert first == [(p.id, p.text) for p in _passages("passez-a-l-action.md")]
    # Editing one section leaves the ids of the other sections untouched.
    edited = source.replace("- **Améliorez le site web.**", "- [Améliorez le site web.](https://example.org)\n- Traduisez nos pages.")
    path = tmp_path / "passez-a-l-action.md"
    path.write_text(edited, encoding="utf-8")
    second = {p.id: p.text for p in make_passages(load_document(path))}
    for pid, text in first:
        if not pid.split("/")[1].startswith("vous-savez-produire"):
            assert second[pid] == text


def test_short_fragments_are_merged_with_a_neighbour() -> None:
    texts = [p.text for p in _passages("passez-a-l-action.md")]
    assert not any(t == "Vous en faites désormais partie." for t in texts)
    assert any(t.endswith("Vous en faites désormais partie.") for t in texts)
    # ...but a short list item stays a passage of its own: it is a unit of its list.
    assert "Écrivez à vos représentants politiques." in texts


def test_title_like_fragment_joins_the_following_block() -> None:
    blocks = [
        Block("paragraph", "Lettre « Pause Giant AI Experiments » (2023)", ("FLI",)),
        Block("paragraph", "Publiée en mars 2023, cette lettre appelle à une pause d'au moins six mois.", ("FLI",)),
    ]
    merged = merge_fragments(blocks)
    assert len(merged) == 1 and merged[0].text.startswith("Lettre « Pause Giant AI Experiments » (2023) Publiée")


def test_long_paragraphs_are_split_at_sentence_boundaries() -> None:
    sentence = "Les systèmes d'armes autonomes soulèvent des questions fondamentales de droit. "
    block = Block("paragraph", (sentence * 40).strip(), ("Armes",))
    pieces = split_long(block)
    assert len(pieces) > 1
    assert all(len(p.text) <= MAX_CHARS for p in pieces)
    assert all(p.text.endswith(".") for p in pieces)
    assert " ".join(p.text for p in pieces) == block.text
    long_article = make_passages(load_document(EXTRA / "waitbutwhy1.md"))
    assert max(len(p.text) for p in long_article) <= MAX_CHARS + 200


@pytest.mark.parametrize("long_sentences", [1, 2, 3])
def test_a_short_last_chunk_joins_the_one_before_and_no_text_is_lost(long_sentences: int) -> None:
    sentence = "Une phrase assez longue pour remplir la moitié d'un passage. " * 10
    block = Block("paragraph", (sentence.strip() + " ") * long_sentences + "Fin du texte.", ("Armes",))
    pieces = split_long(block, max_chars=len(sentence) + 10)
    assert " ".join(p.text for p in pieces) == block.text
    assert pieces[-1].text.endswith("Fin du texte.") and len(pieces) == long_sentences


def test_contact_block_is_its_own_passage() -> None:
    contact = [p for p in _passages("amnesty-dossier-de-presse-ia-droits-humains.txt") if "shanryon@amnesty.fr" in p.text]
    assert len(contact) == 1
    assert contact[0].text.startswith("Contact presse :") and "Nous sommes plus de 10 millions" not in contact[0].text


def test_passages_keep_breadcrumb_links_and_position() -> None:
    passages = _passages("passez-a-l-action.md")
    lobby = next(p for p in passages if p.text.startswith("Faites du lobbying"))
    assert lobby.section == ("Voici ce que vous pouvez faire:",)
    assert {"text": "le sommet", "url": "https://pauseai.info/summit"} in [l.__dict__ for l in lobby.links]
    assert [p.position for p in passages] == list(range(len(passages)))


def test_list_items_continuing_a_lead_in_carry_it_as_context() -> None:
    passages = {p.id: p for p in _passages("amnesty-dossier-de-presse-ia-droits-humains.txt")}
    base = "amnesty-ia-droits-humains/une-approche-critique-du-technosolutionnisme"
    lead = "Dans le cadre de l'évaluation de la pertinence du recours à une technologie donnée, il convient :"
    assert [passages[f"{base}-{n}"].context for n in (2, 3, 4)] == [lead] * 3
    assert passages[f"{base}-2"].text.startswith("d'estimer les ressources financières")  # text and id unchanged
    assert passages[f"{base}-1"].context is None  # the paragraph that holds the lead-in
    # « Cela signifie : » says nothing alone: the sentence before it comes with it.
    rule = passages["amnesty-ia-droits-humains/une-reglementation-de-l-ia-contraignante-et-fondee-sur-les-2"].context
    assert rule == ("Les États doivent ériger en priorité la mise en place d'une réglementation de l'IA contraignante "
                    "et applicable à tous les niveaux de gouvernance. Cela signifie :")


def test_items_that_are_sentences_of_their_own_have_no_context() -> None:
    # The charter's numbered values follow « …afin de prévenir tout conflit : » but each is a sentence.
    assert all(p.context is None for p in _passages("charte-des-valeurs.md"))
    assert all(p.context is None for p in _passages("passez-a-l-action.md"))
    blocks = [Block("paragraph", "Il faut :", ("S",)), Block("item", "agir ;", ("S",)), Block("paragraph", "Fin.", ("S",)),
              Block("item", "après un paragraphe sans deux-points", ("S",))]
    from indexer.passages import contexts

    assert contexts(blocks) == [None, "Il faut :", None, None]
