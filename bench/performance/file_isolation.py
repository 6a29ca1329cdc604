"""What reading each file in a child process costs: every file loaded in process
(read_document) and with its parser in a forked child under the limits (load_document),
alternately, with the largest child's peak memory.

    python -m bench.performance.file_isolation FILE [FILE ...] [--rounds 3] [--as-build]

With --as-build the parent first loads what a build holds when it reads files (spaCy's French
pipeline, the lexicon, the classifier): forking a larger process costs more.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

from indexer.loaders import load_document, read_document
from indexer.loaders.source import read_source


def measure(path: Path, rounds: int) -> dict[str, float]:
    """Median seconds in process and isolated, and peak RSS (largest child, this process) in MB."""
    inside: list[float] = []
    isolated: list[float] = []
    for _ in range(rounds):
        clock = time.perf_counter()
        read_document(path, None, None, read_source(path))
        inside.append(time.perf_counter() - clock)
        clock = time.perf_counter()
        load_document(path, None)
        isolated.append(time.perf_counter() - clock)
    return {
        "in_process_s": statistics.median(inside),
        "isolated_s": statistics.median(isolated),
        "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "parent_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--as-build", action="store_true", help="load the build's models first")
    args = ap.parse_args()
    if args.as_build:
        from kb.analysis.lexicon import is_french_word
        from kb.analysis.nlp import get_nlp
        from kb.categories.classify import Classifier

        get_nlp(), is_french_word("maison"), Classifier.load()
    total_inside = total_isolated = 0.0
    for path in args.files:
        m = measure(path, args.rounds)
        total_inside, total_isolated = total_inside + m["in_process_s"], total_isolated + m["isolated_s"]
        print(f"{path.name}: in process {m['in_process_s']:.3f} s, isolated {m['isolated_s']:.3f} s "
              f"(overhead {(m['isolated_s'] - m['in_process_s']) * 1000:+.0f} ms); "
              f"child peak RSS {m['child_peak_mb']:.0f} MB (this process {m['parent_peak_mb']:.0f} MB)")
    if len(args.files) > 1:
        print(f"all {len(args.files)} files: in process {total_inside:.3f} s, isolated {total_isolated:.3f} s "
              f"(overhead {(total_isolated - total_inside) * 1000:+.0f} ms, {total_isolated / total_inside - 1:+.1%})")


if __name__ == "__main__":
    main()
