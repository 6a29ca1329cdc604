"""What one build changes: which files to load again, which to keep as they were indexed
(unchanged, or failing now with a good version indexed before), which documents disappear,
and the history-free id each document ends up with."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from indexer.ids import assign_ids
from indexer.loaders import load_document
from indexer.loaders.source import read_file_once
from indexer.report import BuildReport
from indexer.sources import Corpus, Source, known_hash
from indexer.writer import BuildPlan, Progress
from kb.errors import DocumentError
from kb.models import LoadedDocument

# Files read at once: each in its own forked child (indexer/isolation.py), so two use two cores;
# the scale corpus's 2,559 files, 71 s one at a time. The children's memory limit is per child.
READERS = 2


class Changes:
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
        return known_hash(self.old_files.get(key), self.corpus.sources[key].hash)

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
        if old.get("failed") and self.corpus.sources[key].hash == old.get("hash"):
            del old["failed"]  # back to the very version that is indexed
        failed = old.get("failed") or ({"error": old["error"]} if old.get("error") else None)
        if failed and old.get("doc_id"):
            self.report.warnings.append(f"{failed['error']}; the version indexed before is kept")
        elif failed:
            self.report.skipped.append(failed["error"])
        self.files[key] = old

    def _load_all(self, keys: list[str], max_bytes: int, progress: Progress | None) -> None:
        """Every file read, READERS at a time (each reader is a child process; this one waits on
        its pipe), and recorded in the order of `keys`, as one reader at a time would."""
        if len(keys) < 2:
            for key in keys:
                self._load(key, self.corpus.sources[key], max_bytes)
            return
        pool = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="kb-reader")
        try:
            reads = [pool.submit(_read, self.corpus.sources[key], max_bytes) for key in keys]
            for n, (key, read) in enumerate(zip(keys, reads), 1):
                if progress:
                    progress("load", n, len(keys))
                self._record(key, self.corpus.sources[key], read.result())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # interrupted: the files not yet read are not

    def _load(self, key: str, source: Source, max_bytes: int) -> None:
        self._record(key, source, _read(source, max_bytes))

    def _record(self, key: str, source: Source, doc: LoadedDocument | None) -> None:
        if doc is None:
            self._failed(key, source)
            return
        self.report.warnings.extend(doc.warnings)
        self.loaded[key] = doc
        self.files[key] = {"hash": source.hash, "doc_id": doc.meta.id, "base_id": doc.meta.id}

    def _failed(self, key: str, source: Source) -> None:
        """A file that cannot be read or loaded: its last good version stays, if it has one."""
        old = self.old_files.get(key)
        message = str(source.error)
        if old and old.get("doc_id"):
            self.report.warnings.append(f"{message}; the version indexed before is kept")
            kept = {k: v for k, v in old.items() if k != "failed"}
            self.files[key] = {**kept, "failed": {"hash": source.hash, "error": message}}
        else:
            self.report.skipped.append(message)
            self.files[key] = {"hash": source.hash, "doc_id": None, "error": message}

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
                try:
                    source.raw = read_file_once(source.path, max_bytes, follow=True)
                except DocumentError as exc:
                    source.error = str(exc)
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


def _read(source: Source, max_bytes: int) -> LoadedDocument | None:
    """The file's document, or None with `source.error` saying why (its bytes are let go)."""
    try:
        if source.error is None:
            return load_document(source.path, source.entry, max_bytes, source.name, source.raw)
    except DocumentError as exc:
        source.error = str(exc)
    finally:
        source.raw = None
    return None
