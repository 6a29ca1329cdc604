"""Where a document speaks of AI: a passage's risk cues mean the risk only within that reach
(« la table cible » of a spreadsheet manual is not about weapons)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from kb.categories.words import Words, by_first_word, candidates, pattern_keys
from kb.models import Passage

# A document naming AI in at least this share of its sections is about AI throughout.
DOCUMENT_SHARE = 1 / 3

Context = Literal["passage", "section", "document"]


class AIContext:
    """The taxonomy's `ai_context` patterns, and which passages of a document they reach."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._index = by_first_word([(p, pattern_keys(p)) for p in patterns])

    def names_ai(self, words: Words) -> bool:
        """Whether the text names AI or one of its techniques (not inside a name like IA-32)."""
        return any(
            not words.in_named_compound(i)
            for _, keys in candidates(self._index, words)
            for i in words.find(keys)
        )

    def reach(
        self, passages: Sequence[Passage], texts: Sequence[Words], headings: dict[str, Words], title: Words | None,
    ) -> list[Context | None]:
        """For each passage, the nearest level that names AI: the passage itself, its section (a
        heading on its path or another passage under the same heading), its document (the title,
        or DOCUMENT_SHARE of its sections: a guide about AI need not name it in every section), or
        None. A manual's one chapter on AI does not make its spreadsheet « cible » a weapon."""
        named = [self.names_ai(words) for words in texts]
        heading_names = {h: self.names_ai(words) for h, words in headings.items()}
        sections = {p.section for p in passages}
        naming = {p.section for p, n in zip(passages, named) if n}
        naming |= {s for s in sections if any(heading_names[h] for h in s)}
        document = (title is not None and self.names_ai(title)) or len(naming) >= DOCUMENT_SHARE * len(sections) > 0
        return [
            "passage" if n else "section" if p.section in naming else "document" if document else None
            for p, n in zip(passages, named)
        ]


_WHERE = {"passage": "le passage parle d’IA", "section": "sa section parle d’IA", "document": "son document parle d’IA"}


def describe_context(explanation: Mapping[str, Any]) -> str | None:
    """In French, for readers of an explanation whose score reaches its threshold: where AI is
    named, or what the cues have or lack outside an AI context. None where the score decided
    alone, and for explanations stored before the AI context existed."""
    if "ai_context" not in explanation or explanation["score"] < explanation["threshold"]:
        return None
    where = explanation["ai_context"]
    if where:
        return f"Contexte IA\u00a0: {_WHERE.get(where, where)}."
    n = explanation.get("independent_cues", 0)
    if explanation["assigned"]:
        return f"Hors contexte IA, mais {n} indices sans mot commun, dont une expression de plusieurs mots."
    return (f"Hors contexte IA\u00a0: {n} indice{'s' if n > 1 else ''} indépendant{'s' if n > 1 else ''}\u00a0; "
            "il en faut deux, sans mot commun, dont une expression de plusieurs mots.")
