"""CPU time of search() in one process, run by compare_commits.py with a checkout's own code on the
path (so it uses only what every checkout has: KnowledgeBase and kb.search). Prints JSON: CPU ms
per search of new queries (each searched once, hybrid then lexical halves) and of 20 warm ones."""

import json
import sys
import time
from pathlib import Path

from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase

WARM = ["reconnaissance faciale", "surveillance biométrique", '"reconnaissance faciale"', "surveillance -migration",
        "pétition OR tract", "surveil*", "reconnaisance faciale", "moratoir sur l'ia", "que peut faire un juriste pour la pause ?",
        "services publics", "armes autonomes", "IA", "manifestaton pause ia", "survaillance", "désinformation réseaux sociaux",
        "manifester contre l'IA", "réglementer l'intelligence artificielle", "logiciels espions journalistes", "droits humains", "agir"]


def timed(kb: KnowledgeBase, queries: list[str], mode: str) -> list[float]:
    out = []
    for query in queries:
        started = time.process_time()
        search(kb, SearchRequest(query, mode=mode))
        out.append((time.process_time() - started) * 1000)
    return out


def main() -> None:
    kb, reps, new = KnowledgeBase(Path(sys.argv[1])), int(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))
    search(kb, SearchRequest("warm up", mode="hybrid"))
    out: dict[str, list[float]] = {}
    half = len(new) // 2
    for mode, fresh in (("hybrid", new[:half]), ("lexical", new[half:])):
        out["new-" + mode] = timed(kb, fresh, mode)
        timed(kb, WARM, mode)
        out["warm-" + mode] = [t for _ in range(reps) for t in timed(kb, WARM, mode)]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
