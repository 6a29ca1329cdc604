"""Corpus → Whoosh index: files read once, unchanged ones reused, the new build written in a
fresh directory, verified, and switched in atomically; operator errors become messages."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.diskspace import check_free_space, operator_errors
from indexer.ids import assign_ids
from indexer.loaders import load_document
from indexer.loaders.source import MAX_FILE_BYTES, read_file_once
from indexer.passages import make_passages
from indexer.sources import Corpus, Source, read_corpus
from indexer.writer import BuildPlan, Progress, cleanup, write_build
from kb.analysis import LEMMAS
from kb.classify import Classifier
from kb.errors import DocumentError, IndexDamagedError, IndexLockedError, KBError
from kb.integrity import verify_build
from kb.layout import LOCK, current_build, finished_builds, read_manifest
from kb.models import LoadedDocument, Passage
from kb.schema import SCHEMA_VERSION, build_schema
from kb.text import count_words

__all__ = ["BuildReport", "Progress", "build_index", "build_lock"]


@dataclass
class BuildReport:
    """What a build did: counts for the summary, and every warning with its file."""

    index_path: Path
    documents: int = 0
    passages: int = 0
    words: int = 0
    seconds: float = 0.0
    up_to_date: bool = False
    reindexed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection during bulk allocation: a build creates millions of small
    tuples and nothing cyclic, and the collector's repeated full passes cost a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One build at a time per index root; a second one fails at once with a clear message."""
    root.mkdir(parents=True, exist_ok=True)
    fh = open(root / LOCK, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise IndexLockedError(
                f"another build is already running on {root} (pid {holder})",
                hint="wait for it to finish; the current index keeps serving meanwhile",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fh.close()


def _config_hash() -> str:
    """Changes when anything that shapes every passage changes: schema, taxonomy, code version."""
    from kb import __version__
    from kb.classify import taxonomy_fingerprint

    return hashlib.sha256(f"{SCHEMA_VERSION}|{__version__}|{taxonomy_fingerprint()}".encode()).hexdigest()[:16]


def build_index(
    corpus: list[Path],
    root: Path,
    *,
    strict: bool = False,
    max_bytes: int = MAX_FILE_BYTES,
    progress: Progress | None = None,
    n_process: int = 1,
    force: bool = False,
    follow_symlinks: bool = False,
) -> BuildReport:
    """Index `corpus` into `root`; unchanged files are reused unless `force`, and the current
    build keeps serving until the verified new one replaces it."""
    started = time.perf_counter()
    report = BuildReport(index_path=root)
    with operator_errors(root), build_lock(root), paused_gc():
        previous = current_build(root)
        old = None if force else _reusable(previous, report)
        old_files: dict[str, dict[str, Any]] = old["files"] if old else {}
        sources = read_corpus(corpus, old_files, max_bytes, follow_symlinks)
        report.warnings.extend(sources.warnings)
        state = _BuildState(sources, old_files, report)
        if old and not state.to_load and not state.vanished():
            _fail_if_strict(strict, report)
            report.up_to_date = True
            report.index_path = previous  # type: ignore[assignment]
            _fill_counts(report, old["files"])
            report.seconds = time.perf_counter() - started
            return report
        check_free_space(root, previous if old else None, sources.bytes)
        plan = state.plan(previous if old else None, max_bytes, progress)
        _fail_if_strict(strict, report)
        _analyse(plan, n_process, report)
        plan.config = _config_hash()
        plan.warnings = report.warnings + report.skipped
        clock = time.perf_counter()
        final, manifest = write_build(root, plan, progress)
        report.timings["write"] = time.perf_counter() - clock
        cleanup(root, final, previous if old else _newest_other(root, final, previous))
        report.reindexed = sorted(doc.meta.id for doc, _ in plan.documents.values())
        report.removed = state.removed(manifest["files"])
        _fill_counts(report, manifest["files"])
        report.index_path = final
    report.seconds = time.perf_counter() - started
    return report


def _fail_if_strict(strict: bool, report: BuildReport) -> None:
    if strict and (report.warnings or report.skipped):
        problems = "".join(f"\n  - {w}" for w in report.skipped + report.warnings)
        raise KBError(
            f"{len(report.warnings) + len(report.skipped)} warning(s) in strict mode; the index was not changed:{problems}",
            hint="fix the files named above, or run without --strict",
        )


def _reusable(previous: Path | None, report: BuildReport) -> dict[str, Any] | None:
    """The current build's manifest when it can be built upon: same configuration, and intact."""
    if previous is None:
        return None
    try:
        old = read_manifest(previous)
    except (OSError, ValueError):
        old = None
    if not old or old.get("config") != _config_hash() or "index_files" not in old:
        return None  # schema, taxonomy or code changed, or built before checksums: rebuild everything
    try:
        verify_build(previous, build_schema())
    except IndexDamagedError as exc:
        report.warnings.append(f"{exc.message}; rebuilding from scratch")
        return None
    return old


def _newest_other(root: Path, final: Path, previous: Path | None) -> Path | None:
    """When the current build was not reused (damaged, forced, changed configuration), the
    newest build that is neither the new one nor a damaged one stays as a fallback."""
    others = [b for b in finished_builds(root) if b != final]
    for build in others:
        try:
            verify_build(build, build_schema())
        except IndexDamagedError:
            continue
        return build
    return None


class _BuildState:
    """Which files to load, which to keep as they were indexed, and the ids they end up with."""

    def __init__(self, corpus: Corpus, old_files: dict[str, dict[str, Any]], report: BuildReport) -> None:
        self.corpus = corpus
        self.old_files = old_files
        self.report = report
        self.to_load = [k for k, s in corpus.sources.items() if s.raw is not None or (s.error and not self._same_error(k))]
        self.files: dict[str, dict[str, Any]] = {}
        self.loaded: dict[str, LoadedDocument] = {}
        for key in corpus.sources:
            if key not in self.to_load:
                self._keep(key)

    def _same_error(self, key: str) -> bool:
        old = self.old_files.get(key)
        return bool(old) and self.corpus.sources[key].hash in (old.get("hash"), (old.get("failed") or {}).get("hash"))  # type: ignore[union-attr]

    def vanished(self) -> bool:
        """Some file indexed last time is no longer in the corpus."""
        return any(k not in self.corpus.sources for k in self.old_files)

    def plan(self, previous: Path | None, max_bytes: int, progress: Progress | None) -> BuildPlan:
        """Load what changed, keep what did not, give every document its history-free id."""
        clock = time.perf_counter()
        self._load_all(self.to_load, max_bytes, progress)
        ids = self._settle_ids(max_bytes)
        self.report.timings["load"] = time.perf_counter() - clock
        plan = BuildPlan(previous)
        for key, doc in self.loaded.items():
            doc.meta.id = ids[key]
            self.files[key]["doc_id"] = doc.meta.id
        plan.files = self.files
        kept_ids = {f["doc_id"] for k, f in self.files.items() if k not in self.loaded and f.get("doc_id")}
        plan.delete = {f["doc_id"] for f in self.old_files.values() if f.get("doc_id")} - kept_ids if previous else set()
        plan.documents = {key: (doc, []) for key, doc in self.loaded.items()}
        return plan

    def _keep(self, key: str) -> None:
        """An unchanged file, or one that fails as it failed last time: its entry as it was."""
        old = dict(self.old_files[key])
        failed = old.get("failed") or ({"error": old["error"]} if old.get("error") else None)
        if failed and old.get("doc_id"):
            self.report.warnings.append(f"{failed['error']}; the version indexed before is kept")
        elif failed:
            self.report.skipped.append(failed["error"])
        self.files[key] = old

    def _load_all(self, keys: list[str], max_bytes: int, progress: Progress | None) -> None:
        for n, key in enumerate(keys, 1):
            if progress:
                progress("load", n, len(keys))
            self._load(key, self.corpus.sources[key], max_bytes)

    def _load(self, key: str, source: Source, max_bytes: int) -> None:
        old = self.old_files.get(key)
        try:
            if source.error:
                raise DocumentError(str(source.path), source.error.split(": ", 1)[-1])
            doc = load_document(source.path, source.entry, max_bytes, source.name, source.raw)
        except DocumentError as exc:
            message = source.error or str(exc)
            if old and old.get("doc_id"):  # a file that fails now: its last good version stays
                self.report.warnings.append(f"{message}; the version indexed before is kept")
                self.files[key] = {**{k: v for k, v in old.items() if k != "failed"}, "failed": {"hash": source.hash, "error": message}}
            else:
                self.report.skipped.append(message)
                self.files[key] = {"hash": source.hash, "doc_id": None, "error": message}
            return
        finally:
            source.raw = None
        self.report.warnings.extend(doc.warnings)
        self.loaded[key] = doc
        self.files[key] = {"hash": source.hash, "doc_id": doc.meta.id, "base_id": doc.meta.id}

    def _settle_ids(self, max_bytes: int) -> dict[str, str]:
        """Assign ids by sorted path; a kept file whose id would move is loaded again under it."""
        while True:
            failing = {k: f["doc_id"] for k, f in self.files.items() if f.get("failed") and f.get("doc_id")}
            wanted = {k: f.get("base_id") or f["doc_id"] for k, f in self.files.items() if f.get("doc_id") and k not in failing}
            ids = assign_ids(wanted, reserved=failing)
            moved = [k for k in wanted if k not in self.loaded and ids[k] != self.files[k]["doc_id"]]
            if not moved:
                break
            for key in moved:
                source = self.corpus.sources[key]
                source.raw = read_file_once(source.path, max_bytes, follow=True)
                self._load(key, source, max_bytes)
        for key, doc_id in ids.items():
            base = wanted.get(key)
            if key in self.loaded and base and doc_id != base:
                holder = next(k for k, i in ids.items() if i == base)
                self.report.warnings.append(f"{key}: document id '{base}' is already used by {holder}; using '{doc_id}'")
        return ids

    def removed(self, files: dict[str, dict[str, Any]]) -> list[str]:
        """Every document id of the previous build that the new one no longer has, by name."""
        now = {f["doc_id"] for f in files.values() if f.get("doc_id")}
        return sorted({f["doc_id"] for f in self.old_files.values() if f.get("doc_id")} - now)


def _analyse(plan: BuildPlan, n_process: int, report: BuildReport) -> None:
    """Passages, lemmas (one spaCy pass) and categories of every document to add."""
    clock = time.perf_counter()
    plan.documents = {key: (doc, make_passages(doc)) for key, (doc, _) in plan.documents.items()}
    for key, (doc, passages) in plan.documents.items():
        plan.files[key]["document"] = {
            **doc.meta.to_dict(),
            "sections": [s.__dict__ for s in doc.sections],
            "passages": len(passages),
            "words": sum(count_words(p.text) for p in passages),
        }
    report.timings["passages"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _prime_lemmas(list(plan.documents.values()), n_process)
    report.timings["lemmatise"] = time.perf_counter() - clock
    clock = time.perf_counter()
    classifier = Classifier.load()
    for doc, passages in plan.documents.values():
        for passage in passages:
            passage.categories, passage.explanation = classifier.classify(passage, doc.meta.title)
    report.timings["categorise"] = time.perf_counter() - clock


def _prime_lemmas(documents: list[tuple[LoadedDocument, list[Passage]]], n_process: int) -> None:
    """Lemmatise every text the build will analyse in one nlp.pipe pass (batching is 3x faster)."""
    texts: list[str] = []
    for doc, passages in documents:
        texts.append(doc.meta.title)
        for p in passages:
            texts.append(p.text)
            texts.append(" / ".join(p.section))
            texts.extend(p.section)
    LEMMAS.prime(texts, n_process=n_process)


def _fill_counts(report: BuildReport, files: dict[str, dict[str, Any]]) -> None:
    docs = [f["document"] for f in files.values() if f.get("document")]
    report.documents = len(docs)
    report.passages = sum(d["passages"] for d in docs)
    report.words = sum(d["words"] for d in docs)
