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
from kb.analysis.lexicon import table_lemmas
from kb.analysis.memo import MemoAnalyzer, clear_memo
from kb.analysis.nlp import LEMMAS, get_nlp
from kb.analysis.normalize import fold_accents, normalize_text
from kb.analysis.stopwords import FRENCH_STOP_WORDS
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
    tables give it (lexicon.table_lemmas: « peux » → pouvoir, « agissons » → agir, « manif » →
    manifestation); a capitalised word does not (« Marie » is no form of marier, « AGI » none of agir)."""
    out: list[str] = []
    for t in lemma_analyzer()(text):
        for term in (t.text, fold_accents(getattr(t, "surface", t.text).lower())):
            if term not in out:
                out.append(term)
    for word in LEMMAS.words(normalize_text(text)):
        lemma, surface = word.lemma.lower(), word.surface.lower()
        if word.surface[:1].isupper() or lemma in FRENCH_STOP_WORDS or surface in FRENCH_STOP_WORDS:
            continue
        for term in table_lemmas(surface, lemma):
            if fold_accents(term) not in out:
                out.append(fold_accents(term))
    return out
