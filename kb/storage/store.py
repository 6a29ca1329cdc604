"""Read access to the current index: passages, documents, stats; follows atomic switches."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import IndexDamagedError, IndexMissingError, KBError, NotFoundError
from kb.models import Passage
from kb.semantic.model import Embedder, load_embedder
from kb.semantic.vectors import PassageVectors, read_vectors
from kb.storage.backend import IndexView, Weighting
from kb.storage.derived import bind
from kb.storage.integrity import Fingerprint, Verification, fingerprint, open_verified
from kb.storage.layout import current_build, current_target, finished_builds
from kb.storage.query import Term
from kb.storage.stats import compute_stats
from kb.storage.whoosh_adapter.view import WhooshView, new_searcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One opened and verified build: its Whoosh index and manifest, immutable once built.

    `current` is the build `current` pointed to when this one was opened: the same build, or a
    damaged one that `damage` describes, in which case this is the last good build standing in."""

    path: Path
    index: Any  # the backend's opened index (kb/storage/whoosh_adapter)
    manifest: dict[str, Any]
    documents: dict[str, dict[str, Any]]
    verification: Verification
    fingerprint: Fingerprint
    current: Path
    current_fingerprint: Fingerprint
    damage: IndexDamagedError | None = None
    vectors: PassageVectors | None = None  # each passage's meaning, when the build has them

    @property
    def key(self) -> tuple[str, Fingerprint]:
        """What identifies this build's files: caches of values derived from it are keyed by it."""
        return str(self.path), self.fingerprint


@dataclass(frozen=True)
class Session:
    """A snapshot and a view of that same build: what one request reads never mixes two builds."""

    snapshot: Snapshot
    view: IndexView


class KnowledgeBase:
    """The search service's view of an index root; reopens when a new build is switched in,
    and verifies each build before serving it (a damaged one is replaced by the last good one)."""

    def __init__(self, root: Path, embedder: Embedder | None = None) -> None:
        """`embedder`: the model that embeds queries, None for the process's (load_embedder());
        the injection point of tests that need the same vectors on every CPU."""
        self.root = Path(root)
        self._embedder = embedder
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._refused: tuple[Path, Fingerprint, IndexDamagedError] | None = None
        self._search_lock = threading.Lock()
        self._holder: int | None = None  # the thread inside session(), to refuse a nested one
        self._reader: tuple[Snapshot, Any] | None = None
        self._searchers: dict[Weighting | None, Any] = {}
        self._stats: tuple[Snapshot, dict[str, Any]] | None = None

    def snapshot(self) -> Snapshot:
        """The build to serve: `current` if it verifies, else the newest older build that does."""
        build = self._current()
        snap = self._snapshot
        if snap is None or not self._still_valid(snap, build):
            with self._lock:
                snap = self._snapshot
                if snap is None or not self._still_valid(snap, build):
                    snap = self._open_serving(build)
                    self._snapshot = snap
        return snap

    def served(self) -> Snapshot:
        """The build served last, not checked again: a hint for work done before the lock (the
        session's snapshot decides what a request reads); opened on first use."""
        return self._snapshot or self.snapshot()

    def query_embedder(self) -> Embedder | None:
        """The model that embeds this base's queries, or None when it cannot be loaded here."""
        return self._embedder if self._embedder is not None else load_embedder()

    def _current(self) -> Path:
        build = current_build(self.root)
        if build is not None:
            return build
        target = current_target(self.root)
        if target is not None:
            raise IndexMissingError(
                f"the index in {self.root} points to {target}, which is not a complete build",
                hint="rebuild it with `kb index`",
            )
        raise IndexMissingError(
            f"no index found in {self.root}",
            hint="build it with `kb index` (or `make index`), or point KB_INDEX at an existing index",
        )

    @staticmethod
    def _still_valid(snap: Snapshot, build: Path) -> bool:
        """Nothing was switched, and no file of what is served changed since it was verified."""
        if snap.current != build or fingerprint(build) != snap.current_fingerprint:
            return False
        return snap.path == build or fingerprint(snap.path) == snap.fingerprint

    def _open_serving(self, build: Path) -> Snapshot:
        refused = self._refused
        known = refused is not None and refused[0] == build and refused[1] == fingerprint(build)
        try:
            if known:
                raise refused[2]  # type: ignore[index]  # already found damaged, and unchanged since
            return self._open(build, build)
        except IndexDamagedError as damage:
            if not known:
                self._refused = (build, fingerprint(build), damage)
                log.error("%s", damage)
            for candidate in finished_builds(self.root):
                if candidate == build:
                    continue
                try:
                    snap = self._open(candidate, build, damage)
                except IndexDamagedError as older:
                    if not known:
                        log.error("%s", older)
                    continue
                log.warning("serving the previous build %s until the index is rebuilt", candidate.name)
                return snap
            raise

    @staticmethod
    def _open(build: Path, current: Path, damage: IndexDamagedError | None = None) -> Snapshot:
        current_fp = fingerprint(current)
        opened = open_verified(build)
        manifest = opened.manifest
        documents = {
            f["doc_id"]: f["document"] for f in manifest["files"].values() if f.get("doc_id") and f.get("document")
        }
        try:
            vectors = read_vectors(build)
        except (OSError, ValueError) as exc:
            raise IndexDamagedError(build.name, f"its vectors cannot be read ({exc})") from exc
        return Snapshot(build, opened.index, manifest, documents, opened.verification, fingerprint(build), current, current_fp,
                        damage, vectors)

    @contextmanager
    def session(self, weighting: Weighting | None = None, carried: IndexView | None = None) -> Iterator[Session]:
        """The build to serve and a view of it, scoring with `weighting` (None for reads that
        do not score: BM25F's usual constants then; kb.search passes its RankingParams'),
        held by one thread at a time; refreshed when a new build is switched in. A request reads
        this snapshot, never kb.snapshot() again (that may be a newer build).

        One reader per process rather than one per thread: each keeps its own caches (eight
        server threads held eight copies, 1.2 GB resident), and Whoosh scores in Python, so
        threads never ran searches in parallel anyway. Searchers of other weightings (the
        tuner's) share that reader and its caches. A session does not nest: pass it down.
        `carried`: the view of the same request's previous session (its postings are kept while
        the build is the same)."""
        if self._holder == threading.get_ident():
            raise RuntimeError("KnowledgeBase.session() does not nest: pass the session down instead")
        with self._search_lock:
            snap = self.snapshot()  # under the lock: a thread never reopens a build older than the last one read
            self._holder = threading.get_ident()
            try:
                yield Session(snap, WhooshView(self._searcher(snap, weighting), carried))
            except KBError:
                raise
            except Exception as exc:
                self._raise_if_changed(snap, exc)
                raise
            finally:
                self._holder = None

    def _searcher(self, snap: Snapshot, weighting: Weighting | None) -> Any:
        """The searcher of `weighting` over the snapshot's one reader (the lock is held)."""
        if self._reader is None or self._reader[0] is not snap:
            self._close_reader()
            self._reader = (snap, snap.index.reader())
            bind(self._reader[1], snap.key)
        searcher = self._searchers.get(weighting)
        if searcher is None:
            searcher = new_searcher(self._reader[1], weighting)
            self._searchers[weighting] = searcher
        return searcher

    def _close_reader(self) -> None:
        for searcher in self._searchers.values():
            searcher.close()
        self._searchers = {}
        if self._reader is not None:
            self._reader[1].close()
            self._reader = None

    def _raise_if_changed(self, snap: Snapshot, exc: Exception) -> None:
        """A read that failed because the build's files changed under it is reported as damage
        (503, and the next request verifies again), not as an internal error."""
        if fingerprint(snap.path) == snap.fingerprint:
            return
        self._snapshot = None
        raise IndexDamagedError(snap.path.name, f"its files changed while being read ({type(exc).__name__})") from exc

    def release(self) -> None:
        """Close the shared reader (a forked worker opens its own on first use)."""
        with self._search_lock:
            self._close_reader()

    # Documents -----------------------------------------------------------------------------

    def documents(self) -> list[dict[str, Any]]:
        """Every indexed document's metadata, sorted by title."""
        return sorted(self.snapshot().documents.values(), key=lambda d: d["title"].lower())

    def document(self, doc_id: str) -> dict[str, Any]:
        """One document's metadata and sections, or NotFoundError."""
        doc = self.snapshot().documents.get(doc_id)
        if doc is None:
            raise NotFoundError(f"unknown document '{doc_id}'", kind="document")
        return doc

    def document_passages(self, doc_id: str) -> list[Passage]:
        """All passages of a document in reading order."""
        with self.session() as held:
            if doc_id not in held.snapshot.documents:
                raise NotFoundError(f"unknown document '{doc_id}'", kind="document")
            return _passages_of(held.view, doc_id)

    # Passages ------------------------------------------------------------------------------

    def passage(self, passage_id: str) -> Passage:
        """One passage by id, or NotFoundError."""
        with self.session() as held:
            return passage_in(held.view, passage_id)

    def all_passages(self) -> list[Passage]:
        """Every passage, grouped by document in reading order (bulk export)."""
        out: list[Passage] = []
        with self.session() as held:
            for doc in sorted(held.snapshot.documents):
                out.extend(_passages_of(held.view, doc))
        return out

    def stats(self) -> dict[str, Any]:
        """Passages per category and per document, plus totals (computed once per build)."""
        cached = self._stats
        if cached is not None and cached[0] is self.snapshot():
            return cached[1]
        with self.session() as held:
            stats = compute_stats(held)
            self._stats = (held.snapshot, stats)
        return stats


def passage_in(view: IndexView, passage_id: str) -> Passage:
    """One passage by id from the view of a session, or NotFoundError."""
    docnum = view.docnum(passage_id)
    if docnum is None:
        raise NotFoundError(f"unknown passage '{passage_id}'", hint="passage ids look like '<document>/<section>-<n>'", kind="passage")
    return Passage.from_dict(view.stored(docnum)["payload"])


def _passages_of(view: IndexView, doc_id: str) -> list[Passage]:
    """A document's passages in reading order."""
    positions = view.column("position")
    docnums = sorted(view.matches(Term("doc_id", doc_id)), key=lambda d: (positions[d], d))
    return [Passage.from_dict(view.stored(d)["payload"]) for d in docnums]
