"""`kb add` and `kb remove` on a copy of the corpus: the file copied under a readable name, the
catalogue edited with its comments and order kept, duplicates refused, the index following."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kb.storage.store import KnowledgeBase
from kbcli import main

from .pdf_render import render_pdf

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
AMNESTY = CORPUS / "amnesty-dossier-de-presse-ia-droits-humains.txt"


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


@pytest.fixture(scope="module")
def dossier_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from indexer.loaders import load_document

    text_doc = load_document(AMNESTY, None)
    return render_pdf(text_doc, tmp_path_factory.mktemp("in") / "Dossier de presse (final).pdf",
                      "Sommet mondial pour l'action sur l'IA", "Amnesty International France")


def _kb(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_dry_run_shows_what_would_be_added_and_changes_nothing(corpus: Path, dossier_pdf: Path, tmp_path: Path) -> None:
    before = (corpus / "catalogue.yaml").read_bytes()
    code, out = _kb("add", str(dossier_pdf), "--corpus", str(corpus), "--index", str(tmp_path / "index"),
                    "--kind", "dossier de presse", "--date", "2025-02", "--dry-run")
    assert code == 0, out
    assert "Document : Sommet mondial pour l'action sur l'IA" in out and "éditeur : Amnesty International France" in out
    assert "sections : 12" in out and "II. L'URGENCE DE RÉGLEMENTER L'IA POUR PROTÉGER NOS DROITS FONDAMENTAUX (p. " in out
    assert "passages : 57" in out and "surveillance" in out.split("catégories (passages) :")[1]
    assert "rien n'a été changé" in out
    assert (corpus / "catalogue.yaml").read_bytes() == before and sorted(p.name for p in corpus.iterdir()) == sorted(p.name for p in CORPUS.iterdir())
    assert not (tmp_path / "index").exists()


def test_add_then_remove_keeps_the_catalogue_comments_and_follows_in_the_index(corpus: Path, dossier_pdf: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    original = (corpus / "catalogue.yaml").read_text(encoding="utf-8")
    code, out = _kb("add", str(dossier_pdf), "--corpus", str(corpus), "--index", str(index), "--publisher", "Amnesty International France",
                    "--licence", "tous droits réservés", "--url", "https://www.amnesty.fr/")
    assert code == 0, out
    target = corpus / "sommet-mondial-pour-l-action-sur-l-ia.pdf"
    assert target.read_bytes() == dossier_pdf.read_bytes()
    text = (corpus / "catalogue.yaml").read_text(encoding="utf-8")
    assert text.startswith(original.split("documents:")[0])  # the header comments, unchanged
    assert "# like the rest of pauseia.fr" in text and "# released for the AI Action Summit" in text
    entries = yaml.safe_load(text)["documents"]
    assert list(entries)[:3] == list(yaml.safe_load(original)["documents"])  # the order, unchanged
    assert entries[target.name] == {"id": "sommet-mondial-pour-l-action-sur-l-ia", "publisher": "Amnesty International France",
                                    "licence": "tous droits réservés", "url": "https://www.amnesty.fr/"}
    kb = KnowledgeBase(index)
    assert {d["id"] for d in kb.documents()} >= {"sommet-mondial-pour-l-action-sur-l-ia", "amnesty-ia-droits-humains"}
    added = kb.document_passages("sommet-mondial-pour-l-action-sur-l-ia")
    assert len(added) == 57 and all(p.page for p in added)

    code, out = _kb("add", str(target), "--corpus", str(corpus), "--index", str(index))
    assert code != 0 and "already in the corpus: document 'sommet-mondial-pour-l-action-sur-l-ia'" in out

    code, out = _kb("remove", "sommet-mondial-pour-l-action-sur-l-ia", "--corpus", str(corpus), "--index", str(index))
    assert code == 0, out
    assert not target.exists() and (corpus / "catalogue.yaml").read_text(encoding="utf-8") == original
    assert "documents retirés : sommet-mondial-pour-l-action-sur-l-ia" in out
    assert len(KnowledgeBase(index).documents()) == 3

    code, out = _kb("remove", "nope", "--corpus", str(corpus), "--index", str(index))
    assert code != 0 and "no document 'nope'" in out and "amnesty-ia-droits-humains" in out
