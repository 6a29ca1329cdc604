"""Passages that are not content (issue 28, item 4), measured: how many passages of each kind
indexer/noncontent.py finds in corpus/ and ../shared/corpus-extra, every passage it marks with its
first 100 characters, and its precision and recall against the labels judged by eye
(tests/data/noncontent_labels.yaml), with the passages it misses and the borderline ones.

    python -m bench.evaluation.noncontent [--corpus DIR ...] [--labels FILE] [--json]

Passages are cut as the index cuts them (indexer.corpus_passages), without building an index."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from indexer.corpus_passages import read_passages
from kb.models import PASSAGE_KINDS, Passage

ROOT = Path(__file__).resolve().parents[2]
CORPORA = (ROOT / "corpus", ROOT.parent / "shared" / "corpus-extra")
LABELS = ROOT / "tests" / "data" / "noncontent_labels.yaml"
EXCERPT = 100
CONTENT = "content"


@dataclass
class Labels:
    """The labels judged by eye: non-content passages with their kind, and borderline content."""

    noncontent: dict[str, str] = field(default_factory=dict)
    borderline: dict[str, str] = field(default_factory=dict)


def load_labels(path: Path) -> Labels:
    """The labels file (see tests/data/noncontent_labels.yaml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Labels(dict(data.get("noncontent") or {}), dict(data.get("borderline") or {}))


def excerpt(passage: Passage) -> str:
    """The first EXCERPT characters of a passage, on one line."""
    text = " ".join(passage.text.split())
    return text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")


def measure_corpus(root: Path, labels: Labels) -> dict[str, Any]:
    """Counts by kind, the passages marked, and the agreement with `labels` for one corpus folder."""
    passages = [p for ps in read_passages([root], strict=False).passages.values() for p in ps]
    counts = Counter(p.kind or CONTENT for p in passages)
    marked = [p for p in passages if p.kind is not None]
    truth = {p.id: labels.noncontent.get(p.id) for p in passages}
    found = {p.id for p in marked}
    relevant = {pid for pid, kind in truth.items() if kind is not None}
    hits = found & relevant
    return {
        "corpus": str(root),
        "passages": len(passages),
        "kinds": {kind: counts.get(kind, 0) for kind in (CONTENT, *PASSAGE_KINDS)},
        "marked": [{"id": p.id, "kind": p.kind, "label": truth[p.id] or CONTENT, "text": excerpt(p)} for p in marked],
        "missed": [{"id": p.id, "label": truth[p.id], "text": excerpt(p)} for p in passages if p.id in relevant - found],
        "borderline": [{"id": p.id, "kind": p.kind or CONTENT, "why": labels.borderline[p.id], "text": excerpt(p)}
                       for p in passages if p.id in labels.borderline],
        "true_positives": len(hits),
        "false_positives": len(found - relevant),
        "false_negatives": len(relevant - found),
        "kind_agreement": sum(truth[pid] == next(p.kind for p in marked if p.id == pid) for pid in hits),
    }


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall over every corpus measured."""
    tp = sum(r["true_positives"] for r in results)
    fp = sum(r["false_positives"] for r in results)
    fn = sum(r["false_negatives"] for r in results)
    return {"passages": sum(r["passages"] for r in results), "marked": tp + fp, "labelled": tp + fn,
            "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
            "kind_agreement": _ratio(sum(r["kind_agreement"] for r in results), tp)}


def print_report(results: list[dict[str, Any]], total: dict[str, Any]) -> None:
    """The figures as text: per corpus, its kinds, marked, missed and borderline passages."""
    for r in results:
        kinds = ", ".join(f"{kind} {n}" for kind, n in r["kinds"].items())
        print(f"\n## {r['corpus']}: {r['passages']} passages ({kinds})")
        print(f"marked non-content: {len(r['marked'])} (true {r['true_positives']}, false {r['false_positives']}); "
              f"missed: {r['false_negatives']}")
        for m in r["marked"]:
            verdict = "ok" if m["label"] == m["kind"] else f"judged {m['label']}"
            print(f"  [{m['kind']}] {m['id']} ({verdict})\n      « {m['text']} »")
        for m in r["missed"]:
            print(f"  MISSED [{m['label']}] {m['id']}\n      « {m['text']} »")
        for b in r["borderline"]:
            print(f"  borderline, found {b['kind']}: {b['id']} ({b['why']})")
    print(f"\nAll: {total['passages']} passages, {total['marked']} marked, {total['labelled']} judged non-content; "
          f"precision {total['precision']}, recall {total['recall']}, kind agreement {total['kind_agreement']}")


def main(argv: list[str] | None = None) -> int:
    """Measure the recogniser on each corpus folder that exists; report as text or JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", help="a corpus folder (default: corpus/ and ../shared/corpus-extra)")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    roots = args.corpus or [root for root in CORPORA if root.is_dir()]
    labels = load_labels(args.labels)
    results = [measure_corpus(root, labels) for root in roots]
    total = summary(results)
    if args.json:
        json.dump({"corpora": results, "all": total}, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print_report(results, total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
