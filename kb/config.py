"""Where the corpus and the index live, overridable by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_INDEX = Path("var/index")
DEFAULT_CORPUS = Path("corpus")


def index_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The index directory: explicit argument, else $KB_INDEX, else ./var/index."""
    return Path(explicit or os.environ.get("KB_INDEX") or DEFAULT_INDEX)


def corpus_dirs(explicit: list[str] | tuple[str, ...] | None = None) -> list[Path]:
    """Corpus paths: explicit arguments, else $KB_CORPUS (os.pathsep-separated), else ./corpus."""
    if explicit:
        return [Path(p) for p in explicit]
    env = os.environ.get("KB_CORPUS")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [DEFAULT_CORPUS]


def cache_dir() -> Path:
    """Per-user caches (compiled patterns, passage vectors): $KB_CACHE_DIR, else
    $XDG_CACHE_HOME/kb-risques-ia, else ~/.cache/kb-risques-ia."""
    explicit = os.environ.get("KB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "kb-risques-ia"


DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"  # where `make serve` serves


def public_url() -> str:
    """The site's public address, for absolute passage URLs in citations: $KB_PUBLIC_URL, else
    where `make serve` serves (the web app uses the request's host instead)."""
    return (os.environ.get("KB_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")
