"""Read access to the current index: passages, documents, stats; follows atomic switches."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import Index
from whoosh.query import Term
from whoosh.searching import Searcher

from kb.errors import IndexMissingError, NotFoundError
from kb.layout import current_build, read_manifest
from kb.models import Passage
from kb.ranking import DEFAULT_PARAMS
from kb.schema import build_schema


@dataclass(frozen=True)
class Snapshot:
    """One opened build: its Whoosh index and manifest, immutable once built."""

    path: Path
    index: Index
    manifest: dict[str, Any]
    documents: dict[str, dict[str, Any]]


class KnowledgeBase:
    """The search service's view of an index root; reopens when a new build is switched in."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._search_lock = threading.RLock()
        self._depth = 0  # re-entrant holds of the lock (a nested reading() keeps the same searcher)
        self._shared: tuple[Snapshot, Searcher] | None = None
        self._stats: tuple[Snapshot, dict[str, Any]] | None = None

    def snapshot(self) -> Snapshot:
        """The current build, reopened if `current` now points elsewhere."""
        build = current_build(self.root)
        if build is None:
            raise IndexMissingError(
                f"no index found in {self.root}",
                hint="build it with `kb index` (or `make index`), or point KB_INDEX at an existing index",
            )
        snap = self._snapshot
        if snap is None or snap.path != build:
            with self._lock:
                snap = self._snapshot
                if snap is None or snap.path != build:
                    snap = self._open(build)
                    self._snapshot = snap
        return snap

    @staticmethod
    def _open(build: Path) -> Snapshot:
        manifest = read_manifest(build)
        ix = whoosh_index.open_dir(str(build), schema=build_schema())
        documents = {
            f["doc_id"]: f["document"] for f in manifest["files"].values() if f.get("doc_id") and f.get("document")
        }
        return Snapshot(build, ix, manifest, documents)

    @contextmanager
    def reading(self) -> Iterator[Searcher]:
        """The current build's one searcher, held by one thread at a time; refreshed on a switch.

        One per process rather than one per thread: each Whoosh searcher maps the whole segment
        file and keeps its own caches (eight server threads held eight copies, 1.2 GB resident),
        and Whoosh scores in Python, so threads never ran searches in parallel anyway."""
        snap = self.snapshot()
        with self._search_lock:
            self._depth += 1
            try:
                shared = self._shared
                if self._depth == 1 and (shared is None or shared[0] is not snap):
                    if shared is not None:
                        shared[1].close()  # nobody else holds it: we hold the lock
                    shared = (snap, snap.index.searcher(weighting=DEFAULT_PARAMS.weighting()))  # measured k1, b
                    self._shared = shared
                assert shared is not None
                yield shared[1]
            finally:
                self._depth -= 1

    def release(self) -> None:
        """Close the shared searcher (a forked worker opens its own on first use)."""
        with self._search_lock:
            if self._shared is not None and self._depth == 0:
                self._shared[1].close()
                self._shared = None

    # Documents -----------------------------------------------------------------------------

    def documents(self) -> list[dict[str, Any]]:
        """Every indexed document's metadata, sorted by title."""
        return sorted(self.snapshot().documents.values(), key=lambda d: d["title"].lower())

    def document(self, doc_id: str) -> dict[str, Any]:
        """One document's metadata and sections, or NotFoundError."""
        doc = self.snapshot().documents.get(doc_id)
        if doc is None:
            raise NotFoundError(f"unknown document '{doc_id}'", hint="GET /api/documents lists the documents")
        return doc

    def document_passages(self, doc_id: str) -> list[Passage]:
        """All passages of a document in reading order."""
        self.document(doc_id)
        with self.reading() as s:
            hits = s.search(Term("doc_id", doc_id), limit=None, sortedby="position")
            return [Passage.from_dict(hit["payload"]) for hit in hits]

    # Passages ------------------------------------------------------------------------------

    def passage(self, passage_id: str) -> Passage:
        """One passage by id, or NotFoundError."""
        with self.reading() as s:
            docnum = s.document_number(id=passage_id)
            if docnum is None:
                raise NotFoundError(f"unknown passage '{passage_id}'", hint="passage ids look like '<document>/<section>-<n>'")
            return Passage.from_dict(s.stored_fields(docnum)["payload"])

    def all_passages(self) -> list[Passage]:
        """Every passage, grouped by document in reading order (bulk export)."""
        out: list[Passage] = []
        for doc in sorted(self.snapshot().documents):
            out.extend(self.document_passages(doc))
        return out

    def stats(self) -> dict[str, Any]:
        """Passages per category and per document, plus totals (computed once per build)."""
        snap = self.snapshot()
        cached = self._stats
        if cached is not None and cached[0] is snap:
            return cached[1]
        stats = self._compute_stats(snap)
        self._stats = (snap, stats)
        return stats

    def _compute_stats(self, snap: Snapshot) -> dict[str, Any]:
        per_category: Counter[str] = Counter()
        per_document: Counter[str] = Counter()
        with self.reading() as s:
            for fields in s.all_stored_fields():
                payload = fields["payload"]
                per_document[payload["doc_id"]] += 1
                per_category.update(payload.get("categories", []))
        docs = snap.documents
        return {
            "documents": len(docs),
            "passages": sum(per_document.values()),
            "words": sum(d.get("words", 0) for d in docs.values()),
            "built_at": snap.manifest.get("built_at"),
            "per_category": dict(per_category),
            "per_document": dict(per_document),
        }
