"""Shared fixtures: real corpus paths, a real Whoosh index built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.build import build_index
from kb.storage.store import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
EXTRA = SHARED / "corpus-extra"
PIAF = SHARED / "piaf-dev" / "piaf-dev.json"


def pytest_configure(config: pytest.Config) -> None:
    if not EXTRA.is_dir():
        raise pytest.UsageError(f"{EXTRA} is missing: tests read ../shared beside the checkout")


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of corpus/ built once for the session (read-only for tests)."""
    root = tmp_path_factory.mktemp("index-corpus")
    build_index([CORPUS], root)
    return root


@pytest.fixture(scope="session")
def kb(corpus_index: Path) -> KnowledgeBase:
    """The search service over the corpus index."""
    return KnowledgeBase(corpus_index)


@pytest.fixture(scope="session")
def hashed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """corpus/ indexed by words, then given the vectors of tests/hashing_embedder.py: hybrid
    search whose every ranking is the same on every CPU (read-only for tests)."""
    from .hashing_embedder import HashingEmbedder, index_vectors

    root = tmp_path_factory.mktemp("index-hashed")
    build_index([CORPUS], root, semantic=False)
    index_vectors(root, HashingEmbedder())
    return root


@pytest.fixture(scope="session")
def hashed_kb(hashed_index: Path) -> KnowledgeBase:
    """The search service over hashed_index, its queries embedded by the same hashing embedder."""
    from .hashing_embedder import HashingEmbedder

    return KnowledgeBase(hashed_index, embedder=HashingEmbedder())  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def full_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of corpus/ plus ../shared/corpus-extra, built once for the session."""
    root = tmp_path_factory.mktemp("index-full")
    build_index([CORPUS, EXTRA], root)
    return root


@pytest.fixture(scope="session")
def full_kb(full_index: Path) -> KnowledgeBase:
    return KnowledgeBase(full_index)


@pytest.fixture(scope="session")
def debian_reference_package() -> Path:
    """Debian's debian-reference-fr package unpacked in bench/cache (apt-get download, dpkg -x):
    the French reference manual as PDF and as HTML chapters."""
    from bench.performance.scale_corpus import unpacked

    try:
        return unpacked("debian-reference-fr", ROOT / "bench" / "cache")
    except SystemExit as exc:
        pytest.skip(f"Debian's debian-reference-fr package is needed (apt-get download): {exc}")


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of corpus/ for tests that change files."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest
