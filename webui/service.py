"""Access to the app's one KnowledgeBase and shared lookups both faces need."""

from __future__ import annotations

from flask import current_app, request

from kb.search.related import related_passages
from kb.storage.store import KnowledgeBase
from kb.views import DocumentSummary, PassageDetail, passage_url
from webui.present import citation


def get_kb() -> KnowledgeBase:
    """The KnowledgeBase created by create_app (reopens by itself after a rebuild)."""
    return current_app.extensions["kb"]  # type: ignore[no-any-return]


def absolute(path: str) -> str:
    """An absolute URL on this server for a site path (for citations)."""
    return request.host_url.rstrip("/") + path


def passage_detail(passage_id: str, related: int = 5) -> PassageDetail:
    """A passage with its document, explanation, ready citation and related passages."""
    kb = get_kb()
    passage = kb.passage(passage_id)
    doc = kb.snapshot().documents.get(passage.doc_id, {})
    url = absolute(passage_url(passage.doc_id, passage.anchor))
    return PassageDetail.of(passage, DocumentSummary.of(passage.doc_id, doc),
                            citation=citation(passage.text, doc, passage.section, url),
                            related=related_passages(kb, passage_id, limit=related))
