"""One writer at a time: `kb add`, `kb remove` and `kb index` take the same locks, in the same
order, before they touch a corpus folder, its catalogue or an index, and wait for them (bounded,
with one message) instead of failing halfway.

Which locks, and why two kinds:
- `<corpus folder>/.kb-writer.lock` guards the folder's files and its catalogue.yaml. It lives
  beside what it guards because several indexes may be built from one corpus (`--index`
  elsewhere, a test index, a staging site): two `kb add` into one folder must exclude each other
  whatever index they rebuild afterwards.
- `<index root>/build.lock` guards the index: two corpora may be built into one index root.
A writer takes the corpus locks of every folder it writes or reads (sorted by real path), then
the index lock: the same global order for everyone, so no two writers can deadlock. `kb add` and
`kb remove` create the corpus lock file; a build only reads a corpus, so it takes the lock where
one exists and leaves no file in a folder nobody writes to (a shared or read-only corpus). A
build into another index may then read a folder while a first `kb add` changes it: it sees the
old state or a catalogue entry whose file is not renamed yet (a warning), never a partial file,
and its next build sees the change. A folder we cannot write to gets no lock file either.

The locks are re-entrant within one thread: `kb add` holds them through its incremental rebuild,
and `build_index` called under them takes them again at no cost (flock itself would refuse a
second open file description of the same file, even in one process).

When a writer takes a corpus lock, it first finishes or undoes what an interrupted writer left
there (indexer/journal.py), so every command starts from a whole corpus.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from kb.errors import IndexLockedError, KBError
from kb.storage.layout import LOCK

CORPUS_LOCK = ".kb-writer.lock"
WAIT_ENV = "KB_WRITER_WAIT"
DEFAULT_WAIT = 600.0  # seconds: longer than any incremental build we measured, short of "forever"
POLL = 0.1

Notify = Callable[[str], None]

_held = threading.local()  # real path of a lock file -> how many times this thread holds it


def writer_wait(given: float | None) -> float:
    """Seconds a writer waits for another one: `given` (--wait), else $KB_WRITER_WAIT, else 10 min."""
    if given is not None:
        return given
    raw = os.environ.get(WAIT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_WAIT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also rejects nan
        raise KBError(f"${WAIT_ENV} is {raw!r}, not a number of seconds", hint=f"unset it, or give 0 (refuse at once) or more, e.g. {WAIT_ENV}=60")
    return value


def corpus_folders(paths: Iterable[Path]) -> list[Path]:
    """The folders whose corpus lock guards `paths`: each folder itself, a file's own folder."""
    return [p if p.is_dir() else p.parent for p in paths if p.exists()]


@contextmanager
def writer_lock(folders: Iterable[Path], root: Path | None, *, wait: float = 0.0, notify: Notify | None = None,
                create: bool = True) -> Iterator[None]:
    """Hold the corpus lock of each of `folders` (where one exists, unless `create`) and the lock
    of the index `root`, waiting at most `wait` seconds in all; interrupted writes found in those
    folders are settled first."""
    from indexer.journal import recover

    deadline = time.monotonic() + wait
    folders = sorted({Path(os.path.realpath(f)) for f in folders})
    with ExitStack() as stack:
        for folder in folders:
            if stack.enter_context(_hold(folder / CORPUS_LOCK, deadline, wait, notify, required=False, create=create)):
                for message in recover(folder):
                    if notify:
                        notify(message)
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
            stack.enter_context(_hold(root / LOCK, deadline, wait, notify, required=True))
        yield


def _counts() -> dict[str, int]:
    if not hasattr(_held, "counts"):
        _held.counts = {}
    return _held.counts  # type: ignore[no-any-return]


@contextmanager
def _hold(path: Path, deadline: float, wait: float, notify: Notify | None, *, required: bool, create: bool = True) -> Iterator[bool]:
    """Hold one lock file; yields whether this call took it for the first time in this thread
    (False when re-entered, or when an optional lock cannot be created)."""
    key = os.path.realpath(path)
    counts = _counts()
    if key in counts:
        counts[key] += 1
        try:
            yield False
        finally:
            counts[key] -= 1
        return
    fd = _open(path, required, create)
    if fd is None:
        yield False
        return
    try:
        _acquire(fd, path, deadline, wait, notify)
        _write_holder(fd)
        counts[key] = 1
        try:
            yield True
        finally:
            del counts[key]
    finally:
        os.close(fd)  # closing releases the flock


def _open(path: Path, required: bool, create: bool) -> int | None:
    """The lock file, created if needed (and `create`); None for an optional lock that is not
    there, or in a folder we cannot write."""
    try:
        return os.open(path, os.O_RDWR | os.O_CLOEXEC | (os.O_CREAT if create else 0), 0o666)
    except OSError as exc:
        if required or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT):
            raise
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # an existing lock still excludes writers
    except OSError:
        return None


def _acquire(fd: int, path: Path, deadline: float, wait: float, notify: Notify | None) -> None:
    """flock `fd`, polling until `deadline`; says once who is being waited for."""
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = _holder(fd)
        if time.monotonic() >= deadline:
            waited = f", still after waiting {wait:.0f} s" if wait > 0 else ""
            raise IndexLockedError(
                f"another writer ({holder}) is working on {path.parent}{waited}; nothing was changed",
                hint=f"run the command again when it has finished, or wait longer with --wait SECONDS (or ${WAIT_ENV}); "
                "the current index keeps serving meanwhile",
            )
        if not announced and notify:
            notify(f"En attente d'un autre processus qui écrit dans {path.parent} ({holder}) : "
                   f"jusqu'à {wait:.0f} s, puis abandon sans rien changer…")
            announced = True
        time.sleep(min(POLL, max(0.0, deadline - time.monotonic())))


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it: `pid N: command`."""
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace")
    except OSError:
        text = ""
    lines = text.splitlines()
    if not lines or not lines[0].strip().isdigit():
        return "pid unknown"
    return f"pid {lines[0].strip()}" + (f" : {lines[1].strip()}" if len(lines) > 1 and lines[1].strip() else "")


def _write_holder(fd: int) -> None:
    """Our pid and command line, for whoever waits (nothing when the lock file is read-only)."""
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200] if sys.argv and sys.argv[0] else "python"
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{command}\n".encode("utf-8", "replace"), 0)
    except OSError:
        pass
