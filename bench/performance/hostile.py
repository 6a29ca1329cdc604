"""Hostile queries timed on the scale index (issue target: none over 1 s, none raising).

The test suite checks with Hypothesis that such input never raises and never gives a 5xx; how
long it takes is a benchmark figure, measured here on the index a hundred times ours."""

from __future__ import annotations

import random
import time
from typing import Any

from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase

OPERATORS = ['"', "(", ")", "AND", "OR", "NOT", "-", "*", "?", ":", "~", "^2", "title:", "text:", "&&", "||", "«", "»"]
ODD = ["\x00", "\x07", "\x1b", "\u202e", "\u200b", "\ufeff", "😀", "🤖", "·", "’", "\\", "/", "%", "'", "l'", "qu'"]


def hostile_queries(vocab: list[str], n: int = 300, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, query) pairs: fixed worst cases, then seeded operator soup, wildcards, long text."""
    rng = random.Random(seed)
    words = vocab or ["surveillance"]
    out: list[tuple[str, str]] = [
        ("wildcard", "*"), ("wildcard", "a*"), ("wildcard", "e*"), ("wildcard", "de*"), ("wildcard", "*tion"),
        ("operators", '"' * 51), ("operators", "(" * 200), ("operators", "OR " * 300), ("operators", "-" * 1000),
        ("long", "a" * 10_000), ("long", " ".join(words[:2000])), ("long", " OR ".join(words[:300])),
        ("long", '"' + " ".join(words[:400]) + '"'), ("long", " ".join(w + "*" for w in words[:200])),
        ("control", "".join(chr(c) for c in range(0, 32)) * 20),
    ]
    while len(out) < n:
        kind = rng.choice(["soup", "wildcard", "long", "control", "unicode"])
        if kind == "soup":
            tokens = [rng.choice(OPERATORS + ODD + words) for _ in range(rng.randint(1, 60))]
            query = "".join(t + rng.choice(["", " ", " ", ":"]) for t in tokens)
        elif kind == "wildcard":
            query = " ".join(rng.choice(words)[: rng.randint(1, 4)] + "*" for _ in range(rng.randint(1, 20)))
        elif kind == "long":
            query = " ".join(rng.choice(words) for _ in range(rng.randint(100, 2000)))
        elif kind == "control":
            query = "".join(chr(rng.randrange(0, 0x300)) for _ in range(rng.randint(1, 400)))
        else:
            query = "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(rng.randint(1, 200)))
        out.append((kind, query))
    return out[:n]


def bench_hostile(kb: KnowledgeBase, vocab: list[str], n: int = 300) -> dict[str, Any]:
    """Latency of each hostile query through search(); exceptions are counted, not raised."""
    timings: dict[str, list[float]] = {}
    slowest: list[tuple[float, str, str]] = []
    errors: list[str] = []
    search(kb, SearchRequest("surveillance"))  # the model and the thesaurus load once per process (start-up)
    for kind, query in hostile_queries(vocab, n):
        start = time.perf_counter()
        try:
            search(kb, SearchRequest(query, limit=10))
        except Exception as exc:  # noqa: BLE001 - the figure is how many raise
            errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:200])
        ms = (time.perf_counter() - start) * 1000
        timings.setdefault(kind, []).append(ms)
        slowest = sorted([*slowest, (ms, kind, query)], reverse=True)[:5]
    every = [t for values in timings.values() for t in values]
    return {
        "queries": len(every),
        "max_ms": max(every),
        "over_1s": sum(t > 1000 for t in every),
        "errors": errors,
        "by_kind": {k: {"n": len(v), "max_ms": max(v), "mean_ms": sum(v) / len(v)} for k, v in sorted(timings.items())},
        # What the slowest were (kind, length in characters and words, start), for diagnosis.
        "slowest": [{"ms": ms, "kind": kind, "chars": len(q), "words": len(q.split()), "start": q[:60]} for ms, kind, q in slowest],
    }
