"""The French analysis chain, shared by indexing and querying (Tokenizer | Filter | ...)."""

from __future__ import annotations

from whoosh.analysis import Analyzer, LowercaseFilter, StemFilter

from kb.analysis.filters import (
    AccentFoldFilter,
    AcronymFilter,
    CompactPositionsFilter,
    CompoundFilter,
    ElisionFilter,
    FrenchStopFilter,
)
from kb.analysis.lexicon import is_known_lemma, noun_lemma, verb_lemma
from kb.analysis.memo import MemoAnalyzer, clear_memo
from kb.analysis.nlp import LEMMAS, get_nlp
from kb.analysis.normalize import fold_accents, normalize_text
from kb.analysis.tokenizers import WORD_PATTERN, LemmaTokenizer, NormalizingRegexTokenizer

__all__ = [
    "LEMMAS",
    "analyze",
    "lemma_alternatives",
    "clear_memo",
    "fold_accents",
    "get_nlp",
    "lemma_analyzer",
    "normalize_text",
    "stem_analyzer",
    "word_analyzer",
]


def lemma_analyzer() -> Analyzer:
    """spaCy lemmas: 'manifestez' and 'manifester' meet; the main text field."""
    return MemoAnalyzer(
        "lemma",
        LemmaTokenizer()
        | ElisionFilter()
        | AcronymFilter()
        | CompoundFilter()
        | LowercaseFilter()
        | FrenchStopFilter()
        | AccentFoldFilter()
        | CompactPositionsFilter(),
    )


def stem_analyzer() -> Analyzer:
    """Snowball stems: catches what lemmas miss (surveillance / surveiller)."""
    return MemoAnalyzer(
        "stem",
        NormalizingRegexTokenizer(WORD_PATTERN)
        | ElisionFilter()
        | AcronymFilter()
        | CompoundFilter()
        | LowercaseFilter()
        | FrenchStopFilter()
        | StemFilter(lang="french", cachesize=50_000)
        | AccentFoldFilter()
        | CompactPositionsFilter(),
    )


def word_analyzer() -> Analyzer:
    """Unstemmed lowercase words: the vocabulary for 'did you mean' suggestions."""
    return NormalizingRegexTokenizer(WORD_PATTERN) | ElisionFilter() | CompoundFilter() | LowercaseFilter()


def analyze(analyzer: Analyzer, text: str) -> list[str]:
    """Token texts of `text` through `analyzer` (tests and query building use it)."""
    return [t.text for t in analyzer(text)]


def lemma_alternatives(text: str) -> list[str]:
    """Lemmas of `text` plus the folded forms as written: a word alone in a query can get
    another lemma than in a sentence ("pause" alone is tagged as a verb), so both are tried.
    A word the model leaves without a known lemma out of context also tries what the lemmatiser's
    tables give it: a conjugated form its verb (« peux » alone is an adjective « peux » → pouvoir,
    « agissons » a noun « agisson » → agir), an irregular plural or a clipping its noun
    (« travaux » → travail, « manif » → manifestation)."""
    out: list[str] = []
    for t in lemma_analyzer()(text):
        written = getattr(t, "surface", t.text)
        surface = written.lower()
        # An acronym is no verb form: « AGI » is not « agi » (agir), « AI » not « ai » (avoir).
        acronym = len(written) > 1 and written.isupper()
        # The noun exceptions always (a clipping, « manif », is also a lemma of the index); the
        # verb only when the model's lemma is none.
        tables = () if acronym else (None if is_known_lemma(t.text) else verb_lemma(surface), noun_lemma(surface))
        for term in (t.text, fold_accents(surface), *(fold_accents(lemma) for lemma in tables if lemma)):
            if term not in out:
                out.append(term)
    return out
