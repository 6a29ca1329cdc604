"""The spaCy French pipeline's words and lemmas (the model is loaded by kb/analysis/spacy_model.py), and a cache of its lemma output."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, NamedTuple

from kb.analysis.elision import Repaired, restore_elisions
from kb.analysis.spacy_model import get_nlp


class Word(NamedTuple):
    """One spaCy token reduced to what the analysis chain needs."""

    surface: str
    lemma: str
    start: int
    end: int


_imperative_lemmas: dict[str, str] = {}


def _imperative_lemma(word: str) -> str:
    """Verb lemma of a lowercase -ez form by the lemmatiser's verb rules ("tentez" → "tenter")."""
    lemma = _imperative_lemmas.get(word)
    if lemma is None:
        from spacy.tokens import Doc

        nlp = get_nlp()
        doc = Doc(nlp.vocab, words=[word])
        doc[0].pos_ = "VERB"
        candidates = nlp.get_pipe("lemmatizer").rule_lemmatize(doc[0])
        lemma = candidates[0] if candidates and candidates[0].endswith(("er", "ir", "re")) else word
        _imperative_lemmas[word] = lemma
    return lemma


def _words(doc: Any, repaired: Repaired) -> tuple[Word, ...]:
    """The doc's words, at their offsets in the text as written (before elisions were restored)."""
    at = repaired.original_offset if repaired.inserted else (lambda offset: offset)
    words = []
    for t in doc:
        if t.is_space or t.is_punct:
            continue
        lemma = t.lemma_ or t.text
        # A sentence-initial imperative ("Manifestez", "Rejoignez") is often tagged as a noun
        # and keeps its form: the lemmatiser's verb rules give it its lemma.
        if (
            t.text[:1].isupper()
            and t.pos_ != "VERB"
            and lemma.lower() == t.text.lower()
            and len(t.text) >= 5
            and t.text.lower().endswith("ez")
        ):
            lemma = _imperative_lemma(t.text.lower())
        words.append(Word(t.text, lemma, at(t.idx), at(t.idx + len(t.text))))
    return tuple(words)


class LemmaCache:
    """Text → lemmatised words; primed in batches with nlp.pipe when indexing."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._entries: OrderedDict[str, tuple[Word, ...]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def prime(self, texts: Iterable[str], batch_size: int = 256) -> None:
        """Lemmatise many texts at once (several times faster than one by one); a build does it
        in worker processes (kb.analysis.batch)."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._entries))
        if not todo:
            return
        self._max = max(self._max, len(self._entries) + len(todo) + 1000)
        nlp = get_nlp()
        repaired = [restore_elisions(text) for text in todo]
        for text, fixed, doc in zip(todo, repaired, nlp.pipe([r.text for r in repaired], batch_size=batch_size)):
            self._store(text, _words(doc, fixed))

    def reserve(self, entries: int) -> None:
        """Room for `entries` more texts (a build's), so priming evicts none of them."""
        with self._lock:
            self._max = max(self._max, len(self._entries) + entries + 1000)

    def store(self, text: str, words: tuple[Word, ...]) -> None:
        """Keep the words of `text` (lemmatised elsewhere, e.g. in a build worker)."""
        self._store(text, words)

    def words(self, text: str) -> tuple[Word, ...]:
        """Lemmatised words of `text` (elisions typed without apostrophe read as elisions), from
        the cache or computed now."""
        with self._lock:
            hit = self._entries.get(text)
            if hit is not None:
                self._entries.move_to_end(text)
                return hit
        repaired = restore_elisions(text)
        words = _words(get_nlp()(repaired.text), repaired)
        self._store(text, words)
        return words

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _store(self, text: str, words: tuple[Word, ...]) -> None:
        with self._lock:
            self._entries[text] = words
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


LEMMAS = LemmaCache()
