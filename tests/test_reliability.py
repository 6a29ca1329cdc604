"""Reliability of builds and searches: SIGKILL mid-build, concurrent builds, concurrent
searches, a generated folder of hostile files, arbitrary query text (Hypothesis)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.build import build_index
from kb.storage.layout import BUILDS, current_build
from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase

KB = str(Path(sys.executable).parent / "kb")


def _kb(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([KB, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_the_served_index_intact(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    kb = KnowledgeBase(root)
    def ranking(kb: KnowledgeBase) -> list[str]:
        return [r["id"] for r in search(kb, SearchRequest("reconnaissance faciale")).to_json()["results"]]

    first, before = current_build(root), ranking(kb)
    for n, delay in enumerate((0.3, 1.5, 3.0, 4.5)):
        (corpus_copy / f"ajout-{n}.md").write_text(f"# Ajout {n}\n\nUn passage ajouté pendant le test numéro {n}.\n", encoding="utf-8")
        proc = _kb("index", "--corpus", str(corpus_copy), "--index", str(root), "-q")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        build = current_build(root)
        assert build is not None
        # Whatever the moment, readers see a complete index: the old one or the new one (an added
        # passage may move the ranking by meaning: the served one is a fresh reader's of that build).
        assert ranking(kb) == ranking(KnowledgeBase(root))
        if build == first:
            assert ranking(kb) == before
    finished = build_index([corpus_copy], root)
    assert finished.documents == 7
    assert current_build(root) == finished.index_path
    assert not [p for p in (root / BUILDS).iterdir() if p.name.endswith(".tmp")]
    assert search(kb, SearchRequest('"ajouté pendant le test"')).to_json()["total"] == 4


@pytest.mark.slow
def test_two_concurrent_builds_one_waits_its_turn_with_a_message(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    first = _kb("index", "--corpus", str(corpus_copy), "--index", str(root), "-q")
    lock = root / "build.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().split("\n")[0] == str(first.pid)):
        assert time.monotonic() < deadline and first.poll() is None, "the first build never took the lock"
        time.sleep(0.05)
    refused = _kb("index", "--corpus", str(corpus_copy), "--index", str(root), "-q", "--wait", "0")
    out0, err0 = refused.communicate(timeout=120)
    assert refused.returncode == 1 and f"another writer (pid {first.pid} : kb index --corpus" in err0 and "Traceback" not in err0
    second = _kb("index", "--corpus", str(corpus_copy), "--index", str(root))  # not --quiet: its summary is read
    out2, err2 = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 0 and err2.count("En attente d'un autre processus") == 1 and f"(pid {first.pid} : kb index" in err2
    assert "Index à jour (rien n'a changé)" in out2
    assert KnowledgeBase(root).stats()["passages"] == 106


def test_many_threads_get_the_same_results_as_one(kb: KnowledgeBase) -> None:
    queries = ["reconnaissance faciale", "manifester", "armes autonomes", "securite de l'ia", "survaillance",
               "logiciels espions", "protection sociale", "désinformation réseaux sociaux", "pétition", "moratoire"] * 4
    def run(q: str) -> list[tuple[str, float]]:
        return [(r["id"], r["score"]) for r in search(kb, SearchRequest(q, limit=10)).to_json()["results"]]
    expected = [run(q) for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(run, queries)) == expected


QUERY_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(list('"()-*?~:^+!{}[]/\\ ORANDNOT') + ["\x00", "\u202e", "é"]), max_size=80),
    st.lists(st.sampled_from(["surveillance", "ia", '"', "-", "OR", "reconn*", "title:", "(", ")", "🤖", "l’", "états-unis"]), max_size=30).map(" ".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=QUERY_TEXT, limit=st.integers(1, 100), offset=st.integers(0, 200))
def test_arbitrary_query_text_never_raises(kb: KnowledgeBase, query: str, limit: int, offset: int) -> None:
    response = search(kb, SearchRequest(query, limit=limit, offset=offset)).to_json()
    assert response["total"] >= len(response["results"])
    json.dumps(response)


def test_hostile_corpus_gives_warnings_indexes_the_rest_and_stays_bounded(tmp_path: Path) -> None:
    corpus = tmp_path / "hostile"
    corpus.mkdir()
    (corpus / "bon.md").write_text("# Bon\n\nUn document parfaitement sain sur la surveillance biométrique.\n", encoding="utf-8")
    (corpus / "tronque.md").write_bytes("# Tronqué\n\nLa sécurité des données é".encode() [:-1])
    (corpus / "nul.txt").write_bytes(b"texte\x00avec des octets nuls")
    with open(corpus / "enorme.md", "wb") as fh:
        fh.write(b"# Enorme\n\n" + b"Un paragraphe qui se repete. " * (50 * 1024 * 1024 // 29))
    (corpus / "imbrique.html").write_text("<html><body>" + "<div>" * 100_000 + "profond" + "</div>" * 100_000 + "</body></html>", encoding="utf-8")
    bomb = ["---", 'a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    bomb += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]" for i in range(9)]
    (corpus / "bombe.md").write_text("\n".join(bomb + ["title: *j", "---", "", "Corps de la bombe, indexé."]), encoding="utf-8")
    (corpus / "boucle").symlink_to(corpus / "boucle")
    (corpus / "sous").mkdir()
    (corpus / "sous" / "parent").symlink_to(corpus, target_is_directory=True)
    script = (
        "import json, resource, sys; from pathlib import Path; from indexer.build import build_index;"
        f"r = build_index([Path({str(corpus)!r})], Path({str(tmp_path / 'idx')!r}));"
        "print(json.dumps({'docs': r.documents, 'skipped': r.skipped, 'warnings': r.warnings,"
        " 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["docs"] == 3  # bon, tronqué (decoded with a warning), bombe (metadata ignored)
    skipped = "\n".join(result["skipped"])
    assert "enorme.md: file is too large" in skipped
    assert "nul.txt:1: file looks binary" in skipped
    assert "imbrique.html" in skipped
    warnings = "\n".join(result["warnings"])
    assert "tronque.md" in warnings and "boucle" in warnings
    assert result["rss_mb"] < 1500, result["rss_mb"]
    kb = KnowledgeBase(tmp_path / "idx")
    assert search(kb, SearchRequest("surveillance biométrique", mode="lexical")).to_json()["total"] == 1
