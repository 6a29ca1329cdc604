"""Memoised analysis: a build analyses each text several times (index fields, categories,
snippet spans) and headings and titles once per passage; each text goes through a chain once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Token
from whoosh.analysis.analyzers import CompositeAnalyzer

# (text, start_char, surface, pos offset) tuples per (chain name, text).
_MEMO: OrderedDict[tuple[str, str], tuple[tuple[str, int, int, int, str], ...]] = OrderedDict()
_LOCK = threading.Lock()
MAX_ENTRIES = 100_000
MAX_TEXT_CHARS = 20_000  # very long texts are analysed again rather than kept


def clear_memo() -> None:
    """Drop memoised analyses (after a build, to give the memory back)."""
    with _LOCK:
        _MEMO.clear()


class MemoAnalyzer(CompositeAnalyzer):
    """A CompositeAnalyzer that replays the tokens of texts it has already analysed."""

    def __init__(self, name: str, *composables: Any) -> None:
        super().__init__(*composables)
        self.name = name

    def __call__(self, value: str, no_morph: bool = False, **kwargs: Any) -> Iterator[Token]:
        if no_morph or kwargs.get("removestops", True) is False or len(value) > MAX_TEXT_CHARS:
            return super().__call__(value, no_morph=no_morph, **kwargs)
        key = (self.name, value)
        with _LOCK:
            tokens = _MEMO.get(key)
            if tokens is not None:
                _MEMO.move_to_end(key)
        if tokens is None:
            tokens = tuple(
                (t.text, t.pos, t.startchar, t.endchar, getattr(t, "surface", t.text))
                for t in super().__call__(value, positions=True, chars=True)
            )
            with _LOCK:
                _MEMO[key] = tokens
                while len(_MEMO) > MAX_ENTRIES:
                    _MEMO.popitem(last=False)
        return self._replay(tokens, **kwargs)

    @staticmethod
    def _replay(tokens: tuple[tuple[str, int, int, int, str], ...], positions: bool = False, chars: bool = False,
                start_pos: int = 0, start_char: int = 0, mode: str = "", **kwargs: Any) -> Iterator[Token]:
        kwargs.pop("keeporiginal", None)
        kwargs.pop("tokenize", None)
        removestops = kwargs.pop("removestops", True)
        for text, pos, startchar, endchar, surface in tokens:
            t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
            t.text = text
            t.surface = surface
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + startchar
                t.endchar = start_char + endchar
            yield t
