"""The semantic stage: the cosine of every passage to the query, from the build's vectors."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from kb.semantic.vectors import PassageVectors
from kb.storage.derived import derived


def vector_rows(searcher: Searcher, vectors: PassageVectors, build: Hashable) -> np.ndarray:
    """The row of `build`'s matrix of every document number (-1: deleted or absent). The
    searcher must read `build` too (both from one Session): the value is cached for that build
    and reader together, and refused for a reader of another build."""
    def read(reader: Any) -> np.ndarray:
        rows = np.full(reader.doc_count_all(), -1, dtype=np.int64)
        for docnum, fields in reader.iter_docs():
            rows[docnum] = vectors.row.get(fields["id"], -1)
        return rows

    return derived(searcher.reader(), "vector-rows", read, build)


def cosines(searcher: Searcher, vectors: PassageVectors, build: Hashable, query: np.ndarray) -> np.ndarray:
    """Cosine of each document number's passage to the `query` row (-inf where a passage has no vector)."""
    rows = vector_rows(searcher, vectors, build)
    by_row = vectors.matrix @ query
    out = np.full(rows.shape, -np.inf, dtype=np.float32)
    present = rows >= 0
    out[present] = by_row[rows[present]]
    return out
