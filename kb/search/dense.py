"""The semantic stage: the cosine of every passage to the query, from the build's vectors."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from kb.semantic.vectors import PassageVectors
from kb.storage.backend import IndexView


def vector_rows(view: IndexView, vectors: PassageVectors, build: Hashable) -> np.ndarray:
    """The row of `build`'s matrix of every document number (-1: deleted or absent). The view
    must read `build` too (both from one Session): the value is cached for that build and
    reader together, and refused for a reader of another build."""
    def read(of: IndexView) -> np.ndarray:
        ids = of.passage_ids()
        rows = np.full(len(ids), -1, dtype=np.int64)
        for docnum, passage_id in enumerate(ids):
            if passage_id:
                rows[docnum] = vectors.row.get(passage_id, -1)
        return rows

    return view.derived("vector-rows", read, build)


def cosines(view: IndexView, vectors: PassageVectors, build: Hashable, query: np.ndarray) -> np.ndarray:
    """Closeness of each document number's passage to the `query` row (its cosine and its best
    sentence's, PassageVectors.closeness; -inf where a passage has no vector)."""
    rows = vector_rows(view, vectors, build)
    by_row = vectors.closeness(query)
    out = np.full(rows.shape, -np.inf, dtype=np.float32)
    present = rows >= 0
    out[present] = by_row[rows[present]]
    return out
