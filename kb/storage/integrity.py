"""Checksums and verification of index builds, so a damaged build is refused, never served."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.index import FileIndex
from whoosh.query import Term

from kb.errors import IndexDamagedError
from kb.storage.layout import MANIFEST, read_manifest

# Files of a build that are not part of what it serves (and Whoosh's empty writer lock files).
UNCHECKED = {MANIFEST, MANIFEST + ".tmp"}
CHUNK = 1 << 20

Fingerprint = tuple[tuple[str, int, int, int], ...]


def file_checksums(build: Path) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file of a build except the manifest that records them."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(build.iterdir()):
        if _unchecked(path.name) or not path.is_file():
            continue
        out[path.name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    return out


def _unchecked(name: str) -> bool:
    return name in UNCHECKED or name.endswith("WRITELOCK")


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def fingerprint(build: Path) -> Fingerprint:
    """What stat() says of each file of a build: cheap enough to compare on every request."""
    out = []
    try:
        for entry in sorted(os.scandir(build), key=lambda e: e.name):
            if _unchecked(entry.name):
                continue
            st = entry.stat(follow_symlinks=False)
            out.append((entry.name, st.st_size, st.st_mtime_ns, st.st_ino))
    except OSError:
        return ()
    return tuple(out)


@dataclass
class Verification:
    """What was checked of one build, for `/api/health` and `kb index --verify`."""

    build: str
    files: int = 0
    bytes: int = 0
    checksums: bool = False  # False: an older build without recorded checksums
    documents: int = 0
    passages: int = 0
    fields_queried: list[str] = field(default_factory=list)
    stored_read: int = 0  # passages whose stored fields were read (deep verification)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, keys in a stable order."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class VerifiedBuild:
    """A build that passed verification, opened: what a server serves."""

    index: FileIndex
    manifest: dict[str, Any]
    verification: Verification


def verify_build(build: Path, schema: Any, *, deep: bool = False) -> Verification:
    """Check a build before anyone reads it (see open_verified); raises IndexDamagedError."""
    return open_verified(build, schema, deep=deep).verification


def open_verified(build: Path, schema: Any, *, deep: bool = False) -> VerifiedBuild:
    """Manifest, every file's size and checksum, then the index opened and one query per indexed
    field; `deep` also reads every stored passage. The opened index is returned for serving.

    Raises IndexDamagedError naming the build and the first problem found."""
    try:
        manifest = read_manifest(build)
    except (OSError, ValueError) as exc:
        raise _damaged(build, f"its manifest cannot be read ({exc})") from exc
    report = Verification(build=build.name)
    _check_files(build, manifest.get("index_files"), report)
    try:
        ix = open_build(build, schema)
        _check_index(build, ix, manifest, report, deep)
    except IndexDamagedError:
        raise
    except Exception as exc:  # whatever Whoosh raises on bytes it cannot decode
        raise _damaged(build, f"the index cannot be read ({type(exc).__name__}: {exc})") from exc
    return VerifiedBuild(ix, manifest, report)


def _check_files(build: Path, recorded: dict[str, dict[str, Any]] | None, report: Verification) -> None:
    if recorded is None:  # built before checksums were recorded: structure checks only
        report.files = sum(1 for p in build.iterdir() if not _unchecked(p.name))
        return
    for fname, info in sorted(recorded.items()):
        path = build / fname
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise _damaged(build, f"{fname} is missing ({exc.strerror or exc})") from exc
        if size != info["size"]:
            raise _damaged(build, f"{fname} has {size:,} bytes instead of {info['size']:,}")
        if _sha256(path) != info["sha256"]:
            raise _damaged(build, f"{fname} does not match its checksum (its content changed after the build)")
        report.files += 1
        report.bytes += size
    report.checksums = True


def _check_index(build: Path, ix: FileIndex, manifest: dict[str, Any], report: Verification, deep: bool) -> None:
    docs = [f["document"] for f in manifest.get("files", {}).values() if f.get("document")]
    expected = sum(d.get("passages", 0) for d in docs)
    report.documents = len(docs)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        if reader.doc_count() != expected:
            raise _damaged(build, f"the index holds {reader.doc_count()} passages, its manifest {expected}")
        report.passages = expected
        for fname in sorted(ix.schema.scorable_names() + ["id", "doc_id"]):
            if fname not in reader.indexed_field_names():
                continue
            if _query_field(searcher, fname, build):
                report.fields_queried.append(fname)
        if deep:
            for stored in reader.all_stored_fields():
                if "payload" not in stored:
                    raise _damaged(build, "a passage has no stored payload")
                report.stored_read += 1


def _query_field(searcher: Any, fname: str, build: Path, tries: int = 200) -> bool:
    """Search one of the field's first terms: a term of deleted passages only (kept by Whoosh
    until a merge) finds nothing, so a few are tried; a field with none is not counted."""
    reader = searcher.reader()
    tried = 0
    for term in reader.lexicon(fname):
        if searcher.search(Term(fname, term), limit=1):
            return True
        tried += 1
        if tried >= tries:
            break
    if tried and not reader.has_deletions():
        raise _damaged(build, f"field '{fname}' finds no passage for the terms its lexicon lists")
    return False


class _InMemoryStorage(FileStorage):
    """A build's files read whole into memory when opened: a file truncated or overwritten
    afterwards cannot touch what is served (a memory-mapped one kills the process with SIGBUS),
    reads are as fast as from a mapping, and forked workers share the pages."""

    supports_mmap = False

    def open_file(self, name: str, **kwargs: Any) -> BufferFile:
        with open(self._fpath(name), "rb") as fh:
            return BufferFile(fh.read(), name=name, **kwargs)


def open_build(build: Path, schema: Any) -> FileIndex:
    """Open a build for reading, from memory (see _InMemoryStorage)."""
    return FileIndex(_InMemoryStorage(str(build), supports_mmap=False, readonly=True), schema=schema)


def _damaged(build: Path, problem: str) -> IndexDamagedError:
    return IndexDamagedError(build.name, problem)
