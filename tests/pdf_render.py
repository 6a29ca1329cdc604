"""Renders a document of the corpus as a PDF the way a publisher would (reportlab): the title on
the first page, headings as bold headings a size per level, paragraphs justified, list items with
bullets, a running header and a page number on every page; the PDF loader is checked against it."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

from kb.models import LoadedDocument

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13, alignment=TA_JUSTIFY, spaceAfter=6)
TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=20, leading=24, spaceAfter=18)
HEADINGS = [ParagraphStyle(f"h{n}", fontName="Helvetica-Bold", fontSize=size, leading=size + 4, spaceBefore=10, spaceAfter=6)
            for n, size in enumerate((16, 13, 11.5), start=1)]
RUNNING_HEAD = "Amnesty International France — dossier de presse"


def _page_furniture(canvas: object, doc: object) -> None:
    canvas.saveState()  # type: ignore[attr-defined]
    canvas.setFont("Helvetica", 8)  # type: ignore[attr-defined]
    canvas.drawString(2 * cm, A4[1] - 1.2 * cm, RUNNING_HEAD)  # type: ignore[attr-defined]
    canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, str(canvas.getPageNumber()))  # type: ignore[attr-defined]
    canvas.restoreState()  # type: ignore[attr-defined]


def render_pdf(doc: LoadedDocument, out: Path, title: str, author: str) -> Path:
    """Write `doc` (as a loader read it) to `out` as a PDF with metadata title and author."""
    story: list[object] = [Paragraph(escape(title), TITLE)]
    emitted: set[str] = set()
    order = [s.anchor for s in doc.sections]
    by_anchor = {s.anchor: s for s in doc.sections}

    def headings_up_to(anchor: str) -> None:
        for a in order[: order.index(anchor) + 1]:
            if a not in emitted:
                emitted.add(a)
                section = by_anchor[a]
                story.append(Paragraph(escape(section.title), HEADINGS[min(section.level, 3) - 1]))

    items: list[ListItem] = []
    for block in doc.blocks:
        if block.anchor and block.anchor not in emitted:
            _flush_items(story, items)
            headings_up_to(block.anchor)
        if block.kind == "item":
            items.append(ListItem(Paragraph(escape(block.text), BODY), leftIndent=12))
            continue
        _flush_items(story, items)
        text = "<br/>".join(escape(line) for line in block.text.split("\n"))
        story.append(Paragraph(text, BODY))
    _flush_items(story, items)
    if order:
        headings_up_to(order[-1])
    pdf = SimpleDocTemplate(str(out), pagesize=A4, title=title, author=author,
                            leftMargin=2.2 * cm, rightMargin=2.2 * cm, topMargin=2.2 * cm, bottomMargin=2.2 * cm)
    pdf.build(story, onFirstPage=_page_furniture, onLaterPages=_page_furniture)
    return out


def _flush_items(story: list[object], items: list[ListItem]) -> None:
    if items:
        story.append(ListFlowable(list(items), bulletType="bullet", start="•", leftIndent=14))
        story.append(Spacer(1, 4))
        items.clear()
