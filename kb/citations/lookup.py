"""Citing the passages of a knowledge base: the absolute address of each in our reader, and its
citation from its document's metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kb.citations.formats import to_csl, to_text
from kb.citations.model import Citation, accessed_today, cite, cite_document
from kb.models import Passage
from kb.storage.store import KnowledgeBase
from kb.views import CitationView, document_url, passage_url

def document_capitals(kb: KnowledgeBase, doc_id: str) -> frozenset[str]:
    """The words a document writes in capitals in its running text (listed at build time)."""
    return frozenset(kb.snapshot().documents.get(doc_id, {}).get("capitals", ()))


@dataclass
class Citer:
    """Cites passages of `kb` as read at `public_url` (the site's base address; "" keeps
    reader paths relative) on day `accessed`."""

    kb: KnowledgeBase
    public_url: str = ""
    accessed: date = field(default_factory=accessed_today)

    def reader_url(self, passage: Passage) -> str:
        """The passage in our reader: the document page scrolled to it."""
        return self.public_url.rstrip("/") + passage_url(passage.doc_id, passage.anchor)

    def citation(self, passage: Passage) -> Citation:
        """The citation model of `passage`."""
        document = self.kb.snapshot().documents.get(passage.doc_id, {})
        return cite(passage, document, self.reader_url(passage), self.accessed, document_capitals(self.kb, passage.doc_id))

    def document_citation(self, doc_id: str) -> Citation:
        """The citation of a whole document, read at its page in our reader."""
        document = self.kb.snapshot().documents.get(doc_id, {})
        return cite_document(doc_id, document, self.public_url.rstrip("/") + document_url(doc_id), self.accessed)

    def facts(self, passage: Passage) -> dict[str, Any]:
        """The `url` and `citation` of a passage's views (PassageView.of(..., **facts))."""
        return facts_of(self.citation(passage))


def facts_of(c: Citation) -> dict[str, Any]:
    """The `url` and `citation` view fields of a citation already made."""
    return {"url": c.reader_url, "citation": CitationView(to_text(c), to_csl(c))}
