"""Analysed words and taxonomy patterns: the matching both the cues and the AI context use."""

from __future__ import annotations

from typing import Any

from kb.analysis import fold_accents
from kb.analysis.stopwords import FRENCH_STOP_WORDS

_STOP_KEYS = frozenset(fold_accents(w) for w in FRENCH_STOP_WORDS)

Key = tuple[str, str]  # (folded lemma, folded surface form) of one word
Pattern = tuple[str, ...]


def text_keys(analyzer: Any, text: str) -> list[Key]:
    """Each word as its folded lemma and its folded surface form: a pattern word may match
    either, so a lemmatiser slip ("affaiblissement" → "affaiblissemer") does not hide it.
    Stems are not used: they would merge gouvernement and gouvernance."""
    return [(t.text, fold_accents(getattr(t, "surface", t.text).lower())) for t in analyzer(text)]


def pattern_keys(pattern: str) -> Pattern:
    """The folded words of a taxonomy pattern; function words dropped unless written in capitals,
    as the analyser keeps acronyms ("AI act" is not the verb "ai")."""
    words = pattern.replace("'", " ").split()
    return tuple(
        fold_accents(w.lower()) for w in words
        if (len(w) > 1 and w.isupper()) or fold_accents(w.lower()) not in _STOP_KEYS
    )


class Words:
    """Analysed words with an index from each key to its positions, for fast pattern search."""

    def __init__(self, keys: list[Key]) -> None:
        self.keys = keys
        self.where: dict[str, list[int]] = {}
        for i, (lemma, surface) in enumerate(keys):
            self.where.setdefault(lemma, []).append(i)
            if surface != lemma:
                self.where.setdefault(surface, []).append(i)

    def find(self, pattern: Pattern) -> list[int]:
        """Start positions where the pattern's words follow each other."""
        if not pattern:
            return []
        keys, n = self.keys, len(pattern)
        return [
            i for i in self.where.get(pattern[0], ())
            if i + n <= len(keys) and all(pattern[k] in keys[i + k] for k in range(1, n))
        ]

    def in_named_compound(self, position: int) -> bool:
        """Whether the word is a part of a compound with a digit, a name ("IA-32", "GPT-4")."""
        surface = self.keys[position][1]
        return "-" in surface and any(c.isdigit() for c in surface)


def by_first_word(patterns: list[tuple]) -> dict[str, list[tuple]]:
    """Patterns (name, keys, ...) grouped by their first word: a text only tries the patterns it
    could match."""
    index: dict[str, list[tuple]] = {}
    for item in patterns:
        if item[1]:
            index.setdefault(item[1][0], []).append(item)
    return index


def candidates(index: dict[str, list[tuple]], words: Words) -> list[tuple]:
    """The patterns of `index` whose first word occurs in `words`."""
    if len(index) < len(words.where):
        return [item for first, items in index.items() if first in words.where for item in items]
    return [item for first in words.where if first in index for item in index[first]]
