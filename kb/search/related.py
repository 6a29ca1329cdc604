"""Related passages ("more like this"): passages sharing a passage's key terms."""

from __future__ import annotations

from kb.models import Passage
from kb.search.ranking import DEFAULT_PARAMS
from kb.storage.store import KnowledgeBase
from kb.views import DocumentSummary, RelatedPassage


def related_passages(kb: KnowledgeBase, passage_id: str, limit: int = 5) -> tuple[RelatedPassage, ...]:
    """Up to `limit` other passages most similar to this one (key terms of its stemmed text)."""
    passage = kb.passage(passage_id)
    with kb.reading(DEFAULT_PARAMS.weighting()) as searcher:
        docnum = searcher.document_number(id=passage_id)
        hits = searcher.more_like(docnum, "text_stem", text=passage.text, top=limit + 1, numterms=12)
        scored = [(Passage.from_dict(hit["payload"]), float(hit.score or 0.0)) for hit in hits]
    documents = kb.snapshot().documents
    out = [
        RelatedPassage.of(other, DocumentSummary.of(other.doc_id, documents.get(other.doc_id, {})), score=round(score, 4))
        for other, score in scored if other.id != passage_id
    ]
    return tuple(out[:limit])
