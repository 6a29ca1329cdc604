"""Bulk export of passages as NDJSON or CSV, with document citation fields."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from kb.models import Passage
from kb.results import document_summary, passage_url

CSV_COLUMNS = [
    "id", "document_id", "document_title", "publisher", "date", "document_url",
    "section", "categories", "text", "links", "url", "position",
]


def export_record(passage: Passage, doc: dict[str, Any]) -> dict[str, Any]:
    """A passage with every field a researcher needs to cite and analyse it."""
    return {
        "id": passage.id,
        "document": document_summary(doc, passage.doc_id),
        "section": list(passage.section),
        "position": passage.position,
        "text": passage.text,
        "categories": passage.categories,
        "explanation": passage.explanation,
        "links": [{"text": l.text, "url": l.url} for l in passage.links],
        "url": passage_url(passage.doc_id, passage.anchor),
    }


def write_ndjson(kb: Any, passages: Iterable[Passage], out: TextIO) -> None:
    """One JSON object per line."""
    docs = kb.snapshot().documents
    for p in passages:
        out.write(json.dumps(export_record(p, docs.get(p.doc_id, {})), ensure_ascii=False) + "\n")


def write_csv(kb: Any, passages: Iterable[Passage], out: TextIO) -> None:
    """Flat CSV: lists joined with ' | ', links as 'text <url>'."""
    docs = kb.snapshot().documents
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for p in passages:
        rec = export_record(p, docs.get(p.doc_id, {}))
        writer.writerow({
            "id": rec["id"],
            "document_id": p.doc_id,
            "document_title": rec["document"]["title"],
            "publisher": rec["document"]["publisher"] or "",
            "date": rec["document"]["date"] or "",
            "document_url": rec["document"]["url"] or "",
            "section": " > ".join(rec["section"]),
            "categories": " | ".join(rec["categories"]),
            "text": rec["text"],
            "links": " | ".join(f"{l['text']} <{l['url']}>" for l in rec["links"]),
            "url": rec["url"],
            "position": rec["position"],
        })
