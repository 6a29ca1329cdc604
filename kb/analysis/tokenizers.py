"""Tokenizers: spaCy lemmas for the main fields, a regex for the stem and word fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.analysis import RegexTokenizer, Token, Tokenizer

from kb.analysis.elision import restore_elisions
from kb.analysis.nlp import LEMMAS
from kb.analysis.normalize import normalize_text

# Words, keeping internal hyphens, apostrophes and inclusive-writing dots together so that
# the filters can treat them on purpose. Always passed explicitly: newer Whoosh forks
# changed the default pattern (`**word**` would become one token).
WORD_PATTERN = r"\w+(?:['\-·‧•]\w+)*"


class NormalizingRegexTokenizer(RegexTokenizer):
    """RegexTokenizer that first unifies apostrophes and spaces and puts back the apostrophe of
    elisions typed without one (« jai » → « j'ai »); offsets stay those of the text as written."""

    def __call__(self, value: str, chars: bool = False, start_char: int = 0, **kwargs: Any) -> Iterator[Token]:
        repaired = restore_elisions(normalize_text(value))
        tokens = super().__call__(repaired.text, chars=chars, start_char=start_char, **kwargs)
        if not (chars and repaired.inserted):
            yield from tokens
            return
        for t in tokens:
            t.startchar = start_char + repaired.original_offset(t.startchar - start_char)
            t.endchar = start_char + repaired.original_offset(t.endchar - start_char)
            yield t


class LemmaTokenizer(Tokenizer):
    """Yields one token per spaCy word, text = lemma, with the surface form kept."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LemmaTokenizer)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        text = normalize_text(value)
        for i, word in enumerate(LEMMAS.words(text)):
            t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
            t.text = word.lemma
            t.surface = word.surface
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word.surface
            if positions:
                t.pos = start_pos + i
            if chars:
                t.startchar = start_char + word.start
                t.endchar = start_char + word.end
            yield t
