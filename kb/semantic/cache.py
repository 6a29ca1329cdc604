"""Passage vectors cached by content key across builds and indexes ($KB_CACHE_DIR): an
unchanged passage is never embedded twice, whatever index it goes into."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kb.config import cache_dir
from kb.semantic.model import DIM

SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"


class VectorCache:
    """A SQLite table of key → float32 vector; a broken or unwritable cache is just a miss."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "vectors.sqlite"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute(SCHEMA)
        return db

    def get(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `keys`."""
        wanted = list(dict.fromkeys(keys))
        out: dict[str, np.ndarray] = {}
        try:
            with self._connect() as db:
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start : start + 500]
                    rows = db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                    for key, blob in rows:
                        vector = np.frombuffer(blob, dtype=np.float32)
                        if vector.shape == (DIM,):
                            out[key] = vector
        except (sqlite3.Error, OSError):
            return out
        return out

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        """Remember these vectors (best effort: the build does not depend on the cache)."""
        try:
            with self._connect() as db:
                db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                               ((k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()))
        except (sqlite3.Error, OSError):
            pass
