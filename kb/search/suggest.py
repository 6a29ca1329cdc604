"""'Did you mean': corrections from the index's vocabulary of unstemmed words."""

from __future__ import annotations

from typing import Any

from kb.analysis import LEMMAS, analyze, fold_accents, lemma_analyzer, normalize_text, stem_analyzer, word_analyzer
from kb.analysis.lexicon import is_french_word
from kb.search.parse import ParsedQuery
from kb.storage.schema import LEMMA_FIELDS, STEM_FIELDS

_words = word_analyzer()
_lemma = lemma_analyzer()
_stem = stem_analyzer()
MIN_WORD_LENGTH = 4
# Bounds on the Levenshtein search (each costs 10-50 ms on a large vocabulary): a "word" longer
# than any French word is not a typo, and past a few unknown words a query is not a misspelling.
MAX_WORD_LENGTH = 30
MAX_CORRECTIONS = 6
ROOT_LETTERS = 5  # « violen|tes » / « violen|ce »; « ju|riste » / « ju|ste » do not share a root


def _known(reader: Any, word: str) -> bool:
    """A word is known when its lemma or stem is indexed in a passage, a heading or a title (so
    unaccented input is known, and so is « technosolutionnisme », a heading's word)."""
    lemmas = analyze(_lemma, word)
    stems = analyze(_stem, word)
    if not lemmas and not stems:
        return True  # a stop word: nothing to correct
    return (any(reader.doc_frequency(f, t) for f in LEMMA_FIELDS for t in lemmas)
            or any(reader.doc_frequency(f, t) for f in STEM_FIELDS for t in stems))


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


def _shared_root(word: str, other: str) -> bool:
    """Both words start with the same ROOT_LETTERS letters (accents aside): derived forms do."""
    a, b = fold_accents(word), fold_accents(other)
    return len(a) >= ROOT_LETTERS and a[:ROOT_LETTERS] == b[:ROOT_LETTERS]


def unknown_words(reader: Any, parsed: ParsedQuery) -> list[str]:
    """The query's words of plausible length that no passage contains, in query order (at most
    MAX_CORRECTIONS: past a few unknown words a query is not a misspelling)."""
    out: list[str] = []
    candidates = [(unit, analyze(_words, unit.text)) for unit in parsed.units() if not unit.prefix]
    # Each word is lemmatised alone: one spaCy batch for all of them, not one call per word.
    LEMMAS.prime(normalize_text(w) for _, words in candidates for w in words if MIN_WORD_LENGTH <= len(w) <= MAX_WORD_LENGTH)
    for unit, words in candidates:
        for word in words:
            if word in out or not MIN_WORD_LENGTH <= len(word) <= MAX_WORD_LENGTH or _known(reader, word):
                continue
            if len(out) >= MAX_CORRECTIONS:
                return out
            out.append(word)
    return out


def corrections(reader: Any, unknown: list[str]) -> dict[str, str]:
    """Each of the query's unknown_words() → the closest word the index knows. A correctly spelt
    French word the corpus does not use is no typo: it keeps only a close word of the same root
    (« violentes » → « violence »), not a different word (« juriste » → « juste »)."""
    out: dict[str, str] = {}
    for word in unknown:
        candidate = _best(reader, word)
        if candidate and (not is_french_word(word) or _shared_root(word, candidate)):
            out[word] = candidate
    return out


def absent_words_note(words: list[str]) -> str:
    """The notice naming query words that no passage contains (and no correction replaced)."""
    quoted = ", ".join(f"« {w} »" for w in words)
    if len(words) == 1:
        return f"Le mot {quoted} n'apparaît dans aucun passage du corpus."
    return f"Les mots {quoted} n'apparaissent dans aucun passage du corpus."


def suggest(parsed: ParsedQuery, fixes: dict[str, str]) -> str | None:
    """The query with its corrections() applied, or None when there are none."""
    if not fixes:
        return None
    out: list[str] = []
    for unit in parsed.units():
        words = analyze(_words, unit.text)
        text = " ".join(w if unit.prefix else fixes.get(w, w) for w in words)
        out.append(f'"{text}"' if unit.phrase else text)
    return " ".join(out)
