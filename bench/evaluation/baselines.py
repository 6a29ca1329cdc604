"""The ranked systems, all over the same passages: ours, Whoosh StandardAnalyzer + BM25F, SQLite FTS5."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from whoosh import qparser, scoring
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from kb.search import SearchRequest, search
from kb.search.ranking import DEFAULT_PARAMS, RankingParams
from kb.storage.store import KnowledgeBase

FIELDS = ("text", "heading", "title")
# Query-language characters a user types by accident ("?" ends questions): read as spaces.
_SYNTAX = re.compile(r"[?*:^~(){}\[\]]")
_PHRASE_OR_WORD = re.compile(r'"([^"]*)"|([^\s"]+)')
_FTS_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Record:
    """One passage as every system indexes it: id, text, section heading, document title."""

    id: str
    text: str
    heading: str
    title: str


def index_records(kb: KnowledgeBase) -> list[Record]:
    """Every passage of an index with the heading and title our own fields are built from."""
    docs = kb.snapshot().documents
    return [
        Record(p.id, p.text, " / ".join(p.section), str(docs.get(p.doc_id, {}).get("title") or ""))
        for p in kb.all_passages()
    ]


class WhooshDefault:
    """Out-of-the-box Whoosh: StandardAnalyzer (no stemming, no folding), BM25F, OR query."""

    name = "whoosh-default"

    def __init__(self, records: list[Record]) -> None:
        analyzer = StandardAnalyzer()
        schema = Schema(id=ID(stored=True, unique=True), **{f: TEXT(analyzer=analyzer) for f in FIELDS})
        self._index = RamStorage().create_index(schema)
        writer = self._index.writer()
        for r in records:
            writer.add_document(id=r.id, text=r.text, heading=r.heading, title=r.title)
        writer.commit()
        self._searcher = self._index.searcher(weighting=scoring.BM25F())
        parser = qparser.MultifieldParser(list(FIELDS), schema, group=qparser.OrGroup)
        for plugin in (qparser.WildcardPlugin, qparser.FieldsPlugin, qparser.RangePlugin, qparser.BoostPlugin, qparser.EveryPlugin, qparser.SingleQuotePlugin):
            parser.remove_plugin_class(plugin)
        self._parser = parser

    def rank(self, query: str, k: int = 10) -> list[str]:
        """Passage ids of the top k for the query as a user typed it."""
        parsed = self._parser.parse(_SYNTAX.sub(" ", query))
        return [hit["id"] for hit in self._searcher.search(parsed, limit=k)]

    def close(self) -> None:
        self._searcher.close()


def fts5_query(query: str) -> str:
    """User text → FTS5 MATCH syntax: every word a quoted token, "phrases" kept, all OR-ed."""
    clauses: list[str] = []
    for match in _PHRASE_OR_WORD.finditer(query):
        phrase, bare = match.group(1), match.group(2)
        tokens = _FTS_TOKEN.findall(phrase if phrase is not None else bare)
        if phrase is not None and len(tokens) > 1:
            clauses.append('"' + " ".join(tokens) + '"')
        else:
            clauses.extend(f'"{t}"' for t in tokens)
    return " OR ".join(dict.fromkeys(clauses))


class Fts5:
    """SQLite FTS5 with `unicode61 remove_diacritics 2`, ranked by bm25() (equal column weights)."""

    name = "fts5"

    def __init__(self, records: list[Record]) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute(
            "CREATE VIRTUAL TABLE p USING fts5(id UNINDEXED, text, heading, title, tokenize='unicode61 remove_diacritics 2')"
        )
        self._db.executemany("INSERT INTO p VALUES (?, ?, ?, ?)", [(r.id, r.text, r.heading, r.title) for r in records])
        self._db.commit()

    def rank(self, query: str, k: int = 10) -> list[str]:
        """Passage ids of the top k, best bm25() first."""
        match = fts5_query(query)
        if not match:
            return []
        rows = self._db.execute("SELECT id FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", (match, k))
        return [row[0] for row in rows]

    def close(self) -> None:
        self._db.close()


class Ours:
    """Our engine through kb.search.search() itself: the figures `make eval` reports."""

    name = "ours"

    def __init__(self, kb: KnowledgeBase, params: RankingParams = DEFAULT_PARAMS, mode: str | None = None) -> None:
        self._kb = kb
        self._params = params
        self._mode = mode  # None: the service's default (hybrid when the index has vectors)

    def rank(self, query: str, k: int = 10) -> list[str]:
        """Passage ids of the first results page of `k`."""
        return search_ids(self._kb, query, self._params, k, self._mode)

    def close(self) -> None:
        pass


def search_ids(kb: KnowledgeBase, query: str, params: RankingParams = DEFAULT_PARAMS, k: int = 10,
               mode: str | None = None) -> list[str]:
    """The reference: passage ids from kb.search.search() itself."""
    return [r.id for r in search(kb, SearchRequest(query, limit=k, mode=mode), params).results]
