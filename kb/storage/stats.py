"""The figures of a build a reader sees on the home page and `kb stats`: passages per category
and per document, words, when it was built."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.storage.store import Session


def compute_stats(held: Session) -> dict[str, Any]:
    """Passages per category and per document, plus totals, of the session's build."""
    snap = held.snapshot
    per_category: Counter[str] = Counter()
    per_document: Counter[str] = Counter()
    for fields in held.view.all_stored():
        payload = fields["payload"]
        per_document[payload["doc_id"]] += 1
        per_category.update(payload.get("categories", []))
    docs = snap.documents
    return {
        "documents": len(docs),
        "passages": sum(per_document.values()),
        "words": sum(d.get("words", 0) for d in docs.values()),
        "built_at": snap.manifest.get("built_at"),
        "per_category": dict(per_category),
        "per_document": dict(per_document),
    }
