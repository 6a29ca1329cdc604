"""Bulk export of passages as NDJSON or CSV, with document citation fields: what documents say is
exported as data, never as a spreadsheet formula or a link to a script."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from kb.models import Passage
from kb.views import DocumentSummary, PassageRecord

if TYPE_CHECKING:  # `kb --help` lists the formats without loading the index's code
    from kb.citations.lookup import Citer

CSV_COLUMNS = [
    "id", "document_id", "document_title", "publisher", "date", "document_url",
    "section", "page", "categories", "text", "links", "url", "position", "citation",
]
# OWASP's advice against CSV injection (owasp.org/www-community/attacks/CSV_Injection): a cell
# that begins with "=", "+", "-", "@", a tab or a carriage return is read by Excel, LibreOffice and
# Google Sheets as a formula (=HYPERLINK(…) to leak data, =cmd|' /C calc'!A0 to run a program), so
# prefix such a cell with a single quote, which makes the spreadsheet show it as text; and quote
# every cell, so that a separator or quote inside a value cannot start another cell. The text is
# otherwise unchanged: a reader of the file strips the leading quote to get the value back.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_records(passages: Iterable[Passage], citer: Citer) -> Iterator[PassageRecord]:
    """Each passage with every field a researcher needs to cite and analyse it."""
    documents = citer.kb.snapshot().documents
    for p in passages:
        yield PassageRecord.of(p, DocumentSummary.of(p.doc_id, documents.get(p.doc_id, {})), **citer.facts(p))


def write_ndjson(passages: Iterable[Passage], citer: Citer, out: TextIO) -> None:
    """One JSON object per line."""
    for record in export_records(passages, citer):
        out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")


class QuotedDialect(csv.excel):
    """RFC 4180 (commas, CRLF), every cell quoted (OWASP: see FORMULA_STARTS)."""

    quoting = csv.QUOTE_ALL


class SpreadsheetDialect(QuotedDialect):
    """What a spreadsheet in a French locale opens as columns: semicolons (the comma is the
    decimal separator there); the byte-order mark that tells it the file is UTF-8 is written first."""

    delimiter = ";"


CSV_DIALECTS: dict[str, type[csv.Dialect]] = {"rfc4180": QuotedDialect, "excel": SpreadsheetDialect}


def spreadsheet_cell(value: Any) -> str:
    """`value` as a cell no spreadsheet runs: text beginning like a formula gets a leading quote."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(passages: Iterable[Passage], citer: Citer, out: TextIO, dialect: str = "rfc4180") -> None:
    """Flat CSV: lists joined with ' | ', links as 'text <url>', the citation as its French line;
    `dialect` "excel" for spreadsheets (BOM, semicolons), "rfc4180" (commas) otherwise; in both,
    every cell quoted and formula-like cells neutralised (FORMULA_STARTS)."""
    if dialect == "excel":
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, dialect=CSV_DIALECTS[dialect])
    writer.writeheader()
    for rec in export_records(passages, citer):
        writer.writerow({name: spreadsheet_cell(value) for name, value in _csv_row(rec).items()})


def _csv_row(rec: PassageRecord) -> dict[str, Any]:
    """One flat row: spreadsheets want text cells, not nested lists."""
    doc = rec.document
    return {
        "id": rec.id,
        "document_id": doc.id,
        "document_title": doc.title,
        "publisher": doc.publisher or "",
        "date": doc.date or "",
        "document_url": doc.url or "",
        "section": " > ".join(rec.section),
        "page": "" if rec.page is None else rec.page,
        "categories": " | ".join(rec.categories),
        "text": rec.text,
        "links": " | ".join(f"{link.text} <{link.url}>" for link in rec.links),
        "url": rec.url,
        "position": rec.position,
        "citation": rec.citation.text,
    }


@dataclass(frozen=True)
class ExportFormat:
    """One way to export passages: the API's route /api/export.<name>, `kb export --format <name>`
    and the OpenAPI entry are all made from it."""

    media_type: str
    summary: str
    write: Callable[[Iterable[Passage], Citer, TextIO, str], None]  # (passages, citer, out, CSV dialect)
    dialects: tuple[str, ...] = ()  # the `dialect` values it takes (the first is the default)


EXPORTS: dict[str, ExportFormat] = {
    "csv": ExportFormat("text/csv", "Export matching passages as CSV.", write_csv, tuple(CSV_DIALECTS)),
    "ndjson": ExportFormat("application/x-ndjson", "Export matching passages as NDJSON.",
                           lambda passages, citer, out, _dialect: write_ndjson(passages, citer, out)),
}
