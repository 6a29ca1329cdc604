"""On-disk layout of an index root: builds/<name>/ directories and a `current` symlink."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

BUILDS = "builds"
CURRENT = "current"
LOCK = "build.lock"
MANIFEST = "manifest.json"


def current_build(root: Path) -> Path | None:
    """The build directory `current` points to, or None when nothing was built yet."""
    path = current_target(root)
    return path if path is not None and (path / MANIFEST).is_file() else None


def current_target(root: Path) -> Path | None:
    """Where `current` points, whether or not a build is there (to name a vanished build)."""
    try:
        target = os.readlink(root / CURRENT)
    except OSError:
        return None
    return (root / target) if not os.path.isabs(target) else Path(target)


def finished_builds(root: Path) -> list[Path]:
    """Every complete build directory, newest first (candidates when the current one is damaged)."""
    try:
        entries = list((root / BUILDS).iterdir())
    except OSError:
        return []
    return sorted((p for p in entries if not p.name.endswith(".tmp") and (p / MANIFEST).is_file()), key=lambda p: p.name, reverse=True)


def switch_current(root: Path, build: Path) -> None:
    """Point `current` at `build` atomically (rename of a fresh symlink over the old one)."""
    tmp = root / f".{CURRENT}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(build, root), tmp)
    os.replace(tmp, root / CURRENT)
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(build: Path) -> dict[str, Any]:
    """The manifest a build wrote last: documents, file hashes, counts."""
    with open(build / MANIFEST, encoding="utf-8") as fh:
        return json.load(fh)


def write_manifest(build: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest durably (temp file, fsync, rename)."""
    tmp = build / (MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, build / MANIFEST)
