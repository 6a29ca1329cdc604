"""Values derived once per build and index reader (facet columns, vector rows, field lengths):
keyed by both, so a value read off one build is never served for another. A KnowledgeBase binds
each reader it opens to its build; a value that also depends on the build's other files (its
vectors) names that build, and is refused if the reader reads another."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
_BUILD_OF: weakref.WeakKeyDictionary[Any, Hashable] = weakref.WeakKeyDictionary()
_VALUES: weakref.WeakKeyDictionary[Any, dict[tuple[Hashable, str], Any]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


class ReaderBuildMismatch(RuntimeError):
    """A value of one build was asked for with a reader of another: a programming error (the
    reader and the build's files must come from one snapshot), never computed nor cached."""


def bind(reader: Any, build: Hashable) -> None:
    """Record that `reader` and its segment readers read `build` (Snapshot.key)."""
    with _LOCK:
        _BUILD_OF[reader] = build
        for leaf, _offset in reader.leaf_readers():
            _BUILD_OF[leaf] = build


def build_of(reader: Any) -> Hashable | None:
    """The build `reader` was bound to, None for a reader no KnowledgeBase opened (a tool's own)."""
    with _LOCK:
        return _BUILD_OF.get(reader)


def derived(reader: Any, name: str, compute: Callable[[Any], T], build: Hashable | None = None) -> T:
    """`compute(reader)`, computed on first use for this (build, reader) and kept while the reader
    lives. `build`: the build the value also depends on; it must be the reader's own."""
    bound = build_of(reader)
    if build is not None and bound is not None and build != bound:
        raise ReaderBuildMismatch(f"'{name}' of build {_name(build)} asked with a reader of build {_name(bound)}")
    key = (build if build is not None else bound, name)
    with _LOCK:
        values = _VALUES.setdefault(reader, {})
    if key not in values:
        values[key] = compute(reader)  # two threads may both compute it: the same value, no harm
    return values[key]  # type: ignore[no-any-return]


def _name(build: Hashable) -> str:
    return str(build[0]) if isinstance(build, tuple) and build else str(build)
