"""Bulk export of passages as NDJSON or CSV, with document citation fields."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from kb.citations.lookup import Citer
from kb.models import Passage
from kb.views import DocumentSummary, PassageRecord

CSV_COLUMNS = [
    "id", "document_id", "document_title", "publisher", "date", "document_url",
    "section", "page", "categories", "text", "links", "url", "position", "citation",
]


def export_records(passages: Iterable[Passage], citer: Citer) -> Iterator[PassageRecord]:
    """Each passage with every field a researcher needs to cite and analyse it."""
    documents = citer.kb.snapshot().documents
    for p in passages:
        yield PassageRecord.of(p, DocumentSummary.of(p.doc_id, documents.get(p.doc_id, {})), **citer.facts(p))


def write_ndjson(passages: Iterable[Passage], citer: Citer, out: TextIO) -> None:
    """One JSON object per line."""
    for record in export_records(passages, citer):
        out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")


class SpreadsheetDialect(csv.excel):
    """What a spreadsheet in a French locale opens as columns: semicolons (the comma is the
    decimal separator there); the byte-order mark that tells it the file is UTF-8 is written first."""

    delimiter = ";"


CSV_DIALECTS: dict[str, type[csv.Dialect]] = {"rfc4180": csv.excel, "excel": SpreadsheetDialect}


def write_csv(passages: Iterable[Passage], citer: Citer, out: TextIO, dialect: str = "rfc4180") -> None:
    """Flat CSV: lists joined with ' | ', links as 'text <url>', the citation as its French line;
    `dialect` "excel" for spreadsheets (BOM, semicolons), "rfc4180" (commas) otherwise."""
    if dialect == "excel":
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, dialect=CSV_DIALECTS[dialect])
    writer.writeheader()
    for rec in export_records(passages, citer):
        writer.writerow(_csv_row(rec))


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
