"""Related passages ("more like this"): nearest by meaning when the build has vectors, else the
passages sharing the passage's key terms; each says why it is related."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kb.citations.lookup import Citer
from kb.models import Passage
from kb.search.ranking import DEFAULT_PARAMS
from kb.semantic.vectors import PassageVectors
from kb.storage.store import KnowledgeBase, Session, passage_in
from kb.views import DocumentSummary, RelatedPassage

# Cosines of neighbours differ by hundredths: these keep a passage's own section (which the
# reader is already reading) from filling the list, and favour other documents.
SAME_SECTION_PENALTY = 0.04
SAME_DOCUMENT_PENALTY = 0.02
BY_TERMS = "mots-clés en commun"


def related_passages(kb: KnowledgeBase, passage_id: str, limit: int = 5, citer: Citer | None = None) -> tuple[RelatedPassage, ...]:
    """Up to `limit` other passages most related to this one (cited by `citer`), all read from one build."""
    with kb.session(DEFAULT_PARAMS.weighting()) as held:
        passage = passage_in(held.view, passage_id)
        vectors = held.snapshot.vectors
        citer = citer or Citer(kb)
        citer = replace(citer, documents=held.snapshot.documents)
        if vectors is not None and passage_id in vectors.row:
            return _by_meaning(held, passage, vectors, limit, citer)
        return _by_terms(held, passage, limit, citer)


def _by_meaning(held: Session, passage: Passage, vectors: PassageVectors, limit: int, citer: Citer) -> tuple[RelatedPassage, ...]:
    cosine = vectors.matrix @ vectors.matrix[vectors.row[passage.id]]
    section = _section_of(passage.id)
    preference = np.array([SAME_SECTION_PENALTY if _section_of(i) == section else
                           SAME_DOCUMENT_PENALTY if _document_of(i) == passage.doc_id else 0.0 for i in vectors.ids])
    order = [i for i in np.argsort(-(cosine - preference), kind="stable").tolist() if vectors.ids[i] != passage.id][:limit]
    documents = held.snapshot.documents
    out = []
    for i in order:
        other = passage_in(held.view, vectors.ids[i])
        where = ("même section" if _section_of(other.id) == section else
                 "même document, autre section" if other.doc_id == passage.doc_id else "autre document")
        out.append(RelatedPassage.of(other, DocumentSummary.of(other.doc_id, documents.get(other.doc_id, {})), **citer.facts(other),
                                     score=round(float(cosine[i]), 4), reason=f"sens proche, {where}"))
    return tuple(out)


def _section_of(passage_id: str) -> str:
    return passage_id.rsplit("-", 1)[0]  # '<document>/<section anchor>-<n>'


def _document_of(passage_id: str) -> str:
    return passage_id.split("/", 1)[0]


def _by_terms(held: Session, passage: Passage, limit: int, citer: Citer) -> tuple[RelatedPassage, ...]:
    view = held.view
    docnum = view.docnum(passage.id)
    hits = view.more_like(docnum, "text_stem", passage.text, top=limit + 1, terms=12) if docnum is not None else []
    scored = [(Passage.from_dict(view.stored(d)["payload"]), score) for d, score in hits]
    documents = held.snapshot.documents
    out = [
        RelatedPassage.of(other, DocumentSummary.of(other.doc_id, documents.get(other.doc_id, {})), **citer.facts(other),
                          score=round(score, 4), reason=BY_TERMS)
        for other, score in scored if other.id != passage.id
    ]
    return tuple(out[:limit])
