"""SQLite FTS5 reference (unicode61 remove_diacritics 2, bm25) over the same passages."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

from kb.models import Passage

_WORD = re.compile(r"\w+", re.UNICODE)


def build_fts5(passages: Iterable[Passage], titles: dict[str, str]) -> sqlite3.Connection:
    """An in-memory FTS5 table with the passage text, its headings and its document title."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE VIRTUAL TABLE p USING fts5(id UNINDEXED, text, heading, title, tokenize='unicode61 remove_diacritics 2')")
    db.executemany(
        "INSERT INTO p VALUES (?, ?, ?, ?)",
        ((p.id, p.text, " / ".join(p.section), titles.get(p.doc_id, "")) for p in passages),
    )
    db.commit()
    return db


def fts5_query(text: str) -> str | None:
    """The query's words as quoted tokens OR-ed together (FTS5 syntax can never break)."""
    words = _WORD.findall(text.lower())
    return " OR ".join(f'"{w}"' for w in words) if words else None


def fts5_search(db: sqlite3.Connection, text: str, limit: int = 10) -> list[str]:
    """Ids of the best `limit` passages by bm25."""
    match = fts5_query(text)
    if match is None:
        return []
    rows = db.execute("SELECT id FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", (match, limit))
    return [r[0] for r in rows]
