"""Each file read in a child process with a wall-clock and a memory limit that hold inside a
page or a parser call: whatever a file does to its parser (a PDF reference cycle pdfminer
follows forever, a stream inflating to gigabytes, Markdown that makes markdown-it-py quadratic,
a parser stuck in C code), the build gets the parser's result or a DocumentError naming the file
and the limit, within the time limit plus a grace period, and the child never holds more than
a set memory beyond what the build held when it forked (indexer/loaders/limits.py)."""

from __future__ import annotations

import ctypes
import gc
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

from indexer.limits import HOSTILE_HINT, Limits, ReadingLimit, memory_limit
from kb.errors import DocumentError

KILL_GRACE = 15.0  # seconds past the time limit before a reader that ignores its alarm is killed
T = TypeVar("T")
PR_SET_PDEATHSIG = 1


def _find_prctl() -> Callable[..., int] | None:
    """Linux's prctl, looked up once in the parent (a child importing ctypes cost 11 ms a file)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _find_prctl()


def run_isolated(read: Callable[[], T], name: str, limits: Limits) -> T:
    """`read()` in a forked child under `limits`: what it returns, its DocumentError as it
    was raised, or a DocumentError naming `name` and the limit when it hits one, dies, or has
    to be killed."""
    if not hasattr(os, "fork"):  # not POSIX: no child to confine
        return read()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reader)
        _child(writer, read, limits)
    os.close(writer)
    try:
        payload = _collect(reader, limits.seconds + KILL_GRACE)
    finally:
        os.close(reader)
        killed = _reap(pid)
    return _outcome(payload, killed, name, limits)


def _collect(fd: int, seconds: float) -> bytes | None:
    """What the child writes, or None when it is still writing after `seconds`."""
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int) -> int | None:
    """Kill the child if it still runs and wait for it; the signal that ended it, if any."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, signal.SIGKILL)
        done, status = os.waitpid(pid, 0)
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else None


def _outcome(payload: bytes | None, killed: int | None, name: str, limits: Limits) -> Any:
    """The child's answer, or the DocumentError a reader can act on."""
    if payload is None:
        raise DocumentError(name, f"reading did not finish within {limits.seconds + KILL_GRACE:.0f} s "
                                  "(the time limit per file); the reader was stopped", hint=HOSTILE_HINT)
    if not payload:
        cause = f"signal {signal.Signals(killed).name}" if killed else "no answer"
        raise DocumentError(name, f"the reader died ({cause}): {memory_limit(limits.memory)}, or it reached the "
                                  f"time limit of {limits.seconds:.0f} s per file", hint=HOSTILE_HINT)
    try:
        kind, value = pickle.loads(payload)
    except (pickle.UnpicklingError, EOFError, ValueError):
        kind, value = "limit", f"the reader was stopped while answering; {memory_limit(limits.memory)}"
    if kind == "result":
        return value
    if kind == "limit":
        raise DocumentError(name, f"reading stopped: {value}", hint=HOSTILE_HINT)
    path, message, line, hint = value
    raise DocumentError(path, message, line=line, hint=hint)


def _child(writer: int, read: Callable[[], Any], limits: Limits) -> None:
    """Read under the limits, write one pickled answer, exit without running the parent's
    clean-up (atexit handlers, buffered output, temporary files belong to the parent)."""
    code = 0
    try:
        _confine(writer, limits)
        try:
            answer: tuple[str, Any] = ("result", read())
        except DocumentError as exc:
            answer = ("error", (exc.path, exc.message.removeprefix(f"{exc.path}: "), None, exc.hint))
            if exc.line:
                answer = ("error", (exc.path, exc.message.removeprefix(f"{exc.path}:{exc.line}: "), exc.line, exc.hint))
        except ReadingLimit as exc:
            answer = ("limit", exc.limit)
        except MemoryError:
            answer = ("limit", memory_limit(limits.memory))
        except RecursionError:
            answer = ("limit", "it is nested too deeply to parse")
        signal.setitimer(signal.ITIMER_REAL, 0)
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(writer, view):]
    except BaseException:  # noqa: BLE001 - the parent reports a child that answers nothing
        code = 1
    finally:
        os._exit(code)


def _confine(writer: int, limits: Limits) -> None:
    """Limits that hold inside a page: an alarm raising ReadingLimit wherever Python code runs,
    a CPU-time limit that kills a reader stuck in C code even if the parent is gone, an
    address-space limit of `limits.memory` above what the fork inherited; no inherited file
    descriptor but the answer pipe (a build's lock file must not outlive the build)."""
    os.closerange(3, writer)
    os.closerange(writer + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    _die_with_parent()
    gc.freeze()  # the collector never walks the inherited objects: no copy of the parent's pages

    def alarm(signum: int, frame: Any) -> None:
        raise ReadingLimit(f"it takes longer than the limit of {limits.seconds:.0f} s per file")

    signal.signal(signal.SIGALRM, alarm)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, limits.seconds)
    cpu = int(limits.seconds + KILL_GRACE) + 1
    _lower(resource.RLIMIT_CPU, cpu, cpu + 5)
    with open("/proc/self/statm", "rb") as fh:
        inherited = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _lower(resource.RLIMIT_AS, inherited + limits.memory, inherited + limits.memory)


def _lower(which: int, soft: int, hard: int) -> None:
    """Set a resource limit, never above the one already in force."""
    old_soft, old_hard = resource.getrlimit(which)
    if old_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, old_hard), min(hard, old_hard)
    if old_soft != resource.RLIM_INFINITY:
        soft = min(soft, old_soft)
    resource.setrlimit(which, (soft, hard))


def _die_with_parent() -> None:
    """Ask Linux to kill this child when the build that forked it dies (prctl PR_SET_PDEATHSIG);
    elsewhere the CPU-time limit still ends it."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)
