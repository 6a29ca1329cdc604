"""Passages → Whoosh index, built in a fresh directory and switched in atomically."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from indexer.catalogue import load_catalogue
from indexer.discover import discover
from indexer.loaders import load_document
from indexer.loaders.source import MAX_FILE_BYTES
from indexer.passages import make_passages
from kb.analysis import LEMMAS, clear_memo
from kb.classify import Classifier
from kb.errors import DocumentError, IndexLockedError, KBError
from kb.layout import BUILDS, LOCK, current_build, read_manifest, switch_current, write_manifest
from kb.models import LoadedDocument, Passage
from kb.schema import SCHEMA_VERSION, build_schema
from kb.snippets import term_spans
from kb.text import count_words
from kb.thesaurus import write_compiled

Progress = Callable[[str, int, int], None]
KEEP_OLD_BUILDS = 1


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


def _file_hash(path: Path, entry: dict[str, Any] | None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    h.update(json.dumps(entry or {}, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _fields(p: Passage, doc: LoadedDocument) -> dict[str, Any]:
    heading = " / ".join(p.section)
    payload = p.to_dict()
    payload["spans"] = term_spans(p.text)
    return {
        "id": p.id,
        "doc_id": p.doc_id,
        "position": p.position,
        "text": p.text,
        "text_stem": p.text,
        "heading": heading,
        "heading_stem": heading,
        "title": doc.meta.title,
        "title_stem": doc.meta.title,
        "words": f"{p.text}\n{heading}\n{doc.meta.title}",
        "categories": ",".join(p.categories),
        "category_set": ",".join(p.categories),
        "payload": payload,
    }


def build_index(
    corpus: list[Path],
    root: Path,
    *,
    strict: bool = False,
    max_bytes: int = MAX_FILE_BYTES,
    progress: Progress | None = None,
    n_process: int = 1,
) -> BuildReport:
    """Index `corpus` into `root`; unchanged files are reused, the old index stays until the switch."""
    started = time.perf_counter()
    report = BuildReport(index_path=root)
    with build_lock(root), paused_gc():
        previous = current_build(root)
        old = read_manifest(previous) if previous else None
        config = _config_hash()
        if old and old.get("config") != config:
            old = None  # schema, taxonomy or code changed: rebuild everything
        found = discover(corpus)
        report.warnings.extend(found.warnings)
        catalogues: dict[Path, dict[str, dict[str, Any]]] = {}
        files: dict[str, tuple[Path, dict[str, Any] | None, str]] = {}
        names = found.names
        for path, cat_dir in found.files:
            if cat_dir not in catalogues:
                catalogues[cat_dir] = load_catalogue(cat_dir)
            entry = catalogues[cat_dir].get(path.name)
            try:
                files[str(path)] = (path, entry, _file_hash(path, entry))
            except OSError as exc:
                report.skipped.append(str(DocumentError(str(path), f"cannot read file: {exc.strerror or exc}")))
        old_files: dict[str, dict[str, Any]] = old["files"] if old else {}
        unchanged = {k for k, (_, _, h) in files.items() if k in old_files and old_files[k]["hash"] == h}
        to_load = [k for k in files if k not in unchanged]
        removed = [k for k in old_files if k not in files]
        if old and not to_load and not removed:
            report.up_to_date = True
            report.index_path = previous
            report.skipped.extend(f["error"] for k, f in old_files.items() if f.get("error"))
            _fill_counts(report, old)
            report.seconds = time.perf_counter() - started
            return report
        clock = time.perf_counter()
        loaded, failed = _load(files, names, to_load, old_files, unchanged, report, max_bytes, progress)
        report.timings["load"] = time.perf_counter() - clock
        if strict and (report.warnings or report.skipped):
            problems = "".join(f"\n  - {w}" for w in report.skipped + report.warnings)
            raise KBError(
                f"{len(report.warnings) + len(report.skipped)} warning(s) in strict mode; the index was not changed:{problems}",
                hint="fix the files named above, or run without --strict",
            )
        clock = time.perf_counter()
        passages_by_doc = {doc.meta.id: make_passages(doc) for doc in loaded.values()}
        report.timings["passages"] = time.perf_counter() - clock
        clock = time.perf_counter()
        _prime_lemmas(loaded.values(), passages_by_doc, n_process)
        report.timings["lemmatise"] = time.perf_counter() - clock
        clock = time.perf_counter()
        classifier = Classifier.load()
        for doc in loaded.values():
            for passage in passages_by_doc[doc.meta.id]:
                passage.categories, passage.explanation = classifier.classify(passage, doc.meta.title)
        report.timings["categorise"] = time.perf_counter() - clock
        clock = time.perf_counter()
        build = _new_build_dir(root)
        try:
            manifest = _write_index(build, previous if old else None, old_files, unchanged, removed, to_load, loaded, passages_by_doc, progress, n_process)
            for key, doc in loaded.items():
                manifest["files"][key]["hash"] = files[key][2]
            for key, error in failed.items():
                manifest["files"][key] = {"hash": files[key][2], "doc_id": None, "error": error}
            manifest["config"] = config
            manifest["warnings"] = report.warnings + report.skipped
            write_compiled(build)  # servers load the analysed thesaurus instead of lemmatising it
            write_manifest(build, manifest)
            final = build.with_suffix("")
            os.rename(build, final)
            switch_current(root, final)
            report.timings["write"] = time.perf_counter() - clock
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        _cleanup(root, final, previous)
        report.reindexed = sorted(loaded[k].meta.id for k in loaded)
        report.removed = sorted(old_files[k]["doc_id"] for k in removed if old_files[k].get("doc_id"))
        _fill_counts(report, manifest)
        report.index_path = final
    report.seconds = time.perf_counter() - started
    return report


def _load(files, names, to_load, old_files, unchanged, report, max_bytes, progress):
    """Load changed files; failures are reported (and remembered) without stopping the build."""
    loaded: dict[str, LoadedDocument] = {}
    failed: dict[str, str] = {}
    taken = {old_files[k]["doc_id"]: k for k in unchanged if old_files[k].get("doc_id")}
    for key in unchanged:
        if old_files[key].get("error"):
            report.skipped.append(old_files[key]["error"])
    for n, key in enumerate(to_load, 1):
        path, entry, _ = files[key]
        if progress:
            progress("load", n, len(to_load))
        try:
            doc = load_document(path, entry, max_bytes, names.get(path))
        except DocumentError as exc:
            report.skipped.append(str(exc))
            failed[key] = str(exc)
            continue
        if doc.meta.id in taken:
            base, i = doc.meta.id, 2
            while f"{base}-{i}" in taken:
                i += 1
            report.warnings.append(f"{path}: document id '{base}' is already used by {taken[base]}; using '{base}-{i}'")
            doc.meta.id = f"{base}-{i}"
        taken[doc.meta.id] = key
        report.warnings.extend(doc.warnings)
        loaded[key] = doc
    return loaded, failed


def _write_index(build, previous, old_files, unchanged, removed, to_load, loaded, passages_by_doc, progress, n_process):
    schema = build_schema()
    if previous is not None:
        shutil.copytree(previous, build, dirs_exist_ok=True)
        ix = whoosh_index.open_dir(str(build), schema=schema)
    else:
        ix = whoosh_index.create_in(str(build), schema)
    writer = ix.writer(limitmb=256)
    try:
        for key in list(removed) + [k for k in to_load if k in old_files]:
            if old_files[key].get("doc_id"):
                writer.delete_by_term("doc_id", old_files[key]["doc_id"])
        total = sum(len(v) for v in passages_by_doc.values())
        done = 0
        for doc in loaded.values():
            for p in passages_by_doc[doc.meta.id]:
                writer.add_document(**_fields(p, doc))
                done += 1
                if progress and (done % 50 == 0 or done == total):
                    progress("index", done, total)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        LEMMAS.clear()
        clear_memo()
    files: dict[str, Any] = {k: old_files[k] for k in unchanged}
    for key, doc in loaded.items():
        passages = passages_by_doc[doc.meta.id]
        files[key] = {
            "hash": None,
            "doc_id": doc.meta.id,
            "document": {
                **doc.meta.to_dict(),
                "sections": [s.__dict__ for s in doc.sections],
                "passages": len(passages),
                "words": sum(count_words(p.text) for p in passages),
            },
        }
    return {"schema_version": SCHEMA_VERSION, "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "files": files}


def _prime_lemmas(docs: Any, passages_by_doc: dict[str, list[Passage]], n_process: int) -> None:
    """Lemmatise every text the build will analyse in one nlp.pipe pass (batching is 3x faster)."""
    texts: list[str] = []
    for doc in docs:
        texts.append(doc.meta.title)
        for p in passages_by_doc[doc.meta.id]:
            texts.append(p.text)
            texts.append(" / ".join(p.section))
            texts.extend(p.section)
    LEMMAS.prime(texts, n_process=n_process)


def _fill_counts(report: BuildReport, manifest: dict[str, Any]) -> None:
    docs = [f["document"] for f in manifest["files"].values() if f.get("document")]
    report.documents = len(docs)
    report.passages = sum(d["passages"] for d in docs)
    report.words = sum(d["words"] for d in docs)


def _new_build_dir(root: Path) -> Path:
    builds = root / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    path = builds / f"{name}.tmp"
    path.mkdir()
    return path


def _cleanup(root: Path, current: Path, previous: Path | None) -> None:
    """Remove interrupted builds and all but the newest older builds (readers may hold them)."""
    builds = sorted((root / BUILDS).iterdir(), key=lambda p: p.name)
    keep = {current.resolve()}
    if previous is not None:
        keep.add(previous.resolve())
    for path in builds:
        if path.resolve() not in keep:
            shutil.rmtree(path, ignore_errors=True)
