"""Memoised analysis: a build analyses each text several times (index fields, categories,
snippet spans) and headings and titles once per passage; each text goes through a chain once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Token
from whoosh.analysis.analyzers import CompositeAnalyzer

# (text, position, start char, end char, surface) of each token, per (chain name, text).
Tokens = tuple[tuple[str, int, int, int, str], ...]
_MEMO: OrderedDict[tuple[str, str], Tokens] = OrderedDict()
_LOCK = threading.Lock()
MAX_ENTRIES = 100_000
MAX_TEXT_CHARS = 20_000  # very long texts are analysed again rather than kept
_capacity = [MAX_ENTRIES]  # raised while a build replays what its workers analysed


def clear_memo() -> None:
    """Drop memoised analyses (after a build, to give the memory back)."""
    with _LOCK:
        _MEMO.clear()
        _capacity[0] = MAX_ENTRIES


def remember(name: str, value: str, tokens: Tokens, reserve: int = 0) -> None:
    """Keep the tokens chain `name` gives `value` (computed elsewhere, e.g. in a build worker);
    `reserve`: room for that many entries until clear_memo()."""
    if len(value) > MAX_TEXT_CHARS:
        return
    with _LOCK:
        _capacity[0] = max(_capacity[0], reserve)
        _MEMO[(name, value)] = tokens
        while len(_MEMO) > _capacity[0]:
            _MEMO.popitem(last=False)


class MemoAnalyzer(CompositeAnalyzer):
    """A CompositeAnalyzer that replays the tokens of texts it has already analysed."""

    def __init__(self, name: str, *composables: Any) -> None:
        super().__init__(*composables)
        self.name = name

    def __call__(self, value: str, no_morph: bool = False, **kwargs: Any) -> Iterator[Token]:
        if no_morph or kwargs.get("removestops", True) is False or len(value) > MAX_TEXT_CHARS:
            return super().__call__(value, no_morph=no_morph, **kwargs)
        return self._replay(self.tokens(value), **kwargs)

    def tokens(self, value: str) -> Tokens:
        """The chain's tokens of `value`, memoised (what a build worker sends the writer)."""
        key = (self.name, value)
        with _LOCK:
            tokens = _MEMO.get(key)
            if tokens is not None:
                _MEMO.move_to_end(key)
                return tokens
        tokens = tuple(
            (t.text, t.pos, t.startchar, t.endchar, getattr(t, "surface", t.text))
            for t in super().__call__(value, positions=True, chars=True)
        )
        remember(self.name, value, tokens)  # (not kept past MAX_TEXT_CHARS)
        return tokens

    @staticmethod
    def _replay(tokens: Tokens, positions: bool = False, chars: bool = False,
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
