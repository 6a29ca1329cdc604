"""Finding source files under corpus paths, safely: no symlink out of the corpus, no special
files, no hidden files, no loops."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from indexer.catalogue import CATALOGUE_NAME

IGNORED_NAMES = {CATALOGUE_NAME, "README.md", "README", "LICENSE"}
FOLLOW_HINT = "`kb index --follow-symlinks` follows links that lead outside the corpus folders"


@dataclass
class Discovery:
    """Files to load (with the directory whose catalogue applies) and what was passed over."""

    files: list[tuple[Path, Path]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Path relative to its corpus root, without suffix: the default document id, unique even
    # when two folders hold files of the same name (help/01020000.html).
    names: dict[Path, str] = field(default_factory=dict)
    links: set[Path] = field(default_factory=set)  # symbolic links accepted: read through them
    folders: list[Path] = field(default_factory=list)  # directories walked (their catalogues apply)


def normalise_roots(paths: list[Path]) -> list[Path]:
    """Absolute, normalised corpus paths: `corpus`, `./corpus/` and `/abs/corpus` are one corpus."""
    return [Path(os.path.abspath(p)) for p in paths]


def discover(paths: list[Path], *, follow_symlinks: bool = False) -> Discovery:
    """Every regular file under `paths`, sorted; links leading outside them are not followed
    unless `follow_symlinks`."""
    found = _Walk(normalise_roots(paths), follow_symlinks)
    for given, root in zip(paths, found.roots):
        if root.is_file():
            found.add(root, root.parent, root.stem, named=True)
        elif root.is_dir():
            found.walk(root)
        else:
            found.result.warnings.append(f"{given}: corpus path does not exist")
    return found.result


class _Walk:
    """One discovery: the roots, what was seen, and one method per kind of directory entry."""

    def __init__(self, roots: list[Path], follow: bool) -> None:
        self.roots = roots
        self.real_roots = [Path(os.path.realpath(r)) for r in roots]
        self.follow = follow
        self.result = Discovery()
        self.seen: set[Path] = set()
        self.dirs_seen: set[Path] = set()

    def inside(self, target: Path) -> bool:
        return any(target.is_relative_to(r) for r in self.real_roots)

    def walk(self, root: Path) -> None:
        warn = self.result.warnings.append
        for dirpath, dirnames, filenames in os.walk(
            root, followlinks=self.follow, onerror=lambda e: warn(f"{e.filename}: cannot list directory ({e.strerror})")
        ):
            here = Path(dirpath)
            real = Path(os.path.realpath(here))
            if real in self.dirs_seen:  # a link loop, or a folder reached twice through links
                dirnames[:] = []
                continue
            self.dirs_seen.add(real)
            self.result.folders.append(here)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and self.keep_dir(here / d))
            for name in sorted(filenames):
                if not name.startswith(".") and name not in IGNORED_NAMES:
                    path = here / name
                    self.add(path, here, str(path.relative_to(root).with_suffix("")))

    def keep_dir(self, path: Path) -> bool:
        if not path.is_symlink():
            return True
        target = Path(os.path.realpath(path))
        if not self.follow:
            self.result.warnings.append(f"{path}: symbolic link to a folder ({target}); not followed ({FOLLOW_HINT})")
            return False
        return True

    def add(self, path: Path, catalogue_dir: Path, name: str, named: bool = False) -> None:
        """Accept one file, or say why not; `named` files were given on the command line."""
        warn = self.result.warnings.append
        try:
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                target = path.resolve(strict=True)
                if not (named or self.follow or self.inside(target)):
                    warn(f"{path}: symbolic link to {target}, outside the corpus folders; not indexed ({FOLLOW_HINT})")
                    return
                mode = os.stat(target).st_mode
                self.result.links.add(path)
            else:
                target = path
        except (OSError, RuntimeError) as exc:
            warn(f"{path}: cannot resolve ({getattr(exc, 'strerror', None) or exc}); skipped")
            return
        if not stat.S_ISREG(mode):
            warn(f"{path}: not a regular file ({_kind(mode)}); skipped")
            return
        real = Path(os.path.realpath(target))
        if real in self.seen:
            return
        self.seen.add(real)
        self.result.files.append((path, catalogue_dir))
        self.result.names[path] = name


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"
