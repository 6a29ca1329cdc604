"""Checksums and verification of index builds, so a damaged build is refused, never served."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import IndexDamagedError
from kb.storage.layout import MANIFEST, read_manifest
from kb.storage.whoosh_adapter.files import check_index, open_build

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

    index: Any  # the backend's opened index (kb/storage/whoosh_adapter)
    manifest: dict[str, Any]
    verification: Verification


def verify_build(build: Path, *, deep: bool = False) -> Verification:
    """Check a build before anyone reads it (see open_verified); raises IndexDamagedError."""
    return open_verified(build, deep=deep).verification


def open_verified(build: Path, *, deep: bool = False) -> VerifiedBuild:
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
        ix = open_build(build)
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


def _check_index(build: Path, ix: Any, manifest: dict[str, Any], report: Verification, deep: bool) -> None:
    docs = [f["document"] for f in manifest.get("files", {}).values() if f.get("document")]
    expected = sum(d.get("passages", 0) for d in docs)
    report.documents = len(docs)
    report.fields_queried, report.stored_read = check_index(ix, expected, deep, lambda problem: _damaged(build, problem))
    report.passages = expected


def _damaged(build: Path, problem: str) -> IndexDamagedError:
    return IndexDamagedError(build.name, problem)
