"""The passage vectors of one build: a float32 matrix beside the index, rows in the order of
their passage ids, so a build stays one self-contained directory that switches atomically."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kb.semantic.model import DIM, MODEL_ID

MATRIX = "vectors.npy"
META = "vectors.json"
SENTENCES = "sentences.npy"  # the sentences of passages of two or more, beside the passages' own rows
# The model's rows are L2-normalised float32: over the 348 passage vectors of corpus/ and
# corpus-extra (and every build's vectors.npy on this machine), |norm - 1| is at most 1.3e-7
# (median 3.3e-8). The tolerance is ~800 times that, still float rounding; a damaged row (NaN,
# 1e30, zeros, a scaled copy) is far outside it.
UNIT_NORM_TOLERANCE = 1e-4


def embed_text(text: str, section: tuple[str, ...] | list[str], context: str | None = None) -> str:
    """What is embedded for a passage: its section path, then its text (measured: the headings
    say what a short passage is about; the document title added nothing), after its lead-in."""
    body = f"{context} {text}" if context else text
    return f"{' › '.join(section)} : {body}" if section else body


def content_key(text: str) -> str:
    """The cache key of an embedded text: the model and the exact text."""
    return hashlib.sha256(f"{MODEL_ID}\n{text}".encode()).hexdigest()


@dataclass(frozen=True)
class PassageVectors:
    """The vectors of a build: `matrix[i]` is passage `ids[i]`, made from the text keyed `keys[i]`;
    `sentences[j]` is a sentence of passage row `owners[j]`, made from the text keyed `sentence_keys[j]`."""

    ids: tuple[str, ...]
    keys: tuple[str, ...]
    matrix: np.ndarray
    model: str = MODEL_ID
    row: dict[str, int] = field(default_factory=dict, compare=False)
    sentences: np.ndarray | None = field(default=None, compare=False)
    owners: np.ndarray | None = field(default=None, compare=False)
    sentence_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.row.update((pid, i) for i, pid in enumerate(self.ids))

    def by_key(self) -> dict[str, np.ndarray]:
        """Each row (passages' and sentences') by its content key, for a later build to reuse."""
        out = {k: self.matrix[i] for i, k in enumerate(self.keys)}
        if self.sentences is not None:
            out.update((k, self.sentences[j]) for j, k in enumerate(self.sentence_keys))
        return out

    def closeness(self, query: np.ndarray) -> np.ndarray:
        """Each passage row's closeness to `query`: the mean of its own cosine and its best
        sentence's (a passage of one sentence: its own). Measured inside the fusion (issue 28):
        PIAF-dev R@1 0.780 → 0.793, MRR@10 0.847 → 0.856; judged and people sets unchanged."""
        own = self.matrix @ query
        if self.sentences is None or self.owners is None or not len(self.owners):
            return own
        best = own.copy()
        np.maximum.at(best, self.owners, self.sentences @ query)
        return (own + best) / 2


def sound_vectors(vectors: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], set[str]]:
    """The rows a build may reuse (finite, of DIM values, unit norm) and the keys of the others:
    a stored vector is data read back from disk, never trusted to be what the model made."""
    kept: dict[str, np.ndarray] = {}
    rejected: set[str] = set()
    for key, row in vectors.items():
        values = np.asarray(row, dtype=np.float64)
        sound = values.shape == (DIM,) and bool(np.isfinite(values).all()) and abs(float(np.linalg.norm(values)) - 1.0) <= UNIT_NORM_TOLERANCE
        if sound:
            kept[key] = row
        else:
            rejected.add(key)
    return kept, rejected


def write_vectors(build: Path, vectors: PassageVectors) -> None:
    """Save the matrix and its ids in `build` (each file written whole, then renamed)."""
    tmp = build / f".{MATRIX}.{os.getpid()}"
    with open(tmp, "wb") as fh:
        np.save(fh, np.ascontiguousarray(vectors.matrix, dtype=np.float32), allow_pickle=False)
    os.replace(tmp, build / MATRIX)
    meta: dict[str, object] = {"model": vectors.model, "dim": DIM, "ids": list(vectors.ids), "keys": list(vectors.keys)}
    if vectors.sentences is not None and vectors.owners is not None:
        tmp = build / f".{SENTENCES}.{os.getpid()}"
        with open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(vectors.sentences, dtype=np.float32), allow_pickle=False)
        os.replace(tmp, build / SENTENCES)
        meta.update(sentence_keys=list(vectors.sentence_keys), owners=[int(o) for o in vectors.owners])
    else:
        (build / SENTENCES).unlink(missing_ok=True)
    tmp = build / f".{META}.{os.getpid()}"
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, build / META)


def remove_vectors(build: Path) -> None:
    """A build made without vectors (or copied from one with) keeps none."""
    for name in (MATRIX, META, SENTENCES):
        (build / name).unlink(missing_ok=True)


def has_vectors(build: Path) -> bool:
    """The build holds vectors of the current model."""
    try:
        return json.loads((build / META).read_text(encoding="utf-8")).get("model") == MODEL_ID and (build / MATRIX).is_file()
    except (OSError, ValueError):
        return False


def read_vectors(build: Path) -> PassageVectors | None:
    """The build's vectors, or None when it has none or they are of another model."""
    if not (build / META).is_file() or not (build / MATRIX).is_file():
        return None
    meta = json.loads((build / META).read_text(encoding="utf-8"))
    if meta.get("model") != MODEL_ID:
        return None
    matrix = np.load(build / MATRIX, allow_pickle=False)
    if matrix.shape != (len(meta["ids"]), DIM):
        raise ValueError(f"{MATRIX} holds {matrix.shape} for {len(meta['ids'])} passages")
    sentences, owners = _read_sentences(build, meta, len(meta["ids"]))
    return PassageVectors(tuple(meta["ids"]), tuple(meta["keys"]), matrix, meta["model"], sentences=sentences, owners=owners,
                          sentence_keys=tuple(meta.get("sentence_keys") or ()))


def _read_sentences(build: Path, meta: dict[str, Any], passages: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The sentence rows and their passage rows, checked against the manifest of the vectors."""
    if "owners" not in meta:
        return None, None
    owners = np.asarray(meta["owners"], dtype=np.int64)
    sentences = np.load(build / SENTENCES, allow_pickle=False)
    if sentences.shape != (len(owners), DIM) or len(meta.get("sentence_keys") or ()) != len(owners):
        raise ValueError(f"{SENTENCES} holds {sentences.shape} for {len(owners)} sentences")
    if len(owners) and (owners.min() < 0 or owners.max() >= passages):
        raise ValueError(f"{META} names sentences of passages it does not hold")
    return sentences, owners
