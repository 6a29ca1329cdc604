"""What a build reports to the operator: counts, what was reindexed, removed or skipped, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class BuildReport:
    """What a build did: counts for the summary, and every warning with its file."""

    index_path: Path
    documents: int = 0
    passages: int = 0
    words: int = 0
    seconds: float = 0.0
    up_to_date: bool = False
    reindexed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks
    vectors: dict[str, Any] | None = None  # the embedding stage: embedded, reused, seconds (None: no vectors asked)
