"""Evaluation of the classifier against a hand-labelled set identified by quotes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.analysis.batch import analyse_groups
from kb.categories.classify import Classifier
from kb.errors import KBError
from kb.models import Passage
from kb.categories.taxonomy import CORE_SLUGS, load_taxonomy

_SPACES = re.compile(r"\s+")
OFF_TOPIC_SHOWN = 20  # off-topic passages listed in the text report


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\u2019", "'")).strip()


@dataclass
class Judgement:
    """One labelled passage: gold categories against what the classifier gave."""

    source: str
    quote: str
    passage_id: str
    gold: set[str]
    predicted: set[str]


@dataclass
class OffTopicReport:
    """Documents about something else (software manuals): every category given there is wrong."""

    documents: int = 0
    passages: int = 0
    categorised: list[tuple[Passage, list[str]]] = field(default_factory=list)

    @property
    def per_category(self) -> Counter[str]:
        return Counter(slug for _, categories in self.categorised for slug in categories)


@dataclass
class CategoryReport:
    """Per-category precision/recall/F1, micro-F1 and the passages that disagree."""

    per_category: dict[str, dict[str, float]] = field(default_factory=dict)
    micro: dict[str, float] = field(default_factory=dict)
    per_source: dict[str, dict[str, float]] = field(default_factory=dict)
    judgements: list[Judgement] = field(default_factory=list)
    off_topic: OffTopicReport | None = None

    @property
    def errors(self) -> list[Judgement]:
        return [j for j in self.judgements if j.gold != j.predicted]

    def meets_target(self, micro_f1: float = 0.90, core_f1: float = 0.80) -> bool:
        """The labelled set's floors, and no category at all on the off-topic documents."""
        labelled = self.micro["f1"] >= micro_f1 and all(self.per_category[s]["f1"] >= core_f1 for s in CORE_SLUGS)
        return labelled and (self.off_topic is None or not self.off_topic.categorised)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": tp + fn, "tp": tp, "fp": fp, "fn": fn}


def locate(quote: str, passages: Iterable[Passage]) -> Passage:
    """The passage whose text contains the quote (whitespace and apostrophes normalised)."""
    wanted = _norm(quote)
    found = [p for p in passages if wanted in _norm(p.text)]
    if len(found) != 1:
        raise KBError(f"quote {quote!r} matches {len(found)} passages (expected exactly one)")
    return found[0]


def evaluate_categories(
    labels_path: Path, passages_by_source: dict[str, list[Passage]], classifier: Classifier | None = None, titles: dict[str, str] | None = None
) -> CategoryReport:
    """Classify the located passages and score them against the labels."""
    classifier = classifier or Classifier.load()
    labels = yaml.safe_load(labels_path.read_text(encoding="utf-8"))
    slugs = [c.slug for c in load_taxonomy()]
    report = CategoryReport()
    predictions: dict[str, dict[str, list[str]]] = {}  # source → passage id → categories
    for item in labels:
        source = str(item["source"])
        if source not in passages_by_source:
            raise KBError(f"{labels_path}: unknown source '{source}'")
        passage = locate(str(item["quote"]), passages_by_source[source])
        if source not in predictions:  # a passage is read within its document, as the build reads it
            document = passages_by_source[source]
            results = classifier.classify_document(document, (titles or {}).get(source))
            predictions[source] = {p.id: categories for p, (categories, _) in zip(document, results)}
        predicted = predictions[source][passage.id]
        report.judgements.append(Judgement(source, str(item["quote"]), passage.id, set(item.get("categories") or []), set(predicted)))
    totals = [0, 0, 0]
    for slug in slugs:
        tp = sum(1 for j in report.judgements if slug in j.gold and slug in j.predicted)
        fp = sum(1 for j in report.judgements if slug not in j.gold and slug in j.predicted)
        fn = sum(1 for j in report.judgements if slug in j.gold and slug not in j.predicted)
        report.per_category[slug] = _prf(tp, fp, fn)
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
    report.micro = _prf(*totals)
    for source in sorted({j.source for j in report.judgements}):
        mine = [j for j in report.judgements if j.source == source]
        tp = sum(len(j.gold & j.predicted) for j in mine)
        fp = sum(len(j.predicted - j.gold) for j in mine)
        fn = sum(len(j.gold - j.predicted) for j in mine)
        report.per_source[source] = {**_prf(tp, fp, fn), "passages": len(mine)}
    return report


def evaluate_off_topic(
    documents: Iterable[tuple[list[Passage], str | None]], classifier: Classifier | None = None, n_process: int = 1
) -> OffTopicReport:
    """Classify every passage of documents about something else, each within its document."""
    documents = list(documents)
    classifier = classifier or Classifier.load()
    texts = [[t for p in passages for t in (p.text, *p.section)] + ([title] if title else []) for passages, title in documents]
    for _ in analyse_groups(texts, n_process=n_process):  # spaCy in batches (and workers), remembered here
        pass
    report = OffTopicReport(documents=len(documents))
    for passages, title in documents:
        report.passages += len(passages)
        for passage, (categories, _) in zip(passages, classifier.classify_document(passages, title)):
            if categories:
                report.categorised.append((passage, categories))
    return report


def _format_off_topic(off_topic: OffTopicReport) -> list[str]:
    per = ", ".join(f"{slug} {n}" for slug, n in off_topic.per_category.most_common()) or "none"
    lines = [f"\noff-topic documents: {off_topic.documents}, {off_topic.passages} passages, "
             f"{len(off_topic.categorised)} with a category (must be 0): {per}"]
    for passage, categories in off_topic.categorised[:OFF_TOPIC_SHOWN]:
        lines.append(f"  {passage.id}  {', '.join(categories)}\n    « {passage.text[:90]} »")
    if len(off_topic.categorised) > OFF_TOPIC_SHOWN:
        lines.append(f"  … and {len(off_topic.categorised) - OFF_TOPIC_SHOWN} more (--json lists them all)")
    return lines


def format_report(report: CategoryReport) -> str:
    """The table and the confusions, passage by passage, as plain text."""
    lines = [f"{'category':<22}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}"]
    for slug, m in report.per_category.items():
        lines.append(f"{slug:<22}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}{m['support']:>9}")
    m = report.micro
    lines.append(f"{'micro':<22}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}{m['support']:>9}")
    lines.append("\nmicro-F1 by source document:")
    for source, m in report.per_source.items():
        lines.append(f"  {source:<48}{m['f1']:>7.3f}  ({m['passages']} passages, {m['fp'] + m['fn']} wrong labels)")
    lines.append(f"\n{len(report.judgements)} labelled passages, {len(report.errors)} with a disagreement:")
    for j in report.errors:
        missed = ", ".join(sorted(j.gold - j.predicted)) or "-"
        extra = ", ".join(sorted(j.predicted - j.gold)) or "-"
        lines.append(f"  {j.passage_id}\n    « {j.quote[:70]} »  missed: {missed}  wrong: {extra}")
    if report.off_topic is not None:
        lines.extend(_format_off_topic(report.off_topic))
    return "\n".join(lines)


def report_json(report: CategoryReport) -> dict[str, Any]:
    """The same figures as a JSON-able dict."""
    return {
        "per_category": report.per_category,
        "micro": report.micro,
        "per_source": report.per_source,
        "errors": [
            {"passage": j.passage_id, "quote": j.quote, "gold": sorted(j.gold), "predicted": sorted(j.predicted)}
            for j in report.errors
        ],
        "off_topic": None if report.off_topic is None else {
            "documents": report.off_topic.documents,
            "passages": report.off_topic.passages,
            "categorised": len(report.off_topic.categorised),
            "per_category": dict(report.off_topic.per_category),
            "examples": [{"passage": p.id, "categories": c, "text": p.text} for p, c in report.off_topic.categorised],
        },
    }
