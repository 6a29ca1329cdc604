"""French words spaCy's lemmatiser knows: a word the corpus does not use is not a typo for that."""

from __future__ import annotations

import threading
from typing import Any

from kb.analysis.nlp import get_nlp

_lemmas: frozenset[str] | None = None
_lock = threading.Lock()


def _tables() -> Any:
    return get_nlp().get_pipe("lemmatizer").lookups


def _known_lemmas() -> frozenset[str]:
    """Every lemma of the lemmatiser's index (nouns, verbs, adjectives, adverbs; ~100k)."""
    global _lemmas
    if _lemmas is None:
        with _lock:
            if _lemmas is None:
                index = _tables().get_table("lemma_index")
                _lemmas = frozenset(word for pos in index for word in index[pos])
    return _lemmas


def is_french_word(word: str) -> bool:
    """True when `word` (lower case, as typed) is a lemma or an inflected form the French
    lemmatiser lists: « juriste » is a word, « manifestaton » is not."""
    word = word.lower()
    # lemma_lookup holds the ~217k inflected forms whose lemma differs (« proches » → « proche »).
    return word in _known_lemmas() or word in _tables().get_table("lemma_lookup")
