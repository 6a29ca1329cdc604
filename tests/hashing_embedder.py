"""A test-only embedder whose rows are the same bits on every CPU: character trigrams hashed
into 384 dimensions, L2-normalised, then rounded to multiples of 2**-11, so that every dot
product of two rows is exact in float32 whatever order a BLAS kernel sums it in (each product is
a multiple of 2**-22 and every partial sum stays below 2: 24 significant bits suffice). The
real model's rows differ in their last digits between AVX2 and AVX-512 kernels, which reorders
near ties; these never do. Injected with KnowledgeBase(root, embedder=...) for the queries and
`index_vectors` for the passages of a build."""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from whoosh.index import open_dir

from kb.semantic.model import DIM, MODEL_ID
from kb.semantic.vectors import PassageVectors, content_key, embed_text, write_vectors
from kb.storage.layout import current_build

STEP = 2.0 ** -11


class HashingEmbedder:
    """Embedder's interface (query, passages, model_id) over hashed character trigrams."""

    model_id = MODEL_ID  # the build's vectors are read as this model's

    def row(self, text: str) -> np.ndarray:
        """The text's trigram counts, signed by hash, normalised and rounded to STEP."""
        norm = " " + " ".join(unicodedata.normalize("NFKC", text).lower().split()) + " "
        counts = np.zeros(DIM, dtype=np.float64)
        for i in range(len(norm) - 2):
            h = zlib.crc32(norm[i : i + 3].encode("utf-8"))
            counts[h % DIM] += 1.0 if (h >> 16) & 1 else -1.0
        length = float(np.linalg.norm(counts))
        if length == 0:
            counts[0], length = 1.0, 1.0
        return (np.round(counts / length / STEP) * STEP).astype(np.float32)

    def query(self, text: str) -> np.ndarray:
        return self.row(text)

    def passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.vstack([self.row(t) for t in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)
        if progress:
            progress(len(texts))
        return out


def index_vectors(root: Path, embedder: HashingEmbedder) -> None:
    """Give the current build of `root` (made with --no-semantic) the embedder's vectors of
    exactly the texts the indexer embeds, before any KnowledgeBase opens it."""
    build = current_build(root)
    assert build is not None
    with open_dir(str(build)).searcher() as searcher:
        payloads = [fields["payload"] for fields in searcher.all_stored_fields()]
    texts = [embed_text(p["text"], p["section"], p.get("context")) for p in payloads]
    vectors = PassageVectors(tuple(p["id"] for p in payloads), tuple(content_key(t) for t in texts), embedder.passages(texts))
    write_vectors(build, vectors)
