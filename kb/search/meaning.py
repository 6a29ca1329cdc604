"""The semantic stage's inputs for one request: the query's rows, embedded before the index lock
is taken (an embedding takes up to seconds; lexical searches of other clients wait for none of
it), and the vectors of the very build the request reads."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from kb.search.request import HYBRID, LEXICAL, SearchRequest
from kb.semantic.model import Embedder, unavailable
from kb.semantic.vectors import PassageVectors
from kb.storage.store import KnowledgeBase, Session

log = logging.getLogger(__name__)
_warned: list[bool] = []  # the missing model is logged once per process, not once per query
NO_VECTORS = "Recherche par les mots seulement : cet index n'a pas de vecteurs de sens (« kb index » sans --no-semantic)."
NO_MODEL = "Recherche par les mots seulement : le modèle de sens n'a pas pu être chargé sur cette machine."


class NotEmbedded(Exception):
    """The answer needs the row of a text not embedded before the lock (a correction of the
    query, or a build with vectors switched in meanwhile): release the lock, embed, answer again."""

    def __init__(self, text: str, embedder: Embedder) -> None:
        super().__init__(text)
        self.text = text
        self.embedder = embedder


@dataclass(frozen=True)
class Semantic:
    """What the semantic stage needs: the build's vectors (and which build) and the query rows."""

    vectors: PassageVectors
    build: Hashable
    rows: dict[str, np.ndarray]
    embedder: Embedder
    may_embed: bool  # under the lock: only on a last attempt, so that an answer always comes

    def row(self, text: str) -> np.ndarray:
        """The row of `text`, embedded before the lock was taken (else NotEmbedded)."""
        row = self.rows.get(text)
        if row is not None:
            return row
        if not self.may_embed:
            raise NotEmbedded(text, self.embedder)
        return self.embedder.query(text)


def embedded_beforehand(kb: KnowledgeBase, request: SearchRequest) -> dict[str, np.ndarray]:
    """The query's row when the request will likely search by meaning (the build served now has
    vectors and the model loads), computed without holding the index lock; else none."""
    if request.mode == LEXICAL or kb.served().vectors is None:
        return {}
    embedder = kb.query_embedder()
    return {} if embedder is None else {request.query: embedder.query(request.query)}


def semantic_inputs(kb: KnowledgeBase, held: Session, request: SearchRequest, rows: dict[str, np.ndarray],
                    may_embed: bool) -> tuple[Semantic | None, tuple[str, ...]]:
    """The semantic stage's inputs from the request's session, or None (and, when hybrid was
    asked for, why not)."""
    snapshot = held.snapshot
    if request.mode == LEXICAL:
        return None, ()
    if snapshot.vectors is None:
        return None, (NO_VECTORS,) if request.mode == HYBRID else ()
    embedder = kb.query_embedder()  # only once the build is known to have vectors: reads need no model
    if embedder is None:
        if not _warned:
            _warned.append(True)
            log.warning("semantic search unavailable (%s): searching by words alone", unavailable())
        return None, (NO_MODEL,)
    return Semantic(snapshot.vectors, snapshot.key, rows, embedder, may_embed), ()
