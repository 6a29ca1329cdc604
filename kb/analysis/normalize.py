"""Character-level normalisation applied before any tokenisation, at index and query time."""

from __future__ import annotations

import unicodedata

# Typographic apostrophes and primes become ASCII ' (one character each, so offsets hold);
# spaCy does not lemmatise l’ or d’ otherwise.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\u00b4": "'"})
# Non-breaking and thin spaces become plain spaces; soft hyphens and zero-width chars vanish
# only where length can change (see `normalize_text`).
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})


def normalize_text(text: str) -> str:
    """NFC-compose, unify apostrophes and spaces; keeps length when the input is NFC."""
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES).translate(_SPACES)


def fold_accents(text: str) -> str:
    """Strip diacritics so that unaccented input meets accented text (é→e, œ→oe)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
