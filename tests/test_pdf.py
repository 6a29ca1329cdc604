"""The PDF loader on real PDFs: the Amnesty dossier rendered as a publisher would (reportlab) against
the text loader's reading of the same dossier, Debian's French reference manual (an outline, 237
pages of TeX output), and damaged, protected, scanned and oversized files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from indexer.build import build_index
from indexer.loaders import load_document
from indexer.loaders.pdf import NO_TEXT, read_pdf
from indexer.loaders.pdflayout import PdfLayout, join_lines
from indexer.loaders.structure import StructureBuilder
from indexer.passages import make_passages
from kb.errors import DocumentError

from .pdf_render import RUNNING_HEAD, render_pdf

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
AMNESTY = CORPUS / "amnesty-dossier-de-presse-ia-droits-humains.txt"
DEBIAN_PDF = Path("usr/share/debian-reference/debian-reference.fr.pdf")


def _entry() -> dict[str, Any]:
    return dict(yaml.safe_load((CORPUS / "catalogue.yaml").read_text(encoding="utf-8"))["documents"][AMNESTY.name])


@pytest.fixture(scope="module")
def amnesty_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text_doc = load_document(AMNESTY, _entry())
    out = tmp_path_factory.mktemp("pdf") / "amnesty-dossier.pdf"
    return render_pdf(text_doc, out, text_doc.meta.title, "Amnesty International France")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_rendered_dossier_reads_as_the_text_loader_reads_its_text(amnesty_pdf: Path) -> None:
    entry = {k: v for k, v in _entry().items() if k not in {"title", "publisher", "date"}}
    text_doc, pdf_doc = load_document(AMNESTY, _entry()), load_document(amnesty_pdf, entry, name=AMNESTY.stem)
    assert [(s.title, s.level) for s in pdf_doc.sections] == [(s.title, s.level) for s in text_doc.sections]
    from_text, from_pdf = make_passages(text_doc), make_passages(pdf_doc)
    same = {_flat(p.text) for p in from_pdf} & {_flat(p.text) for p in from_text}
    assert len(same) >= 0.95 * len(from_text), [p.text[:80] for p in from_text if _flat(p.text) not in same]
    assert [p.section for p in from_pdf] == [p.section for p in from_text]
    # Pages: every passage knows it, in reading order; the running head and page numbers are gone.
    pages = [p.page for p in from_pdf]
    assert pages[0] == 1 and pages == sorted(pages) and max(pages) >= 4 and None not in pages
    assert not any(RUNNING_HEAD in p.text for p in from_pdf)
    # Metadata fills what the catalogue leaves out; the catalogue wins where it speaks.
    assert pdf_doc.meta.title == text_doc.meta.title and pdf_doc.meta.publisher == "Amnesty International France"
    assert pdf_doc.meta.date and pdf_doc.meta.date[:2] == "20"
    assert load_document(amnesty_pdf, {"title": "Titre du catalogue", "publisher": "Amnesty"}).meta.title == "Titre du catalogue"


def test_a_page_break_inside_a_paragraph_does_not_split_it(amnesty_pdf: Path) -> None:
    passages = make_passages(load_document(amnesty_pdf, None))
    spanning = [p for p in passages if "Serbie montrent comment ces logiciels espions" in p.text]
    assert len(spanning) == 1 and spanning[0].text.startswith("Les gouvernements utilisent également des logiciels espions")


def test_end_of_line_hyphens_are_undone_only_for_french_words() -> None:
    assert join_lines(["les informa-", "tions publiques"]) == "les informations publiques"
    assert join_lines(["c'est peut-", "être vrai"]) == "c'est peut-être vrai"
    assert join_lines(["• premier", "(cid:127) point"]) == "• premier point"


@pytest.fixture(scope="module")
def debian_reference(debian_reference_package: Path) -> Path:
    return debian_reference_package / DEBIAN_PDF


def test_the_debian_manual_takes_its_sections_from_its_outline(debian_reference: Path) -> None:
    content = read_pdf(debian_reference.read_bytes(), str(debian_reference), max_pages=36)
    assert content.pages == 265 and len(content.outline) > 400 and content.metadata["title"] == "Référence Debian"
    assert any("only the first 36 are indexed" in w for w in content.warnings)
    builder = StructureBuilder()
    PdfLayout(content, builder).run()
    titles = [(s.title, s.level, s.page) for s in builder.sections]
    assert titles[:3] == [("Didacticiels GNU/Linux", 1, 29), ("Bases pour la console", 2, 29),
                          ("L’invite de l’interpréteur de commandes", 3, 29)]
    texts = [b.text for b in builder.blocks]
    assert not any("Référence Debian" in t and "/ 237" in t for t in texts)  # the running head
    assert not any(". . . ." in t for t in texts)  # the printed table of contents
    assert any(t.startswith("Voici quelques méthodes de base pour obtenir l’invite") for t in texts)


def _draw(c: Any, path: Path, text: bool = True) -> Path:
    if text:
        c.drawString(72, 720, "Un paragraphe de texte assez long pour faire un passage complet ici.")
    else:
        c.rect(72, 400, 300, 300, fill=1)  # a scanned page: pixels, no text layer
    c.showPage()
    c.save()
    return path


def test_bad_pdfs_are_clear_messages_naming_the_file(tmp_path: Path, amnesty_pdf: Path) -> None:
    from reportlab.pdfgen import canvas

    encrypted = _draw(canvas.Canvas(str(tmp_path / "protege.pdf"), encrypt="secret"), tmp_path / "protege.pdf")
    scanned = _draw(canvas.Canvas(str(tmp_path / "numerise.pdf")), tmp_path / "numerise.pdf", text=False)
    truncated = tmp_path / "tronque.pdf"
    truncated.write_bytes(amnesty_pdf.read_bytes()[:2000])
    fake = tmp_path / "page-html.pdf"
    fake.write_text("<html><body>404</body></html>", encoding="utf-8")
    expected = {encrypted: "encrypted", scanned: NO_TEXT, truncated: "damaged or truncated", fake: "not a PDF"}
    for path, message in expected.items():
        with pytest.raises(DocumentError) as caught:
            load_document(path, None)
        assert message in str(caught.value) and path.name in str(caught.value), str(caught.value)


def test_page_and_time_limits_stop_a_file_with_a_warning(amnesty_pdf: Path) -> None:
    raw = amnesty_pdf.read_bytes()
    two = read_pdf(raw, "dossier.pdf", max_pages=2)
    assert {ln.page for ln in two.lines} == {1, 2} and "dossier.pdf" in two.warnings[0] and "first 2" in two.warnings[0]
    quick = read_pdf(raw, "dossier.pdf", max_seconds=0.0)
    assert {ln.page for ln in quick.lines} <= {1} and "reading stopped after 0 s" in quick.warnings[0]


def test_a_corpus_with_pdfs_indexes_the_good_ones_and_warns_of_the_bad(tmp_path: Path, amnesty_pdf: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(amnesty_pdf, corpus / "dossier.pdf")
    (corpus / "casse.pdf").write_bytes(amnesty_pdf.read_bytes()[:1500])
    report = build_index([corpus], tmp_path / "index", semantic=False)
    assert report.documents == 1 and report.passages >= 50
    assert any("casse.pdf" in w and "damaged" in w for w in report.warnings + report.skipped), report.warnings + report.skipped


def test_citations_of_a_pdf_passage_give_its_page(amnesty_pdf: Path) -> None:
    from datetime import date

    from kb.citations.formats import to_bibtex, to_csl, to_ris, to_text
    from kb.citations.model import cite

    doc = load_document(amnesty_pdf, None)
    passage = next(p for p in make_passages(doc) if p.page and p.page > 1)
    c = cite(passage, doc.meta.to_dict(), "http://localhost/x", date(2026, 12, 2))
    assert f", p. {passage.page}. " in to_text(c) and to_csl(c)["page"] == str(passage.page)
    assert f"pages = {{{passage.page}}}" in to_bibtex([c]) and f"SP  - {passage.page}" in to_ris([c])
    assert "page" in passage.to_dict() and passage.to_dict()["page"] == passage.page
