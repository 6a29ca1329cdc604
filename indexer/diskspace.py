"""What a build needs from the disk, and the operator's errors (read-only or full disk) turned
into messages that say what to do, with the current index untouched."""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import KBError

# Measured on tmpfs with the seed corpus (index 1.03 MB): an incremental build (a copy of the
# current build plus the new segment) failed with 1.2 MB free and passed with 1.6 MB; a fresh
# one needed 1.6-2.0 MB for 33 KB of sources. Twice the index, and 60 bytes per source byte
# (at least 4 MB), leave room for Whoosh's segment merges.
INCREMENTAL_FACTOR = 2
FRESH_BYTES_PER_SOURCE_BYTE = 60
FRESH_MINIMUM = 4 << 20
UNCHANGED = "the current index was not changed"


def build_size(build: Path) -> int:
    """Bytes of one build directory."""
    return sum(p.stat().st_size for p in build.iterdir() if p.is_file())


def space_needed(previous: Path | None, source_bytes: int) -> int:
    """About how many free bytes the next build needs under the index root."""
    if previous is not None:
        return INCREMENTAL_FACTOR * build_size(previous)
    return max(FRESH_MINIMUM, FRESH_BYTES_PER_SOURCE_BYTE * source_bytes)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def check_free_space(root: Path, previous: Path | None, source_bytes: int) -> None:
    """Fail before any work when the disk under `root` cannot hold the build."""
    need = space_needed(previous, source_bytes)
    free = shutil.disk_usage(root).free
    if free < need:
        raise KBError(
            f"not enough free space under {root}: {_mb(free)} free, a build needs about {_mb(need)}"
            f" ({'twice the current index' if previous else 'for a fresh index of this corpus'}); {UNCHANGED}",
            hint="free some space, or build elsewhere with --index (or $KB_INDEX)",
        )


@contextmanager
def operator_errors(root: Path) -> Iterator[None]:
    """Turn the disk's refusals into KBError with a hint; anything else propagates as it is."""
    try:
        yield
    except OSError as exc:
        raise _message(root, exc) from exc


def _message(root: Path, exc: OSError) -> KBError:
    where = exc.filename or root
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason = "read-only file system" if exc.errno == errno.EROFS else "permission denied"
        return KBError(
            f"cannot write the index under {root} ({reason}: {where}); {UNCHANGED}",
            hint="build into a writable folder with --index (or $KB_INDEX), or fix the folder's permissions",
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        try:
            free = _mb(shutil.disk_usage(root).free)
        except OSError:
            free = "unknown"
        return KBError(
            f"no space left on the device under {root} while writing {where} (free now: {free}); {UNCHANGED}",
            hint="an incremental build needs about twice the index size free: free some space, or use --index elsewhere",
        )
    return KBError(f"{where}: {exc.strerror or exc}; {UNCHANGED}", hint="check the index folder and its disk")


@contextmanager
def change_errors() -> Iterator[None]:
    """A corpus or index folder that refuses a `kb add` / `kb remove` write (permissions, full
    disk) as a KBError saying what to fix; the journal settles the half-done change next time."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or "the corpus or the index"
        raise KBError(f"cannot write {where} ({exc.strerror or exc})",
                      hint="fix that folder's permissions or free some space, then run the command again: "
                      "what was left half-done is finished or undone first") from exc
