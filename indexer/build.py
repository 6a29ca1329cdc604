"""Corpus → Whoosh index: files read once, unchanged ones reused, the new build written in a
fresh directory, verified, and switched in atomically; operator errors become messages."""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from indexer.diskspace import check_free_space, operator_errors
from indexer.journal import checkpoint
from indexer.writers import Notify, corpus_folders, writer_lock
from indexer.changes import Changes
from indexer.loaders.source import MAX_FILE_BYTES
from indexer.passages import make_passages
from indexer.report import BuildReport
from indexer.sources import read_corpus
from indexer.writer import BuildPlan, Progress, cleanup, write_build
from kb.citations.case import acronyms
from kb.analysis.batch import analyse_groups
from kb.categories.classify import Classifier
from kb.errors import IndexDamagedError, IndexMissingError, KBError
from kb.storage.integrity import Verification, verify_build
from kb.storage.layout import current_build, finished_builds, read_manifest
from kb.models import LoadedDocument, Passage
from kb.semantic.model import load_embedder
from kb.semantic.vectors import has_vectors
from kb.storage.fields import SCHEMA_VERSION
from indexer.text import count_words

__all__ = ["BuildReport", "Progress", "build_index", "update_index", "verify_current"]


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


def _config_hash() -> str:
    """Changes when anything that shapes every passage changes: schema, taxonomy, code version."""
    from kb import __version__
    from kb.categories.classify import taxonomy_fingerprint

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
    semantic: bool = True,
    wait: float = 0.0,
    notify: Notify | None = None,
) -> BuildReport:
    """Index `corpus` into `root`; unchanged files are reused unless `force`, and the current
    build keeps serving until the verified new one replaces it. The corpus folders and the index
    are held against other writers (waiting `wait` seconds at most; `notify` hears why)."""
    started = time.perf_counter()
    report = BuildReport(index_path=root)
    locks = writer_lock(corpus_folders(corpus), root, wait=wait, notify=notify, create=False)
    with operator_errors(root), locks, paused_gc():
        previous = current_build(root)
        old = None if force else _reusable(previous, report)
        old_files: dict[str, dict[str, Any]] = old["files"] if old else {}
        sources = read_corpus(corpus, old_files, max_bytes, follow_symlinks)
        report.warnings.extend(sources.warnings)
        state = Changes(sources, old_files, report)
        if old and not state.to_load and not state.vanished() and _vectors_as_asked(previous, semantic):
            _fail_if_strict(strict, report)
            report.up_to_date = True
            report.index_path = previous  # type: ignore[assignment]
            _fill_counts(report, old["files"])
            report.seconds = time.perf_counter() - started
            return report
        base = previous if old else None  # the build the new one starts from (None: from scratch)
        check_free_space(root, base, sources.bytes)
        plan = state.plan(base, max_bytes, progress)
        _fail_if_strict(strict, report)
        _describe(plan, report)
        checkpoint("build")
        plan.config = _config_hash()
        plan.warnings = report.warnings + report.skipped
        plan.semantic = semantic
        # Embedding overlaps analysis in this process; with analysis workers (forked: never beside
        # a running thread) the cores are taken anyway.
        plan.embed_ahead = semantic and n_process <= 1
        clock = time.perf_counter()
        final, manifest = write_build(root, plan, progress, ready=_analysed(plan, n_process, report))
        waited = report.timings.get("analyse", 0.0) + report.timings.get("categorise", 0.0)
        report.timings["write"] = time.perf_counter() - clock - waited
        _note_vectors(report, manifest.get("vectors"))
        cleanup(root, final, base or _newest_other(root, final))
        report.reindexed = sorted(doc.meta.id for doc, _ in plan.documents.values())
        report.removed = state.removed(manifest["files"])
        _fill_counts(report, manifest["files"])
        report.index_path = final
    report.seconds = time.perf_counter() - started
    return report


def update_index(corpus: list[Path], root: Path, *, wait: float = 0.0, notify: Notify | None = None) -> BuildReport:
    """The incremental build after `kb add` or `kb remove`: the index keeps its mode (with
    vectors or without), and a new one gets vectors."""
    current = current_build(root)
    return build_index(corpus, root, semantic=current is None or has_vectors(current), wait=wait, notify=notify)


def verify_current(root: Path) -> Verification:
    """`kb index --verify`: the current build checked as a server would, and every passage read;
    no index at all is an IndexMissingError saying how to build one."""
    build = current_build(root)
    if build is None:
        raise IndexMissingError(f"no index found in {root}", hint="build it with `kb index`")
    return verify_build(build, deep=True)


def _vectors_as_asked(previous: Path | None, semantic: bool) -> bool:
    """The build has vectors if and only if they were asked for (and the model can make them)."""
    has = previous is not None and has_vectors(previous)
    return has == semantic or (semantic and load_embedder() is None)


def _note_vectors(report: BuildReport, vectors: dict[str, Any] | None) -> None:
    report.vectors = vectors
    if vectors is None:
        return
    report.timings["embed"] = vectors["seconds"]
    if vectors.get("unavailable"):
        report.warnings.append(f"semantic search unavailable ({vectors['unavailable']}): the index was built for words alone")
    if vectors.get("slower_engine"):
        report.warnings.append(vectors["slower_engine"])


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
        verify_build(previous)
    except IndexDamagedError as exc:
        report.warnings.append(f"{exc.message}; rebuilding from scratch")
        return None
    return old


def _newest_other(root: Path, final: Path) -> Path | None:
    """When the current build was not reused (damaged, forced, changed configuration), the
    newest build that is neither the new one nor a damaged one stays as a fallback."""
    for build in finished_builds(root):
        if build == final:
            continue
        try:
            verify_build(build)
        except IndexDamagedError:
            continue
        return build
    return None


def _describe(plan: BuildPlan, report: BuildReport) -> None:
    """Each document to add cut into passages, and its manifest entry."""
    clock = time.perf_counter()
    plan.documents = {key: (doc, make_passages(doc)) for key, (doc, _) in plan.documents.items()}
    for key, (doc, passages) in plan.documents.items():
        plan.files[key]["document"] = {
            **doc.meta.to_dict(),
            "sections": [s.__dict__ for s in doc.sections],
            "passages": len(passages),
            "words": sum(count_words(p.text) for p in passages),
            # Kept in capitals when citations put ALL-CAPS headings in normal case (« l'IA »).
            "capitals": sorted(acronyms(p.text for p in passages)),
        }
    report.timings["passages"] = time.perf_counter() - clock


def _analysed(plan: BuildPlan, n_process: int, report: BuildReport) -> Iterator[str]:
    """Each document's key once its texts are analysed (spaCy and both chains, in worker
    processes) and its passages categorised: the writer adds it while the workers analyse the
    next documents. The `analyse` timing is what the writer waited for, not the workers' time."""
    keys = list(plan.documents)
    groups = [_texts(*plan.documents[key]) for key in keys]
    report.timings["analyse"] = report.timings["categorise"] = 0.0
    clock = time.perf_counter()
    classifier = Classifier.load()
    for index in analyse_groups(groups, n_process=n_process):
        analysed = time.perf_counter()
        report.timings["analyse"] += analysed - clock
        doc, passages = plan.documents[keys[index]]
        for passage, (categories, why) in zip(passages, classifier.classify_document(passages, doc.meta.title)):
            passage.categories, passage.explanation = categories, why
        report.timings["categorise"] += time.perf_counter() - analysed
        yield keys[index]
        clock = time.perf_counter()


def _texts(doc: LoadedDocument, passages: list[Passage]) -> list[str]:
    """Every text of `doc` the build analyses: title, description, and each passage's text,
    section path, headings and context."""
    texts = [doc.meta.title]
    if doc.meta.description:
        texts.append(doc.meta.description)
    for p in passages:
        texts.append(p.text)
        texts.append(" / ".join(p.section))
        texts.extend(p.section)
        if p.context:
            texts.append(p.context)
    return texts


def _fill_counts(report: BuildReport, files: dict[str, dict[str, Any]]) -> None:
    docs = [f["document"] for f in files.values() if f.get("document")]
    report.documents = len(docs)
    report.passages = sum(d["passages"] for d in docs)
    report.words = sum(d["words"] for d in docs)
