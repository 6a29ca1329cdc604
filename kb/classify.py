"""Explainable rule-based categorisation: section headings plus lemmatised evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from whoosh.lang import stemmer_for_language

from kb.analysis import analyze, fold_accents, lemma_analyzer
from kb.analysis.stopwords import FRENCH_STOP_WORDS
from kb.models import Passage
from kb.taxonomy import Category, load_taxonomy, taxonomy_fingerprint

__all__ = ["Classifier", "taxonomy_fingerprint"]

HEADING_WEIGHT = 1.0
NEGATION_WINDOW = 12
REPEAT_BONUS = 0.5
_stem = stemmer_for_language("french")


def _keys(words: list[str]) -> list[str]:
    """Comparison keys: folded, lowercased, stemmed (both sides, so lemma quirks don't matter)."""
    return [_stem(fold_accents(w.lower())) for w in words]


def _pattern_keys(pattern: str) -> tuple[str, ...]:
    words = [w for w in pattern.replace("'", " ").split() if fold_accents(w.lower()) not in {fold_accents(s) for s in FRENCH_STOP_WORDS}]
    return tuple(_keys(words))


def _find(keys: list[str], pattern: tuple[str, ...]) -> list[int]:
    n = len(pattern)
    if not n:
        return []
    return [i for i in range(len(keys) - n + 1) if tuple(keys[i : i + n]) == pattern]


@dataclass(frozen=True)
class _Compiled:
    category: Category
    evidence: tuple[tuple[str, tuple[str, ...], float], ...]
    negative: tuple[tuple[str, tuple[str, ...]], ...]
    headings: tuple[tuple[str, tuple[str, ...]], ...]


class Classifier:
    """Assigns zero, one or several categories to a passage and says why."""

    def __init__(self, categories: tuple[Category, ...]) -> None:
        self._compiled = tuple(
            _Compiled(
                c,
                tuple((e.pattern, _pattern_keys(e.pattern), e.weight) for e in c.evidence),
                tuple((n, _pattern_keys(n)) for n in c.negative),
                tuple((h, _pattern_keys(h)) for h in c.headings),
            )
            for c in categories
        )
        self._analyzer = lemma_analyzer()

    @classmethod
    def load(cls) -> "Classifier":
        """The classifier of kb/taxonomy.yaml."""
        return cls(load_taxonomy())

    def classify(self, passage: Passage) -> tuple[list[str], list[dict[str, Any]]]:
        """(assigned slugs, explanation of every category with any evidence)."""
        text_keys = _keys(analyze(self._analyzer, passage.text))
        heading_keys = [_keys(analyze(self._analyzer, h)) for h in passage.section]
        assigned: list[str] = []
        explanation: list[dict[str, Any]] = []
        for comp in self._compiled:
            entry = self._score(comp, text_keys, heading_keys, passage.section)
            if entry is None:
                continue
            explanation.append(entry)
            if entry["assigned"]:
                assigned.append(comp.category.slug)
        return assigned, explanation

    def _score(self, comp: _Compiled, text: list[str], headings: list[list[str]], section: tuple[str, ...]) -> dict[str, Any] | None:
        negated: list[str] = []
        masked: set[int] = set()
        for name, keys in comp.negative:
            for start in _find(text, keys):
                negated.append(name)
                masked.update(range(max(0, start - NEGATION_WINDOW), start + len(keys) + NEGATION_WINDOW))
        matches: list[dict[str, Any]] = []
        score = 0.0
        for name, keys, weight in comp.evidence:
            hits = [i for i in _find(text, keys) if i not in masked]
            if hits:
                gained = weight * (1 + REPEAT_BONUS * min(len(hits) - 1, 2))
                score += gained
                matches.append({"pattern": name, "count": len(hits), "weight": weight})
        heading_hit = None
        for title, keys in zip(section, headings):
            for name, pattern in comp.headings:
                if _find(keys, pattern):
                    heading_hit = {"heading": title, "pattern": name}
        if heading_hit and not negated:
            score += HEADING_WEIGHT
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
