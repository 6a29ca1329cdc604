"""Small text helpers shared by loaders, passages and snippets: slugs, sentences, words."""

from __future__ import annotations

import re

from kb.analysis.normalize import fold_accents

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<!\b[A-Z]\.)(?<=[.!?…])[»\"')\]]*\s+(?=[«\"(\[]?[A-ZÀ-ÝÉÈ0-9])")
_WORD = re.compile(r"\w+", re.UNICODE)


def slugify(text: str, max_length: int = 60) -> str:
    """URL-safe ASCII slug: 'Surveillance généralisée' → 'surveillance-generalisee'."""
    slug = _NON_SLUG.sub("-", fold_accents(text).lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def split_sentences(text: str) -> list[str]:
    """Split at sentence boundaries (final punctuation followed by a capital)."""
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def count_words(text: str) -> int:
    """Number of words, as reported in build summaries."""
    return len(_WORD.findall(text))
