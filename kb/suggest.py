"""'Did you mean': corrections from the index's vocabulary of unstemmed words."""

from __future__ import annotations

from typing import Any

from kb.analysis import analyze, fold_accents, lemma_analyzer, stem_analyzer, word_analyzer
from kb.query import ParsedQuery

_words = word_analyzer()
_lemma = lemma_analyzer()
_stem = stem_analyzer()
MIN_WORD_LENGTH = 4


def _known(reader: Any, word: str) -> bool:
    """A word is known when its lemma or stem is indexed (so unaccented input is known)."""
    lemmas = analyze(_lemma, word)
    stems = analyze(_stem, word)
    if not lemmas and not stems:
        return True  # a stop word: nothing to correct
    return any(reader.doc_frequency("text", t) for t in lemmas) or any(reader.doc_frequency("text_stem", t) for t in stems)


def _best(reader: Any, word: str) -> str | None:
    maxdist = 1 if len(word) < 7 else 2
    best: tuple[int, int, str] | None = None
    for candidate in reader.terms_within("words", word, maxdist, prefix=1):
        if candidate == word:
            continue
        freq = reader.doc_frequency("words", candidate)
        # Closer first; among equals, the accent-insensitive twin, then the most frequent.
        same = fold_accents(candidate) == fold_accents(word)
        key = (0 if same else 1, -freq, candidate)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def suggest(searcher: Any, parsed: ParsedQuery) -> str | None:
    """A corrected query when some word of it is unknown and a close known word exists."""
    reader = searcher.reader()
    changed = False
    out: list[str] = []
    for unit in parsed.units():
        fixed: list[str] = []
        for word in analyze(_words, unit.text):
            if len(word) >= MIN_WORD_LENGTH and not unit.prefix and not _known(reader, word):
                candidate = _best(reader, word)
                if candidate:
                    fixed.append(candidate)
                    changed = True
                    continue
            fixed.append(word)
        text = " ".join(fixed)
        out.append(f'"{text}"' if unit.phrase else text)
    return " ".join(out) if changed else None
