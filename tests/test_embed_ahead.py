"""A build embeds its new passages in a thread while it analyses and writes them (issue 29): the
overlap is real, its rows are the rows the embedding stage would have made, every row is
counted once as embedded, and a failed build stops the thread."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import indexer.writer as writer
from indexer.build import build_index
from indexer.embed_ahead import EmbeddingAhead
from kb.errors import KBError
from kb.semantic.cache import VectorCache
from kb.semantic.vectors import read_vectors
from kb.storage.layout import current_build

STARTED: list[EmbeddingAhead] = []


class RecordedAhead(EmbeddingAhead):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        STARTED.append(self)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[EmbeddingAhead]:
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(writer, "EmbeddingAhead", RecordedAhead)
    STARTED.clear()
    return STARTED


def test_passages_are_embedded_while_the_index_is_written(corpus_copy: Path, tmp_path: Path, recorded: list[EmbeddingAhead],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    seen_while_writing: list[int] = []
    add = writer._add_passages

    def add_once_embedding_began(*args: Any) -> None:
        deadline = time.monotonic() + 30
        while not (recorded and recorded[0].done) and time.monotonic() < deadline:
            time.sleep(0.05)
        seen_while_writing.append(recorded[0].done if recorded else 0)
        add(*args)

    monkeypatch.setattr(writer, "_add_passages", add_once_embedding_began)
    report = build_index([corpus_copy], tmp_path / "idx")
    assert len(recorded) == 1 and seen_while_writing[0] > 0  # rows were made before a passage was written
    vectors = read_vectors(current_build(tmp_path / "idx"))  # type: ignore[arg-type]
    assert vectors is not None and report.passages == len(vectors.ids)
    assert recorded[0].done == recorded[0].total == len(set(vectors.keys) | set(vectors.sentence_keys))


def test_rows_embedded_ahead_are_the_rows_embedded_after_writing(corpus_copy: Path, tmp_path: Path, recorded: list[EmbeddingAhead],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ahead = build_index([corpus_copy], tmp_path / "ahead")
    assert len(recorded) == 1
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(writer, "_start_embedding", lambda plan: None)
    after = build_index([corpus_copy], tmp_path / "after")
    assert len(recorded) == 1
    one, two = (read_vectors(current_build(tmp_path / name)) for name in ("ahead", "after"))  # type: ignore[arg-type]
    assert one is not None and two is not None and one.keys == two.keys and one.sentence_keys == two.sentence_keys
    assert np.allclose(one.matrix, two.matrix, atol=1e-5) and np.allclose(one.sentences, two.sentences, atol=1e-5)
    counted = ("embedded", "reused", "rejected", "sentences", "sentences_embedded")
    one_counts, two_counts = (_vector_counts(tmp_path / name) for name in ("ahead", "after"))
    assert {k: one_counts[k] for k in counted} == {k: two_counts[k] for k in counted}
    assert ahead.reindexed == after.reindexed and ahead.passages == after.passages


def _vector_counts(root: Path) -> dict[str, Any]:
    build = current_build(root)
    assert build is not None
    return json.loads((build / "manifest.json").read_text(encoding="utf-8"))["vectors"]  # type: ignore[no-any-return]


def test_rows_embedded_ahead_are_counted_as_embedded_not_reused(corpus_copy: Path, tmp_path: Path,
                                                               recorded: list[EmbeddingAhead]) -> None:
    build_index([corpus_copy], tmp_path / "idx")
    counts = _vector_counts(tmp_path / "idx")
    vectors = read_vectors(current_build(tmp_path / "idx"))  # type: ignore[arg-type]
    assert vectors is not None
    assert (counts["embedded"], counts["reused"]) == (len(vectors.ids), 0)
    assert counts["sentences_embedded"] == counts["sentences"] == len(vectors.sentence_keys)
    assert len(VectorCache().get(vectors.keys)) == len(vectors.ids)  # cached as they were made


def test_a_failed_build_stops_the_embedding_thread_and_keeps_the_index(corpus_copy: Path, tmp_path: Path,
                                                                      recorded: list[EmbeddingAhead],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root, semantic=False)
    before = current_build(root)
    (corpus_copy / "nouveau.md").write_text("# Nouveau\n\n" + "La surveillance de masse menace nos libertés. " * 40,
                                            encoding="utf-8")

    def fail(*args: Any) -> None:
        raise KBError("disk full while writing", hint="free some space")

    monkeypatch.setattr(writer, "_add_passages", fail)
    with pytest.raises(KBError):
        build_index([corpus_copy], root)
    assert len(recorded) == 1 and not recorded[0]._thread.is_alive()
    assert current_build(root) == before


def test_cancel_stops_the_thread_before_every_text_is_embedded(tmp_path: Path) -> None:
    texts = [f"Passage numéro {n} sur la surveillance et les droits humains." for n in range(1200)]
    ahead = EmbeddingAhead(texts, lambda keys: ({}, set()), VectorCache(tmp_path / "cache.sqlite"))
    ahead.cancel()
    assert not ahead._thread.is_alive() and ahead.done < len(texts)


def test_an_update_reads_the_previous_builds_vectors_once(corpus_copy: Path, tmp_path: Path, recorded: list[EmbeddingAhead],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread's lookup of reusable rows serves the embedding stage too: the previous build's
    vectors (read whole, every row checked) are read once per build, not twice."""
    import indexer.embed as embed

    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    before = _vector_counts(root)
    (corpus_copy / "nouveau.md").write_text("# Nouveau\n\nLa surveillance de masse menace nos libertés publiques.\n",
                                            encoding="utf-8")
    reads: list[Path | None] = []
    read = embed._known_vectors
    monkeypatch.setattr(embed, "_known_vectors", lambda previous: reads.append(previous) or read(previous))
    build_index([corpus_copy], root)
    after = _vector_counts(root)
    assert len(recorded) == 2 and len(reads) == 1 and reads[0] is not None
    assert after["reused"] == before["embedded"] and after["embedded"] >= 1 and after["rejected"] == 0
