"""Writing one build: a fresh directory (a copy of the previous build for an incremental one),
the passages added, checksums recorded, the build verified, then `current` switched to it."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.embed import EmbeddingReport, known_rows, passage_vectors, texts_to_embed
from indexer.embed_ahead import EmbeddingAhead
from kb.analysis import LEMMAS, clear_memo
from kb.errors import IndexDamagedError, KBError
from kb.storage.integrity import file_checksums, verify_build
from kb.storage.layout import BUILDS, MANIFEST, switch_current, write_manifest
from kb.models import LoadedDocument, Passage
from kb.storage.fields import SCHEMA_VERSION
from kb.storage.whoosh_adapter.writing import open_for_writing, write_passages
from kb.search.snippets import term_spans
from kb.search.thesaurus import write_compiled
from kb.semantic.cache import VectorCache
from kb.semantic.vectors import remove_vectors, write_vectors

Progress = Callable[[str, int, int], None]


@dataclass
class BuildPlan:
    """What the new build holds: the build it starts from (None: from scratch), the document ids
    to delete from that copy, the documents to add, and the manifest's file entries."""

    previous: Path | None
    delete: set[str] = field(default_factory=set)
    documents: dict[str, tuple[LoadedDocument, list[Passage]]] = field(default_factory=dict)  # by source key
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: str = ""
    warnings: list[str] = field(default_factory=list)
    semantic: bool = True  # store every passage's vector with the build
    embed_ahead: bool = False  # embed the new passages in a thread while they are analysed and written


def write_build(root: Path, plan: BuildPlan, progress: Progress | None = None,
                ready: Iterable[str] | None = None) -> tuple[Path, dict[str, Any]]:
    """Write, verify and switch in a new build; on any failure the current build stays served.
    `ready` yields the documents' keys as they become ready to write (default: all of them)."""
    build = new_build_dir(root)
    ahead = _start_embedding(plan)
    try:
        if plan.previous is not None:
            _copy_build(plan.previous, build)
        ix = open_for_writing(build, fresh=plan.previous is None)
        _add_passages(ix, plan, progress, plan.documents if ready is None else ready)
        embedding = _write_vectors(ix, build, plan, progress, ahead)
        write_compiled(build)  # servers load the analysed thesaurus instead of lemmatising it
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": plan.files,
            "config": plan.config,
            "warnings": plan.warnings,
            "vectors": embedding.to_dict() if embedding else None,
            "index_files": file_checksums(build),
        }
        write_manifest(build, manifest)
        try:
            verify_build(build, deep=True)
        except IndexDamagedError as exc:
            raise KBError(
                f"the new build failed its verification ({exc.problem}); the current index was not changed",
                hint="run `kb index --force`; if it fails again, check the disk (`dmesg`, free space)",
            ) from exc
        final = build.with_suffix("")
        os.rename(build, final)
        switch_current(root, final)
    except BaseException:
        if ahead is not None:
            ahead.cancel()
        shutil.rmtree(build, ignore_errors=True)
        raise
    return final, manifest


def _start_embedding(plan: BuildPlan) -> EmbeddingAhead | None:
    """The new passages' embedding, started before their analysis when the plan asks for it."""
    if not (plan.semantic and plan.embed_ahead and plan.documents):
        return None
    cache = VectorCache()
    texts = texts_to_embed(p for _, passages in plan.documents.values() for p in passages)
    return EmbeddingAhead(texts, lambda keys: known_rows(keys, plan.previous, cache), cache)


def _write_vectors(ix: Any, build: Path, plan: BuildPlan, progress: Progress | None,
                   ahead: EmbeddingAhead | None = None) -> EmbeddingReport | None:
    """The passages' vectors saved in the build (or none, when not asked for or unavailable)."""
    if not plan.semantic:
        remove_vectors(build)  # a copy of a build with vectors keeps none
        return None
    vectors, report = passage_vectors(ix, plan.previous, progress, ahead=ahead)
    if vectors is None:
        remove_vectors(build)
    else:
        write_vectors(build, vectors)
    return report


def _copy_build(previous: Path, build: Path) -> None:
    """Copy every file (never hard-link: a file damaged in one build must not damage the other)."""
    for path in previous.iterdir():
        if path.is_file() and path.name != MANIFEST:
            shutil.copyfile(path, build / path.name)


def _add_passages(ix: Any, plan: BuildPlan, progress: Progress | None, ready: Iterable[str]) -> None:
    total = sum(len(passages) for _, passages in plan.documents.values())

    def rows() -> Iterator[dict[str, Any]]:
        done = 0
        for key in ready:
            doc, passages = plan.documents[key]
            for p in passages:
                yield _fields(p, doc)
                done += 1
                if progress and (done % 50 == 0 or done == total):
                    progress("index", done, total)

    try:
        write_passages(ix, sorted(plan.delete), rows())
    finally:
        LEMMAS.clear()
        clear_memo()


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
        "context_stem": p.context or "",
        "description_stem": doc.meta.description or "",
        "words": f"{p.text}\n{heading}\n{doc.meta.title}",
        "categories": ",".join(p.categories),
        "category_set": ",".join(p.categories),
        "kind": p.kind or "",
        "payload": payload,
    }


def new_build_dir(root: Path) -> Path:
    """A fresh `builds/<time>-<pid>-<n>.tmp` directory, renamed once complete."""
    builds = root / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    path = builds / f"{name}.tmp"
    path.mkdir()
    return path


def cleanup(root: Path, current: Path, previous: Path | None) -> None:
    """Remove interrupted builds and all but the newest older build (readers may hold it, and it
    stands in if the current one is damaged)."""
    keep = {current.resolve()}
    if previous is not None:
        keep.add(previous.resolve())
    for path in sorted((root / BUILDS).iterdir(), key=lambda p: p.name):
        if path.resolve() not in keep:
            shutil.rmtree(path, ignore_errors=True)
