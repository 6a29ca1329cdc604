"""The semantic stage: the cosine of every passage to the query, from the build's vectors."""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh.searching import Searcher

from kb.search.per_reader import per_reader
from kb.semantic.model import Embedder
from kb.semantic.vectors import PassageVectors


def _rows(searcher: Searcher, vectors: PassageVectors) -> np.ndarray:
    """The row of the build's matrix of every document number (-1: deleted or absent); a reader
    belongs to one build, and so do its vectors."""
    def read(reader: Any) -> np.ndarray:
        rows = np.full(reader.doc_count_all(), -1, dtype=np.int64)
        for docnum, fields in reader.iter_docs():
            rows[docnum] = vectors.row.get(fields["id"], -1)
        return rows

    return per_reader(searcher.reader(), "vector-rows", read)


def cosines(searcher: Searcher, vectors: PassageVectors, embedder: Embedder, text: str) -> np.ndarray:
    """Cosine of each document number's passage to `text` (-inf where a passage has no vector)."""
    rows = _rows(searcher, vectors)
    by_row = vectors.matrix @ embedder.query(text)
    out = np.full(rows.shape, -np.inf, dtype=np.float32)
    present = rows >= 0
    out[present] = by_row[rows[present]]
    return out
