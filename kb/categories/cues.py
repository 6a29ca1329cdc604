"""An explanation in a reader's words: where its cues stand in the text (« reconnaissances
faciales », not the lemmas « reconnaissance facial ») and how strongly the passage is linked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kb.analysis import fold_accents, lemma_analyzer
from kb.categories.context import describe_context
from kb.categories.words import Words, pattern_keys

Span = tuple[int, int]

# How far a score is past its threshold, in words (the score itself stays in the JSON).
STRONG_RATIO = 2.0


def cue_spans(text: str, patterns: Iterable[str]) -> dict[str, list[Span]]:
    """Each pattern's (start, end) character spans in `text`, matched as the classifier matches
    them (lemma or surface form of each word, in sequence); patterns found nowhere map to []."""
    tokens = [(t.text, fold_accents(getattr(t, "surface", t.text).lower()), t.startchar, t.endchar)
              for t in lemma_analyzer()(text, chars=True)]
    words = Words([(lemma, surface) for lemma, surface, _, _ in tokens])
    spans: dict[str, list[Span]] = {}
    for pattern in patterns:
        keys = pattern_keys(pattern)
        spans[pattern] = [(tokens[i][2], tokens[i + len(keys) - 1][3]) for i in words.find(keys)] if keys else []
    return spans


def cue_words(text: str, pattern: str) -> list[str]:
    """The distinct ways `pattern` is written in `text`, in order of appearance (the pattern
    itself when the text does not hold it any more)."""
    found = [text[s:e] for s, e in cue_spans(text, [pattern])[pattern]]
    return list(dict.fromkeys(found)) or [pattern]


def strength(explanation: Mapping[str, Any]) -> str:
    """« fortement lié », « assez lié » or « faiblement lié »: the score against the category's
    threshold, in words (twice the threshold or more; at least the threshold; below it)."""
    threshold = float(explanation["threshold"]) or 1.0
    ratio = float(explanation["score"]) / threshold
    if ratio >= STRONG_RATIO:
        return "fortement lié"
    return "assez lié" if ratio >= 1 else "faiblement lié"


def explanation_lines(explanation: Mapping[str, Any], text: str) -> list[str]:
    """One category's explanation of a passage as `kb explain` prints it, in a reader's words:
    the verdict and how strongly, then each cue as the section heading or `text` writes it."""
    verdict = "ATTRIBUÉE" if explanation["assigned"] else "non attribuée"
    lines = [f"  {explanation['category']}: {strength(explanation)} → {verdict} "
             f"(score {explanation['score']} / seuil {explanation['threshold']})"]
    if section := explanation.get("section"):
        words = " », « ".join(cue_words(section["heading"], section["pattern"]))
        lines.append(f"    section « {section['heading']} » : « {words} » (motif « {section['pattern']} »)")
    for ev in explanation["evidence"]:
        words = " », « ".join(cue_words(text, ev["pattern"]))
        lines.append(f"    indice « {words} » ×{ev['count']} (motif « {ev['pattern']} », poids {ev['weight']})")
    if explanation.get("negated_by"):
        lines.append(f"    annulé par : {', '.join(explanation['negated_by'])}")
    if note := describe_context(explanation):
        lines.append(f"    {note}")
    return lines
