"""The one citation model: what a passage is cited with, built from the passage, its document's
catalogue metadata and where our reader shows it. Every format is rendered from it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any

from kb.citations.case import cited_heading
from kb.models import Passage

# CSL item types by catalogue `kind` (a Pause IA page is a web page, a press dossier a report).
CSL_TYPES = {"guide": "webpage", "charte": "webpage", "page": "webpage", "dossier de presse": "report", "rapport": "report"}
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class Citation:
    """A passage as a reference: its document's facts (unknown ones None), the section path in
    normal case, the extract, and two addresses: the source's and our reader's."""

    id: str
    type: str  # a CSL item type
    title: str
    publisher: str | None
    kind: str | None
    issued: tuple[int, ...]  # (year[, month[, day]]), () when unknown
    section: tuple[str, ...]
    extract: str
    source_url: str | None
    source_note: str | None  # what source_url is, when it is not the document itself
    reader_url: str
    accessed: date
    language: str
    licence: str | None
    page: int | None = None  # the passage's page in a paginated source (PDF)

    @property
    def url(self) -> str:
        """The address a reader of the citation follows: the source's, else our reader's."""
        return self.source_url or self.reader_url


def parse_date(value: str | None) -> tuple[int, ...]:
    """'2024-10-10' → (2024, 10, 10), '2025' → (2025,), anything else → ()."""
    match = _DATE.fullmatch((value or "").strip())
    return tuple(int(g) for g in match.groups() if g) if match else ()


def accessed_today() -> date:
    """Today in UTC, or the day of $SOURCE_DATE_EPOCH when set (reproducible outputs)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else datetime.now(timezone.utc)
    return moment.date()


def cite_document(doc_id: str, document: dict[str, Any], reader_url: str, accessed: date) -> Citation:
    """The citation of a whole document (its manifest metadata), read at `reader_url`."""
    kind = document.get("kind")
    return Citation(
        id=doc_id,
        type=CSL_TYPES.get((kind or "").lower(), "document"),
        title=document.get("title") or doc_id,
        publisher=document.get("publisher"),
        kind=kind,
        issued=parse_date(document.get("date")),
        section=(),
        extract="",
        source_url=document.get("url"),
        source_note=document.get("url_note"),
        reader_url=reader_url,
        accessed=accessed,
        language=document.get("language") or "fr",
        licence=document.get("licence"),
    )


def cite(passage: Passage, document: dict[str, Any], reader_url: str, accessed: date,
         keep_capitals: frozenset[str] = frozenset()) -> Citation:
    """The citation of `passage` of `document`, read at `reader_url`: the document's, with the
    passage's section path (in normal case, without trailing colons) and its text (after its lead-in, if any)."""
    context = getattr(passage, "context", "") or ""
    extract = " ".join(f"{context} […] {passage.text}".split()) if context else " ".join(passage.text.split())
    section = tuple(cited_heading(h, keep_capitals) for h in passage.section)
    return replace(cite_document(passage.doc_id, document, reader_url, accessed), id=passage.id, section=section,
                   extract=extract, page=passage.page)
