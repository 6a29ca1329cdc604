"""Slow regular-expression compilations kept across processes, for a fast spaCy start.

`import spacy.lang.fr` compiles one pattern (its tokenizer's TOKEN_MATCH: about 70 alternatives
over spaCy's Unicode letter classes, case-insensitive) for 2.2 s, half of a server's start-up.
Python keeps compiled patterns only in memory (`re._cache`) and pickles them as source text. While
spaCy loads, this module records what Python's pattern compiler produced for slow patterns (the
SRE code list and group tables) in a JSON file; the next process rebuilds those pattern objects
with `_sre.compile` and puts them in `re`'s cache, where spaCy's own `re.compile(pattern, flags)`
finds them. An entry is keyed by the exact pattern text and flags, and the file by the Python
build, so a rebuilt object is the one a fresh compilation would give; on any other interpreter,
or with an unreadable file, patterns are simply compiled as usual.

The file is data read back from disk, never trusted: it carries a SHA-256 digest of its content
(Python build and entries, as recorded from real compilations), and each entry must rebuild into
a pattern object whose text, flags and groups are those of its key. A file that fails either check
(truncated, bit-flipped, edited by hand) is ignored whole and rewritten by the next process that
compiles those patterns. The digest guards against damage, not against someone who can write the
cache folder (they could as well change the code that reads it)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.config import cache_dir
from typing import Any

SLOW_SECONDS = 0.05  # compilations faster than this are not worth a file read
_stats = {"rebuilt": 0, "recorded": 0}


def supported() -> bool:
    """CPython 3.11, whose compiler internals (re._compiler, _sre.compile) this module mirrors."""
    compiler = getattr(re, "_compiler", None)
    return (sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)
            and hasattr(compiler, "_code") and isinstance(getattr(re, "_cache", None), dict))


def cache_file() -> Path:
    """Per user and Python build: $KB_CACHE_DIR, else $XDG_CACHE_HOME/kb-risques-ia, else ~/.cache."""
    build = hashlib.sha256(sys.version.encode()).hexdigest()[:12]
    return cache_dir() / f"re-{build}.json"


def stats() -> dict[str, int]:
    """Patterns rebuilt from the file and recorded into it, in this process."""
    return dict(_stats)


@contextmanager
def kept(path: Path | None = None) -> Iterator[None]:
    """Within the block, slow compilations are served from / recorded into `path`."""
    if not supported():
        yield
        return
    path = path or cache_file()
    entries = _load(path)
    rebuilt = _rebuild_all(entries)
    if rebuilt is None:
        entries = []  # a damaged file: every pattern compiled as usual, and the file written anew
    else:
        re._cache.update(rebuilt)  # type: ignore[attr-defined]
        _stats["rebuilt"] += len(rebuilt)
    recorded: list[dict[str, Any]] = []
    original = re._compiler.compile  # type: ignore[attr-defined]

    def compile_recording(p: Any, flags: int = 0) -> Any:
        if not isinstance(p, str):
            return original(p, flags)
        started = time.perf_counter()
        args = _compile_args(p, flags)
        compiled = _rebuild(args)
        if time.perf_counter() - started > SLOW_SECONDS:
            recorded.append({"pattern": p, "flags": flags, "args": args})
        return compiled

    re._compiler.compile = compile_recording  # type: ignore[attr-defined]
    try:
        yield
    finally:
        re._compiler.compile = original  # type: ignore[attr-defined]
        if recorded:
            _stats["recorded"] += len(recorded)
            _save(path, entries + recorded)


def _compile_args(pattern: str, flags: int) -> list[Any]:
    """What re._compiler.compile() hands to _sre.compile(), as JSON-able values (3.11)."""
    parsed = re._parser.parse(pattern, flags)  # type: ignore[attr-defined]
    code = re._compiler._code(parsed, flags)  # type: ignore[attr-defined]
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return [pattern, flags | parsed.state.flags, list(code), parsed.state.groups - 1, groupindex, indexgroup]


def _rebuild_all(entries: list[dict[str, Any]]) -> dict[tuple[type, str, int], Any] | None:
    """re's cache entries rebuilt from the file's entries, or None if any is not what its key says."""
    out: dict[tuple[type, str, int], Any] = {}
    for entry in entries:
        try:
            pattern, flags, args = entry["pattern"], entry["flags"], entry["args"]
            compiled = _rebuild(args)
        except (KeyError, TypeError, ValueError, RuntimeError, OverflowError, IndexError, AttributeError):
            return None
        if not (isinstance(pattern, str) and type(flags) is int and compiled.pattern == pattern
                and compiled.flags & flags == flags and len(args[5]) == compiled.groups + 1):
            return None
        out[(str, pattern, flags)] = compiled
    return out


def _rebuild(args: list[Any]) -> Any:
    import _sre

    pattern, flags, code, groups, groupindex, indexgroup = args
    return _sre.compile(pattern, flags, code, groups, groupindex, tuple(indexgroup))


def _digest(entries: Any) -> str:
    """SHA-256 of what the file holds for this Python build, in one canonical serialisation."""
    content = json.dumps([sys.version, entries], sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()


def _load(path: Path) -> list[dict[str, Any]]:
    """The file's entries when it is this Python build's and its digest matches; else none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    if not isinstance(data, dict) or data.get("python") != sys.version:
        return []
    entries = data.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) or data.get("sha256") != _digest(entries):
        return []
    return entries


def _save(path: Path, entries: list[dict[str, Any]]) -> None:
    """Atomically; a cache that cannot be written only costs the next start its speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({"python": sys.version, "sha256": _digest(entries), "entries": entries}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
