"""Citing the passages of a knowledge base: the absolute address of each in our reader, and its
citation from its document's metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kb.citations.formats import to_csl, to_text
from kb.citations.model import Citation, accessed_today, cite, cite_document
from kb.models import Passage
from kb.storage.store import KnowledgeBase
from kb.views import CitationView, document_url, passage_url


@dataclass
class Citer:
    """Cites passages of `kb` as read at `public_url` (the site's base address; "" keeps
    reader paths relative) on day `accessed`; `documents`: the metadata of the build a request
    reads (its Session's snapshot), else that of the build served when each citation is made."""

    kb: KnowledgeBase
    public_url: str = ""
    accessed: date = field(default_factory=accessed_today)
    documents: Mapping[str, dict[str, Any]] | None = None

    def _document(self, doc_id: str) -> dict[str, Any]:
        documents = self.documents if self.documents is not None else self.kb.snapshot().documents
        return documents.get(doc_id, {})

    def reader_url(self, passage: Passage) -> str:
        """The passage in our reader: the document page scrolled to it."""
        return self.public_url.rstrip("/") + passage_url(passage.doc_id, passage.anchor)

    def citation(self, passage: Passage) -> Citation:
        """The citation model of `passage`."""
        document = self._document(passage.doc_id)
        return cite(passage, document, self.reader_url(passage), self.accessed, frozenset(document.get("capitals", ())))

    def document_citation(self, doc_id: str) -> Citation:
        """The citation of a whole document, read at its page in our reader."""
        document = self._document(doc_id)
        return cite_document(doc_id, document, self.public_url.rstrip("/") + document_url(doc_id), self.accessed)

    def facts(self, passage: Passage) -> dict[str, Any]:
        """The `url` and `citation` of a passage's views (PassageView.of(..., **facts))."""
        return facts_of(self.citation(passage))


def facts_of(c: Citation) -> dict[str, Any]:
    """The `url` and `citation` view fields of a citation already made."""
    return {"url": c.reader_url, "citation": CitationView(to_text(c), to_csl(c))}
