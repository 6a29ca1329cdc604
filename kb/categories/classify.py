"""Explainable rule-based categorisation: section headings plus lemmatised evidence, given only
where the passage is about the category's own subject (an AI context, or independent cues)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kb.analysis import lemma_analyzer
from kb.categories.context import AIContext, Context
from kb.categories.taxonomy import Category, load_ai_context, load_taxonomy, taxonomy_fingerprint
from kb.categories.words import Pattern, Words, by_first_word, candidates, pattern_keys, text_keys
from kb.models import EvidenceHit, Explanation, Passage, SectionHit

__all__ = ["Classifier", "taxonomy_fingerprint"]

HEADING_WEIGHT = 1.0
NEGATION_WINDOW = 12
REPEAT_BONUS = 0.5
DOCUMENT_TITLE_WEIGHT = 0.5
SUPPORTING_WEIGHT = 0.5
# Outside an AI context: cues sharing no word a passage needs, one of them of several words.
INDEPENDENT_CUES = 2


@dataclass(frozen=True)
class _Compiled:
    category: Category
    evidence: dict[str, list[tuple[str, Pattern, float]]]
    negative: dict[str, list[tuple[str, Pattern]]]
    headings: dict[str, list[tuple[str, Pattern]]]


def _independent(patterns: list[Pattern]) -> list[Pattern]:
    """The matched cues that share no word, longest first: « outil de surveillance » and
    « surveillance » are one cue, « donnée personnelle » and « donnée » too."""
    kept: list[Pattern] = []
    for keys in sorted(patterns, key=len, reverse=True):
        if not any(set(keys) & set(other) for other in kept):
            kept.append(keys)
    return kept


def _about_subject(independent: list[Pattern], context: Context | None) -> bool:
    """Whether the cues are about the category's subject and not one ambiguous word."""
    return context is not None or (len(independent) >= INDEPENDENT_CUES and any(len(k) > 1 for k in independent))


class Classifier:
    """Assigns zero, one or several categories to a passage and says why."""

    def __init__(self, categories: tuple[Category, ...], ai_context: Sequence[str] = ()) -> None:
        self._compiled = tuple(
            _Compiled(
                c,
                by_first_word([(e.pattern, pattern_keys(e.pattern), e.weight) for e in c.evidence]),
                by_first_word([(n, pattern_keys(n)) for n in c.negative]),
                by_first_word([(h, pattern_keys(h)) for h in c.headings]),
            )
            for c in categories
        )
        self._context = AIContext(ai_context)
        self._analyzer = lemma_analyzer()

    @classmethod
    def load(cls) -> "Classifier":
        """The classifier of kb/categories/taxonomy.yaml."""
        return cls(load_taxonomy(), load_ai_context())

    def _words(self, text: str) -> Words:
        return Words(text_keys(self._analyzer, text))

    def classify_document(
        self, passages: Sequence[Passage], document_title: str | None = None
    ) -> list[tuple[list[str], list[Explanation]]]:
        """Each passage's (assigned slugs, explanation of every category with any evidence), the
        passage read within its document: its section headings count fully, the document's title
        half, and the AI context comes from the passage, its section or its document."""
        texts = [self._words(p.text) for p in passages]
        headings = {h: self._words(h) for p in passages for h in p.section}
        title = self._words(document_title) if document_title else None
        reach = self._context.reach(passages, texts, headings, title)
        out = []
        for passage, words, context in zip(passages, texts, reach):
            contexts = [(h, headings[h], HEADING_WEIGHT) for h in passage.section]
            if document_title and title is not None:
                contexts.insert(0, (document_title, title, DOCUMENT_TITLE_WEIGHT))
            explanation = [e for e in (self._score(c, words, contexts, context) for c in self._compiled) if e]
            out.append(([e["category"] for e in explanation if e["assigned"]], explanation))
        return out

    def classify(self, passage: Passage, document_title: str | None = None) -> tuple[list[str], list[Explanation]]:
        """One passage read alone, as if it were the whole document."""
        return self.classify_document([passage], document_title)[0]

    def _score(
        self, comp: _Compiled, text: Words, contexts: list[tuple[str, Words, float]], context: Context | None
    ) -> Explanation | None:
        negated, masked = self._negations(comp, text)
        matches: list[EvidenceHit] = []
        matched: list[Pattern] = []
        score = 0.0
        for name, keys, weight in candidates(comp.evidence, text):
            hits = [i for i in text.find(keys) if i not in masked]
            if hits:
                score += weight * (1 + REPEAT_BONUS * min(len(hits) - 1, 2))
                matches.append({"pattern": name, "count": len(hits), "weight": weight})
                matched.append(keys)
        heading_hit = self._heading(comp, contexts, supported=any(m["weight"] >= SUPPORTING_WEIGHT for m in matches))
        if heading_hit and not negated:
            score += heading_hit["weight"]
        if not matches and not heading_hit:
            return None
        independent = _independent(matched)
        return {
            "category": comp.category.slug,
            "score": round(score, 3),
            "threshold": comp.category.threshold,
            "assigned": score >= comp.category.threshold and _about_subject(independent, context),
            "section": heading_hit,
            "evidence": matches,
            "negated_by": sorted(set(negated)),
            "ai_context": context,
            "independent_cues": len(independent),
        }

    @staticmethod
    def _negations(comp: _Compiled, text: Words) -> tuple[list[str], set[int]]:
        """The negative expressions found, and the word positions whose cues they cancel."""
        negated: list[str] = []
        masked: set[int] = set()
        for name, keys in candidates(comp.negative, text):
            for start in text.find(keys):
                negated.append(name)
                masked.update(range(max(0, start - NEGATION_WINDOW), start + len(keys) + NEGATION_WINDOW))
        return negated, masked

    @staticmethod
    def _heading(comp: _Compiled, contexts: list[tuple[str, Words, float]], supported: bool) -> SectionHit | None:
        """The heading (or document title) pointing to the category, the heaviest one."""
        heading_hit: SectionHit | None = None
        for title, keys, weight in contexts:
            if weight < HEADING_WEIGHT and not supported:
                continue  # the document's title only confirms what the passage itself suggests
            for name, pattern in candidates(comp.headings, keys):
                if keys.find(pattern) and (heading_hit is None or weight >= heading_hit["weight"]):
                    heading_hit = {"heading": title, "pattern": name, "weight": weight}
        return heading_hit
