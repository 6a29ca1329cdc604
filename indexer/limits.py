"""What reading one file may cost, and how a reader is told it reached a limit."""

from __future__ import annotations

from dataclasses import dataclass

MAX_SECONDS = 120.0  # per file; a PDF stops between pages past it, any file is interrupted inside a page
MAX_MEMORY_BYTES = 512 * 1024 * 1024  # beyond the build's own; reading the Debian manual (265 pages) peaks at 70 MB
HOSTILE_HINT = ("the file may be built to exhaust readers (a decompression bomb, a reference cycle, "
                "pathological nesting); check where it comes from")


@dataclass(frozen=True)
class Limits:
    """Wall-clock seconds, and bytes of memory beyond what the build held when it forked the reader."""

    seconds: float = MAX_SECONDS
    memory: int = MAX_MEMORY_BYTES


class ReadingLimit(Exception):
    """Raised inside the reading (by the isolating process's alarm, or for memory) when a limit
    per file is reached in the middle of a page; `limit` says which, as a reader would."""

    def __init__(self, limit: str) -> None:
        super().__init__(limit)
        self.limit = limit


def memory_limit(max_memory: int | None) -> str:
    """How a reader is told the memory limit was reached."""
    figure = f" of {max_memory / (1024 * 1024):,.0f} MB" if max_memory else ""
    return f"it needs more memory than the limit{figure} per file"
