"""'Did you mean': corrections from the index's vocabulary of unstemmed words."""

from __future__ import annotations

import threading
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from kb.analysis import LEMMAS, analyze, fold_accents, lemma_alternatives, lemma_analyzer, normalize_text, stem_analyzer, word_analyzer
from kb.analysis.lexicon import is_french_word
from kb.search.parse import ParsedQuery
from kb.storage.backend import IndexView
from kb.storage.fields import LEMMA_FIELDS, STEM_FIELDS, WORDS_FIELD

_words = word_analyzer()
_lemma = lemma_analyzer()
_stem = stem_analyzer()
MIN_WORD_LENGTH = 4
# Bounds on the correction search: a "word" longer than any French word is not a typo, and past a
# few unknown words a query is not a misspelling.
MAX_WORD_LENGTH = 30
MAX_CORRECTIONS = 6
ROOT_LETTERS = 5  # « violen|tes » / « violen|ce »; « ju|riste » / « ju|ste » do not share a root


class Vocabulary:
    """The index's words as written (the `words` field) with their passage counts, grouped by
    first letter: the candidates of a correction share the typed word's first letter."""

    def __init__(self, view: IndexView) -> None:
        buckets: dict[str, tuple[list[str], list[int]]] = {}
        for word, frequency in view.vocabulary(WORDS_FIELD):
            words, counts = buckets.setdefault(word[:1], ([], []))
            words.append(word)
            counts.append(frequency)
        self._buckets = buckets

    def closest(self, word: str) -> str | None:
        """The known word within 1 edit (2 from 7 letters) of `word`: closer first, accents aside
        (« securite » → « sécurité »), then by edits as written, then the most frequent."""
        words, counts = self._buckets.get(word[:1], ((), ()))
        maxdist = 1 if len(word) < 7 else 2
        folded = fold_accents(word)
        best: tuple[int, int, int, str] | None = None
        for candidate, distance, i in process.extract(word, words, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None):
            if candidate == word:
                continue
            key = (Levenshtein.distance(folded, fold_accents(candidate)), int(distance), -counts[i], candidate)
            if best is None or key < best:
                best = key
        return best[3] if best else None


_vocabularies: dict[Path, Vocabulary] = {}
_vocabulary_lock = threading.Lock()


def vocabulary_for(build: Path, view: IndexView) -> Vocabulary:
    """The vocabulary of a build, read from its `view` once per process (the last two builds kept)."""
    vocabulary = _vocabularies.get(build)
    if vocabulary is None:
        with _vocabulary_lock:
            vocabulary = _vocabularies.get(build)
            if vocabulary is None:
                vocabulary = Vocabulary(view)
                for old in list(_vocabularies)[:-1]:
                    del _vocabularies[old]
                _vocabularies[build] = vocabulary
    return vocabulary


def _stems_if_unindexed(view: IndexView, word: str) -> tuple[str, ...] | None:
    """`word`'s stems when none is indexed (its lemma must decide), None when one is (known)."""
    stems = tuple(analyze(_stem, word))
    return None if any(view.doc_frequency(f, t) for f in STEM_FIELDS for t in stems) else stems


def _known_lemma(view: IndexView, word: str, stems: tuple[str, ...]) -> bool:
    """A word whose stem is not indexed is known when its lemma is, in a passage, a heading or a
    title (so « technosolutionnisme », a heading's word, is known), by any lemma the query searches
    (« peux » by pouvoir); a stop word is never unknown."""
    if not analyze(_lemma, word) and not stems:
        return True  # a stop word: nothing to correct
    return any(view.doc_frequency(f, t) for f in LEMMA_FIELDS for t in lemma_alternatives(word))


def _shared_root(word: str, other: str) -> bool:
    """Both words start with the same ROOT_LETTERS letters (accents aside): derived forms do."""
    a, b = fold_accents(word), fold_accents(other)
    return len(a) >= ROOT_LETTERS and a[:ROOT_LETTERS] == b[:ROOT_LETTERS]


def unknown_words(view: IndexView, parsed: ParsedQuery) -> list[str]:
    """The query's words of plausible length that no passage contains, in query order (at most
    MAX_CORRECTIONS: past a few unknown words a query is not a misspelling). The stem is checked
    first (no spaCy call, and unaccented input is known); the lemma only when it is not indexed."""
    words = dict.fromkeys(w for unit in parsed.units() if not unit.prefix for w in analyze(_words, unit.text)
                          if MIN_WORD_LENGTH <= len(w) <= MAX_WORD_LENGTH)
    unsure = {w: stems for w in words if (stems := _stems_if_unindexed(view, w)) is not None}
    # The query's one spaCy batch: what compile_query() lemmatises (its units) and the words
    # whose stem is not indexed, each lemmatised alone.
    LEMMAS.prime([u.text for u in parsed.units()] + [u.text for u in parsed.excluded] + [normalize_text(w) for w in unsure])
    out = [w for w, stems in unsure.items() if not _known_lemma(view, w, stems)]
    return out[:MAX_CORRECTIONS]


def corrections(vocabulary: Vocabulary, unknown: list[str]) -> dict[str, str]:
    """Each of the query's unknown_words() → the closest word the index knows. A correctly spelt
    French word the corpus does not use is no typo: it keeps only a close word of the same root
    (« violentes » → « violence »), not a different word (« juriste » → « juste »)."""
    out: dict[str, str] = {}
    for word in unknown:
        candidate = vocabulary.closest(word)
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
