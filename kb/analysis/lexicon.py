"""French words spaCy's lemmatiser knows, from the tables the French model ships (spaCy's
maintained lookups, the same as the spacy-lookups-data package's fr_lemma_* tables): a word the
corpus does not use is not a typo for that, and a conjugated form the model leaves unlemmatised
out of context (« peux » alone is tagged as an adjective) still reaches its verb."""

from __future__ import annotations

import threading
from typing import Any

from kb.analysis.spacy_model import get_nlp

_lemmas: frozenset[str] | None = None
_verbs: frozenset[str] | None = None
_lock = threading.Lock()
# Exception tables of conjugated forms: « peux » → pouvoir, « vais » → aller, « agissons » → agir.
_VERB_TABLES = ("verb", "aux")


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


def _verb_lemmas() -> frozenset[str]:
    """The verbs of the lemmatiser's index (infinitives)."""
    global _verbs
    if _verbs is None:
        with _lock:
            if _verbs is None:
                _verbs = frozenset(_tables().get_table("lemma_index")["verb"])
    return _verbs


def is_known_lemma(word: str) -> bool:
    """True when `word` (lower case) is a lemma of the lemmatiser's index: « pouvoir » is,
    « peux » and « agisson » (what the model makes of « agissons » alone) are not."""
    return word in _known_lemmas()


def is_french_word(word: str) -> bool:
    """True when `word` (lower case, as typed) is a lemma or an inflected form the French
    lemmatiser lists: « juriste » is a word, « manifestaton » is not."""
    word = word.lower()
    # lemma_lookup holds the ~217k inflected forms whose lemma differs (« proches » → « proche »).
    return word in _known_lemmas() or word in _tables().get_table("lemma_lookup")


def _first(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    return str(value[0]) if value else None


def _verb_lemma(word: str) -> str | None:
    """The verb the exceptions give the form `word`, when the context-free lookup agrees."""
    tables = _tables()
    exceptions = tables.get_table("lemma_exc")
    for pos in _VERB_TABLES:
        lemma = _first(exceptions[pos].get(word)) if pos in exceptions else None
        if lemma:
            other = _first(tables.get_table("lemma_lookup").get(word))
            return lemma if other in (None, lemma) else None
    return None


def table_lemmas(surface: str, lemma: str) -> list[str]:
    """Lemmas the lemmatiser's tables give a lower-case word alone where the model's `lemma` is
    no lemma it knows. A verb for the form of an auxiliary or modal verb (« peux » → pouvoir,
    « vais » → aller) or for a form the model made a non-word of (« agissons » → « agisson » →
    agir), not for a form that is also a noun (« influence », « dirige » keep their reading). A
    noun from the noun exceptions for a word the model left as it is or made a non-word of:
    clippings spaCy lists (« manif » → manifestation, « labo » → laboratoire) and irregular
    plurals (« travaux » → travail, which the model makes « traval »)."""
    if is_known_lemma(lemma) and lemma != surface:
        return []
    out = []
    exceptions = _tables().get_table("lemma_exc")
    non_word = not is_french_word(lemma)
    if not is_known_lemma(lemma) and (non_word or surface in exceptions["aux"]):
        out.append(_verb_lemma(surface))
    if lemma == surface or non_word:
        out.append(_first(exceptions["noun"].get(surface)) if "noun" in exceptions else None)
    return [w for w in out if w and w != lemma]


def conjugated_verb(word: str) -> str | None:
    """The verb `word` (lower case) can be a form of, whatever its context: the verb exceptions'
    (« ai » → avoir, « est » → être, « peux » → pouvoir), else the lookup table's lemma when it is
    a verb (« aime » → aimer), else the word itself when it is an infinitive; None otherwise."""
    tables = _tables()
    exceptions = tables.get_table("lemma_exc")
    for pos in _VERB_TABLES:
        lemma = _first(exceptions[pos].get(word)) if pos in exceptions else None
        if lemma:
            return lemma
    lemma = _first(tables.get_table("lemma_lookup").get(word))
    if lemma in _verb_lemmas():
        return lemma
    return word if word in _verb_lemmas() else None


def like_number(word: str) -> bool:
    """True for a number written in French words or digits (« deux », « mille », « 2025 »)."""
    from spacy.lang.fr.lex_attrs import like_num

    return bool(like_num(word))
