"""Finding source files under corpus paths, safely (no symlink loops, no hidden files)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from indexer.catalogue import CATALOGUE_NAME

IGNORED_NAMES = {CATALOGUE_NAME, "README.md", "README", "LICENSE"}


@dataclass
class Discovery:
    """Files to load (with the directory whose catalogue applies) and what was passed over."""

    files: list[tuple[Path, Path]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Path relative to its corpus root, without suffix: the default document id, unique even
    # when two folders hold files of the same name (help/01020000.html).
    names: dict[Path, str] = field(default_factory=dict)


def discover(paths: list[Path]) -> Discovery:
    """Every regular file under `paths`, sorted; directories are walked without following links."""
    found = Discovery()
    seen: set[Path] = set()
    for root in paths:
        if root.is_file():
            _add(found, seen, root, root.parent, root.stem)
            continue
        if not root.is_dir():
            found.warnings.append(f"{root}: corpus path does not exist")
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=lambda e: found.warnings.append(f"{e.filename}: cannot list directory ({e.strerror})")):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or name in IGNORED_NAMES:
                    continue
                path = Path(dirpath) / name
                _add(found, seen, path, Path(dirpath), str(path.relative_to(root).with_suffix("")))
    return found


def _add(found: Discovery, seen: set[Path], path: Path, catalogue_dir: Path, name: str) -> None:
    try:
        if path.is_symlink():
            resolved = path.resolve(strict=True)
            if not resolved.is_file():
                found.warnings.append(f"{path}: symbolic link to something that is not a file; skipped")
                return
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:
        found.warnings.append(f"{path}: cannot resolve ({exc}); skipped")
        return
    if resolved in seen:
        return
    seen.add(resolved)
    found.files.append((path, catalogue_dir))
    found.names[path] = name
