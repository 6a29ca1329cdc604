"""Values derived once per index reader and dropped with it: a reader is one immutable view of a
build, so what is read off every stored passage (facet columns, vector rows) stays true for it."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_VALUES: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def per_reader(reader: Any, name: str, compute: Callable[[Any], T]) -> T:
    """`compute(reader)`, computed on first use for this reader and kept while the reader lives."""
    with _LOCK:
        values = _VALUES.setdefault(reader, {})
    if name not in values:
        values[name] = compute(reader)  # two threads may both compute it: the same value, no harm
    return values[name]  # type: ignore[no-any-return]
