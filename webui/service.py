"""Access to the app's one KnowledgeBase and shared lookups both faces need."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from kb.export import export_record
from kb.search.related import related_passages
from kb.storage.store import KnowledgeBase
from webui.present import citation


def get_kb() -> KnowledgeBase:
    """The KnowledgeBase created by create_app (reopens by itself after a rebuild)."""
    return current_app.extensions["kb"]  # type: ignore[no-any-return]


def absolute(path: str) -> str:
    """An absolute URL on this server for a site path (for citations)."""
    return request.host_url.rstrip("/") + path


def passage_detail(passage_id: str, related: int = 5) -> dict[str, Any]:
    """A passage with its document, explanation, ready citation and related passages."""
    kb = get_kb()
    passage = kb.passage(passage_id)
    doc = kb.snapshot().documents.get(passage.doc_id, {})
    record = export_record(passage, doc)
    record["citation"] = citation(passage.text, doc, passage.section, absolute(record["url"]))
    record["related"] = related_passages(kb, passage_id, limit=related)
    return record
