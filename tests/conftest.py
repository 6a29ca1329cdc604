"""Shared fixtures: real corpus paths, a real Whoosh index built once per session."""

from __future__ import annotations

import shutil
from collections.abc import Generator
from pathlib import Path

import pytest

from indexer.build import build_index
from kb.storage.store import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
EXTRA = SHARED / "corpus-extra"
PIAF = SHARED / "piaf-dev" / "piaf-dev.json"


# What the tests that can skip need beyond `make test`'s Python and npm packages (.ci/run installs
# the same list): Chromium for the browser tests, wrk for the serving tests, npm for axe-core.
SYSTEM_PACKAGES = "chromium chromium-driver wrk npm"
INSTALL_COMMAND = f"sudo apt-get install -y {SYSTEM_PACKAGES}  (then `make test` again; it runs `npm ci --prefix tests`)"


@pytest.hookimpl(wrapper=True, tryfirst=True)  # the outermost wrapper: after pytest's own short summary
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> Generator[None, None, None]:
    """Skipped tests said loudly at the very end, each with its reason, and the one command that
    installs what they need: a run that skipped the browser tests must not read as complete."""
    yield
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if getattr(r, "when", "") in ("setup", "call")]
    if not skipped:
        return
    write = terminalreporter.write_line
    terminalreporter.section(f"{len(skipped)} TEST(S) SKIPPED: THIS RUN DID NOT TEST EVERYTHING", sep="!", red=True, bold=True)
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        write(f"  {report.nodeid}: {reason.removeprefix('Skipped: ')}", yellow=True)
    write("")
    write(f"Install what they need with: {INSTALL_COMMAND}", red=True, bold=True)


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
