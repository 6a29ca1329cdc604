"""Explainable rule-based categorisation: section headings plus lemmatised evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.analysis import fold_accents, lemma_analyzer
from kb.analysis.stopwords import FRENCH_STOP_WORDS
from kb.models import EvidenceHit, Explanation, Passage, SectionHit
from kb.categories.taxonomy import Category, load_taxonomy, taxonomy_fingerprint

__all__ = ["Classifier", "taxonomy_fingerprint"]

HEADING_WEIGHT = 1.0
NEGATION_WINDOW = 12
REPEAT_BONUS = 0.5
DOCUMENT_TITLE_WEIGHT = 0.5
SUPPORTING_WEIGHT = 0.5


_STOP_KEYS = frozenset(fold_accents(w) for w in FRENCH_STOP_WORDS)

Key = tuple[str, str]  # (folded lemma, folded surface form) of one word


def _keys(analyzer: Any, text: str) -> list[Key]:
    """Each word as its folded lemma and its folded surface form: a pattern word may match
    either, so a lemmatiser slip ("affaiblissement" → "affaiblissemer") does not hide it.
    Stems are not used: they would merge gouvernement and gouvernance."""
    return [(t.text, fold_accents(getattr(t, "surface", t.text).lower())) for t in analyzer(text)]


def _pattern_keys(pattern: str) -> tuple[str, ...]:
    return tuple(w for w in (fold_accents(x.lower()) for x in pattern.replace("'", " ").split()) if w not in _STOP_KEYS)


class _Words:
    """Analysed words with an index from each key to its positions, for fast pattern search."""

    def __init__(self, keys: list[Key]) -> None:
        self.keys = keys
        self.where: dict[str, list[int]] = {}
        for i, (lemma, surface) in enumerate(keys):
            self.where.setdefault(lemma, []).append(i)
            if surface != lemma:
                self.where.setdefault(surface, []).append(i)

    def find(self, pattern: tuple[str, ...]) -> list[int]:
        """Start positions where the pattern's words follow each other."""
        if not pattern:
            return []
        keys, n = self.keys, len(pattern)
        return [
            i for i in self.where.get(pattern[0], ())
            if i + n <= len(keys) and all(pattern[k] in keys[i + k] for k in range(1, n))
        ]


def _by_first_word(patterns: list[tuple]) -> dict[str, list[tuple]]:
    """Patterns grouped by their first word: a text only tries the patterns it could match."""
    index: dict[str, list[tuple]] = {}
    for item in patterns:
        if item[1]:
            index.setdefault(item[1][0], []).append(item)
    return index


@dataclass(frozen=True)
class _Compiled:
    category: Category
    evidence: dict[str, list[tuple[str, tuple[str, ...], float]]]
    negative: dict[str, list[tuple[str, tuple[str, ...]]]]
    headings: dict[str, list[tuple[str, tuple[str, ...]]]]


def _candidates(index: dict[str, list[tuple]], words: _Words) -> list[tuple]:
    if len(index) < len(words.where):
        return [item for first, items in index.items() if first in words.where for item in items]
    return [item for first in words.where if first in index for item in index[first]]


class Classifier:
    """Assigns zero, one or several categories to a passage and says why."""

    def __init__(self, categories: tuple[Category, ...]) -> None:
        self._compiled = tuple(
            _Compiled(
                c,
                _by_first_word([(e.pattern, _pattern_keys(e.pattern), e.weight) for e in c.evidence]),
                _by_first_word([(n, _pattern_keys(n)) for n in c.negative]),
                _by_first_word([(h, _pattern_keys(h)) for h in c.headings]),
            )
            for c in categories
        )
        self._analyzer = lemma_analyzer()

    @classmethod
    def load(cls) -> "Classifier":
        """The classifier of kb/categories/taxonomy.yaml."""
        return cls(load_taxonomy())

    def classify(self, passage: Passage, document_title: str | None = None) -> tuple[list[str], list[Explanation]]:
        """(assigned slugs, explanation of every category with any evidence).

        Where the passage sits counts: its section headings fully, its document's title half."""
        text_keys = _Words(_keys(self._analyzer, passage.text))
        contexts = [(h, _Words(_keys(self._analyzer, h)), HEADING_WEIGHT) for h in passage.section]
        if document_title:
            contexts.insert(0, (document_title, _Words(_keys(self._analyzer, document_title)), DOCUMENT_TITLE_WEIGHT))
        assigned: list[str] = []
        explanation: list[Explanation] = []
        for comp in self._compiled:
            entry = self._score(comp, text_keys, contexts)
            if entry is None:
                continue
            explanation.append(entry)
            if entry["assigned"]:
                assigned.append(comp.category.slug)
        return assigned, explanation

    def _score(self, comp: _Compiled, text: _Words, contexts: list[tuple[str, _Words, float]]) -> Explanation | None:
        negated: list[str] = []
        masked: set[int] = set()
        for name, keys in _candidates(comp.negative, text):
            for start in text.find(keys):
                negated.append(name)
                masked.update(range(max(0, start - NEGATION_WINDOW), start + len(keys) + NEGATION_WINDOW))
        matches: list[EvidenceHit] = []
        score = 0.0
        for name, keys, weight in _candidates(comp.evidence, text):
            hits = [i for i in text.find(keys) if i not in masked]
            if hits:
                gained = weight * (1 + REPEAT_BONUS * min(len(hits) - 1, 2))
                score += gained
                matches.append({"pattern": name, "count": len(hits), "weight": weight})
        heading_hit: SectionHit | None = None
        supported = any(m["weight"] >= SUPPORTING_WEIGHT for m in matches)
        for title, keys, weight in contexts:
            if weight < HEADING_WEIGHT and not supported:
                continue  # the document's title only confirms what the passage itself suggests
            for name, pattern in _candidates(comp.headings, keys):
                if keys.find(pattern) and (heading_hit is None or weight >= heading_hit["weight"]):
                    heading_hit = {"heading": title, "pattern": name, "weight": weight}
        if heading_hit and not negated:
            score += heading_hit["weight"]
        if not matches and not heading_hit:
            return None
        return {
            "category": comp.category.slug,
            "score": round(score, 3),
            "threshold": comp.category.threshold,
            "assigned": score >= comp.category.threshold,
            "section": heading_hit,
            "evidence": matches,
            "negated_by": sorted(set(negated)),
        }
