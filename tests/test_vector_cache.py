"""Stored vectors are data read back from disk (issue 26): rows of the vector cache or of the
previous build that are not finite or not unit-norm are rejected, embedded again, and the build
report says how many."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index

from indexer.embed import passage_vectors
from kb.semantic.cache import VectorCache
from kb.semantic.vectors import PassageVectors, read_vectors, sound_vectors, write_vectors
from kb.storage.layout import current_build

GUIDE = """---
title: Petit guide
---

## Surveillance

La reconnaissance faciale dans l'espace public menace la vie privée de chacun.

## Emploi

L'automatisation des tâches de bureau transforme le marché du travail.

## Désinformation

Les modèles génératifs produisent de fausses images difficiles à distinguer des vraies.
"""


def _kb_index(corpus: Path, root: Path, cache: Path) -> str:
    kb = Path(sys.executable).with_name("kb")
    done = subprocess.run([str(kb), "index", "--corpus", str(corpus), "--index", str(root)],
                          env={**os.environ, "KB_CACHE_DIR": str(cache)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _damage(cache: Path) -> list[str]:
    """Two of the three cached rows made NaN and 1e30 (right size, wrong values); their keys."""
    with sqlite3.connect(cache / "vectors.sqlite") as db:
        keys = sorted(key for (key,) in db.execute("SELECT key FROM vectors"))
        assert len(keys) == 3
        for key, value in zip(keys, (np.nan, 1e30)):
            db.execute("UPDATE vectors SET vector = ? WHERE key = ?", (np.full(384, value, dtype=np.float32).tobytes(), key))
    return keys[:2]


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A three-passage corpus built with vectors by `kb index`: (corpus, index, its cache)."""
    tmp = tmp_path_factory.mktemp("vector-cache")
    corpus, cache = tmp / "corpus", tmp / "cache"
    corpus.mkdir()
    (corpus / "guide.md").write_text(GUIDE, encoding="utf-8")
    assert "3 calculés, 0 repris" in _kb_index(corpus, tmp / "a", cache)
    return corpus, tmp / "a", cache


def test_damaged_cache_rows_are_embedded_again_and_reported(first_build: tuple[Path, Path, Path], tmp_path: Path) -> None:
    corpus, _, built_cache = first_build
    cache = tmp_path / "cache"
    shutil.copytree(built_cache, cache)
    damaged = _damage(cache)
    second = _kb_index(corpus, tmp_path / "b", cache)  # a new index: only the cache can serve
    assert "1 calculés, 2 repris" not in second and "0 calculés, 3 repris" not in second
    assert "2 calculés, 1 repris" in second, second
    assert "vecteurs rejetés (non finis ou de norme ≠ 1, relus du cache ou du build précédent) : 2, recalculés" in second
    vectors = read_vectors(current_build(tmp_path / "b"))
    assert vectors is not None and np.isfinite(vectors.matrix).all()
    assert np.allclose(np.linalg.norm(vectors.matrix, axis=1), 1.0, atol=1e-4)
    repaired, still_bad = sound_vectors(VectorCache(cache / "vectors.sqlite").get(vectors.keys))
    assert len(repaired) == 3 and set(damaged) <= set(repaired) and not still_bad  # repaired: the next build reuses all


def test_damaged_rows_of_the_previous_build_are_not_reused(first_build: tuple[Path, Path, Path], tmp_path: Path) -> None:
    build = current_build(first_build[1])
    good = read_vectors(build)
    assert good is not None
    previous = tmp_path / "previous"  # a build written by an older version from a damaged cache
    previous.mkdir()
    bad = good.matrix.copy()
    bad[0], bad[1] = np.nan, bad[1] * 3.0
    write_vectors(previous, PassageVectors(good.ids, good.keys, bad))
    ix = whoosh_index.open_dir(str(build))
    try:
        vectors, report = passage_vectors(ix, previous, cache=VectorCache(tmp_path / "empty.sqlite"))
    finally:
        ix.close()
    assert vectors is not None and np.allclose(vectors.matrix, good.matrix, atol=1e-5)  # the model's rows again
    assert (report.embedded, report.reused, report.rejected) == (2, 1, 2)


@pytest.mark.parametrize("row", [np.full(384, np.nan), np.full(384, 1e30), np.zeros(384), np.full(384, np.inf),
                                 np.ones(384) / np.sqrt(384) * 1.01, np.ones(383) / np.sqrt(383)])
def test_sound_vectors_rejects_what_the_model_cannot_have_made(row: np.ndarray) -> None:
    unit = np.ones(384, dtype=np.float32) / np.sqrt(384)
    kept, rejected = sound_vectors({"good": unit, "bad": row.astype(np.float32)})
    assert list(kept) == ["good"] and rejected == {"bad"}
