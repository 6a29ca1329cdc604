"""The new passages' vectors computed in a background thread while the build analyses and
writes them. onnxruntime releases the GIL while it runs, so on two cores the build's lexical
work (spaCy, Whoosh) and its embedding overlap instead of following each other; the embedding
stage (indexer.embed) then takes these rows as embedded now and embeds only what is left."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from kb.semantic.cache import VectorCache
from kb.semantic.model import load_embedder
from kb.semantic.vectors import content_key

Progress = Callable[[str, int, int], None]
CHUNK = 256  # texts per engine call between two checks of `cancel()` (about 7 s on one core)
# For these keys: the rows to reuse (indexer.embed.known_rows), and the keys whose stored row is damaged.
Lookup = Callable[[list[str]], tuple[dict[str, np.ndarray], set[str]]]


@dataclass
class EarlyRows:
    """What the thread found: rows it embedded, rows it found reusable (the previous build's, the
    cache's: the embedding stage need not read them again), keys of damaged stored rows."""

    embedded: dict[str, np.ndarray] = field(default_factory=dict)
    reused: dict[str, np.ndarray] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)


class EmbeddingAhead:
    """Embeds `texts` (those `reusable` does not already hold) in a daemon thread, shortest
    first, caching each chunk; `finish()` waits for it, `cancel()` stops it at the next chunk.
    An engine that fails or cannot load leaves the rest to the embedding stage."""

    def __init__(self, texts: Iterable[str], reusable: Lookup, cache: VectorCache | None = None) -> None:
        self.rows = EarlyRows()
        self.total = 0
        self.seconds = 0.0
        self._cancelled = threading.Event()
        self._wanted = {content_key(t): t for t in texts}
        self._thread = threading.Thread(target=self._run, args=(reusable, cache or VectorCache()),
                                        name="kb-embed-ahead", daemon=True)
        self._thread.start()

    @property
    def done(self) -> int:
        """Texts embedded so far."""
        return len(self.rows.embedded)

    def _run(self, reusable: Lookup, cache: VectorCache) -> None:
        started = time.perf_counter()
        try:
            known, self.rows.rejected = reusable(list(self._wanted))
            self.rows.reused = known
            todo = sorted((k for k in self._wanted if k not in known), key=lambda k: len(self._wanted[k]))
            self.total = len(todo)
            embedder = load_embedder() if todo else None
            for start in range(0, len(todo) if embedder else 0, CHUNK):
                if self._cancelled.is_set():
                    break
                keys = todo[start : start + CHUNK]
                rows = embedder.passages([self._wanted[k] for k in keys])  # type: ignore[union-attr]
                fresh = dict(zip(keys, rows))
                cache.put(fresh)
                self.rows.embedded.update(fresh)
        except Exception:  # noqa: BLE001 - the embedding stage embeds what is missing, and reports why it cannot
            pass
        finally:
            self.seconds = time.perf_counter() - started

    def finish(self, progress: Progress | None = None) -> EarlyRows:
        """What the thread found, once it is done (reporting its progress meanwhile, from this
        thread: a console shows one bar at a time)."""
        while self._thread.is_alive():
            self._thread.join(0.5)
            if progress and self.total:
                progress("embed", self.done, self.total)
        return self.rows

    def cancel(self) -> None:
        """Stop after the chunk being embedded (the build failed or was interrupted)."""
        self._cancelled.set()
        self._thread.join()
