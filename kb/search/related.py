"""Related passages ("more like this"): passages sharing a passage's key terms."""

from __future__ import annotations

from typing import Any

from kb.results import document_summary, passage_url
from kb.search.ranking import DEFAULT_PARAMS
from kb.storage.store import KnowledgeBase


def related_passages(kb: KnowledgeBase, passage_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """Up to `limit` other passages most similar to this one (key terms of its stemmed text)."""
    passage = kb.passage(passage_id)
    with kb.reading(DEFAULT_PARAMS.weighting()) as searcher:
        docnum = searcher.document_number(id=passage_id)
        hits = searcher.more_like(docnum, "text_stem", text=passage.text, top=limit + 1, numterms=12)
        scored = [(hit["payload"], float(hit.score or 0.0)) for hit in hits]
    documents = kb.snapshot().documents
    out: list[dict[str, Any]] = []
    for payload, score in scored:
        if payload["id"] == passage_id:
            continue
        out.append({
            "id": payload["id"],
            "score": round(score, 4),
            "text": payload["text"],
            "document": document_summary(documents.get(payload["doc_id"], {}), payload["doc_id"]),
            "section": list(payload["section"]),
            "categories": list(payload.get("categories", [])),
            "url": passage_url(payload["doc_id"], payload["anchor"]),
        })
        if len(out) >= limit:
            break
    return out
