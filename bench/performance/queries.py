"""A fixed, varied query set for latency benchmarks: short, long, phrase, filtered, typo,
question, prefix — drawn deterministically from the index vocabulary plus domain phrasings."""

from __future__ import annotations

import random
from dataclasses import dataclass

from kb.storage.store import KnowledgeBase

HANDWRITTEN = [
    ("short", "surveillance"), ("short", "ia"), ("short", "tableau"), ("short", "macro"),
    ("phrase", '"reconnaissance faciale"'), ("phrase", '"barre d\'outils"'), ("phrase", '"feuille de calcul"'),
    ("question", "comment insérer un tableau dans un document ?"),
    ("question", "quels sont les risques de l'intelligence artificielle pour les droits humains ?"),
    ("question", "comment puis-je aider pause ia"), ("question", "comment modifier la police par défaut"),
    ("typo", "survaillance"), ("typo", "reconaissance faciale"), ("typo", "imprimmer le document"),
    ("long", "les systèmes d'armes autonomes capables de sélectionner et d'attaquer des cibles sans intervention humaine"),
    ("operators", "tableau -calc"), ("operators", "pétition OR tract"), ("prefix", "surveil*"), ("prefix", "format*"),
]


@dataclass(frozen=True)
class BenchQuery:
    """One benchmark query: its kind (for per-kind figures), text and category filter."""

    kind: str
    text: str
    categories: tuple[str, ...] = ()


def _typo(word: str, rng: random.Random) -> str:
    """One letter dropped or doubled inside the word, the typos the correction must survive."""
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]


def vocabulary(kb: KnowledgeBase) -> list[str]:
    """Words of the index (unstemmed, 5+ letters, in 3+ passages), sorted: what queries draw on."""
    with kb.session() as held:
        return sorted(w for w, frequency in held.view.vocabulary("words") if w.isalpha() and len(w) >= 5 and frequency >= 3)


def build_queries(kb: KnowledgeBase, n: int = 240, seed: int = 7, vocab: list[str] | None = None) -> list[BenchQuery]:
    """`n` queries: the handwritten ones, then words and pairs sampled from the vocabulary."""
    rng = random.Random(seed)
    vocab = vocabulary(kb) if vocab is None else vocab
    queries = [BenchQuery(kind, text) for kind, text in HANDWRITTEN]
    categories = ["surveillance", "services-publics", "algorithmes", "armes", "regulation"]
    while len(queries) < n:
        kind = rng.choice(["short", "pair", "long", "phrase", "filtered", "typo", "question"])
        words = rng.sample(vocab, 6)
        if kind == "short":
            q = BenchQuery(kind, words[0])
        elif kind == "pair":
            q = BenchQuery(kind, f"{words[0]} {words[1]}")
        elif kind == "long":
            q = BenchQuery(kind, " ".join(words))
        elif kind == "phrase":
            q = BenchQuery(kind, f'"{words[0]} {words[1]}"')
        elif kind == "filtered":
            q = BenchQuery(kind, words[0], (rng.choice(categories),))
        elif kind == "typo":
            q = BenchQuery(kind, _typo(words[0], rng))
        else:
            q = BenchQuery(kind, f"comment {words[0]} les {words[1]} ?")
        queries.append(q)
    return queries
