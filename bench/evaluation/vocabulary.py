"""How many words of a query set reach the index (issue 28, item 3): each word a query's parser
yields is analysed as a query word is (its lemma alternatives, its stems) and looked up in the
index's lemma fields, then its stem fields. A word with neither lemma nor stem is a function word
(stop word, or an elided form such as « jai »); the others reach a lemma, only a stem, or nothing.

    python -m bench.evaluation.vocabulary --people tests/data/people_queries.yaml \\
        --judged tests/data/judged_queries.yaml [--index PATH] [--json]

Without --index, corpus/ is indexed into a temporary folder (words only, no vectors)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.evaluation.judged import load_raw
from bench.evaluation.people import OFF_TOPIC
from kb.analysis import analyze, lemma_alternatives, lemma_analyzer, stem_analyzer
from kb.search.parse import parse_query
from kb.search.suggest import unknown_words
from kb.storage.fields import LEMMA_FIELDS, STEM_FIELDS
from kb.storage.store import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
STATUSES = ("lemma", "stem only", "none", "function")


def word_status(reader: Any, word: str) -> str:
    """Where a query word lands: a lemma the index holds, only a stem, nothing, or no content."""
    # As compile_query() searches a word: its lemma alternatives when its lemma is no stop word.
    lemmas = lemma_alternatives(word) if analyze(lemma_analyzer(), word) else []
    stems = analyze(stem_analyzer(), word)
    if not lemmas and not stems:
        return "function"
    if any(reader.doc_frequency(f, t) for f in LEMMA_FIELDS for t in lemmas):
        return "lemma"
    if any(reader.doc_frequency(f, t) for f in STEM_FIELDS for t in stems):
        return "stem only"
    return "none"


def measure(reader: Any, queries: list[str]) -> dict[str, Any]:
    """Counts of query words (occurrences) by status, the distinct words reaching nothing, and the
    words the engine itself reports as absent (what a user is told)."""
    counts: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    reported: Counter[str] = Counter()
    for query in queries:
        parsed = parse_query(query)
        for unit in parsed.units():
            if unit.prefix:
                continue
            status = word_status(reader, unit.text)
            counts[status] += 1
            if status == "none":
                missing[unit.text.lower()] += 1
        reported.update(unknown_words(reader, parsed))
    content = sum(counts[s] for s in STATUSES if s != "function")
    return {
        "queries": len(queries),
        "words": dict(counts),
        "content_words": content,
        "reach_lemma": counts["lemma"],
        "reach_lemma_or_stem": counts["lemma"] + counts["stem only"],
        "share_lemma_or_stem": round((counts["lemma"] + counts["stem only"]) / content, 3) if content else 0.0,
        "unreached": sorted(missing),
        "reported_absent": sorted(reported),
    }


def _queries(path: Path) -> list[str]:
    return [str(entry["query"]) for entry in load_raw(path, unanswerable=OFF_TOPIC)]


def report(index: Path, sets: dict[str, Path]) -> dict[str, Any]:
    """measure() for each named query set over the index at `index`."""
    kb = KnowledgeBase(index)
    with kb.session() as held:
        return {name: measure(held.view, _queries(path)) for name, path in sets.items()}


def _text(results: dict[str, Any]) -> str:
    lines = []
    for name, r in results.items():
        w = r["words"]
        lines.append(f"{name}: {r['queries']} queries, {r['content_words']} content words "
                     f"(+{w.get('function', 0)} function words)")
        lines.append(f"  reach a lemma {r['reach_lemma']}, a stem only {w.get('stem only', 0)}, nothing {w.get('none', 0)}"
                     f"  -> {r['share_lemma_or_stem']:.1%} reach the index")
        lines.append(f"  reaching nothing ({len(r['unreached'])}): {', '.join(r['unreached'])}")
        lines.append(f"  reported absent by the engine ({len(r['reported_absent'])}): {', '.join(r['reported_absent'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=Path, metavar="PATH", help="people's queries YAML")
    ap.add_argument("--judged", type=Path, metavar="PATH", help="judged queries YAML")
    ap.add_argument("--index", type=Path, metavar="PATH", help="an index root (default: corpus/ indexed now)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = ap.parse_args(argv)
    sets = {name: path for name, path in (("people", args.people), ("judged", args.judged)) if path is not None}
    if not sets:
        ap.error("give --people and/or --judged")
    with tempfile.TemporaryDirectory(prefix="kb-vocabulary-") as tmp:
        index = args.index
        if index is None:
            from indexer.build import build_index

            index = Path(tmp) / "index"
            build_index([CORPUS], index, semantic=False)
        results = report(index, sets)
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else _text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
