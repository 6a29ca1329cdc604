"""A build damaged under a running server: refused with 503 `index_damaged` (or replaced by the
last good build), never a dead process, a 500 or silently wrong answers; `kb index` repairs it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from indexer.build import build_index
from kb.storage.layout import current_build

pytest_plugins = ["tests.conftest_web"]

KB = str(Path(sys.executable).parent / "kb")


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _truncate(root: Path) -> Path:
    segment = next(current_build(root).glob("*.seg"))  # type: ignore[union-attr]
    with open(segment, "r+b") as fh:
        fh.truncate(1000)
    return segment


def _garble(root: Path) -> Path:
    """Overwrite the segment with other bytes of the same size."""
    segment = next(current_build(root).glob("*.seg"))  # type: ignore[union-attr]
    size = segment.stat().st_size
    segment.write_bytes((b"garbage!" * (size // 8 + 1))[:size])
    return segment


def _reindex(corpus: Path, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KB, "index", "--corpus", str(corpus), "--index", str(root), "-q"], capture_output=True, text=True, timeout=300)


def _assert_damaged(server, build: str) -> None:
    for path in ("/api/search?q=ia", "/api/search?q=surveillance", "/api/health", "/api/documents"):
        status, body = _get(server.url + path)
        assert status == 503, (path, status, body)
        assert body["error"]["code"] == "index_damaged" and build in body["error"]["message"]
        assert "kb index" in body["error"]["hint"]
    with pytest.raises(urllib.error.HTTPError) as page:
        urllib.request.urlopen(server.url + "/recherche?q=ia", timeout=30)
    assert page.value.code == 503 and "endommagé" in page.value.read().decode()
    assert server.proc.poll() is None


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_damaged_segment_is_refused_then_repaired(corpus_copy: Path, tmp_path: Path, workers: str) -> None:
    from .conftest_web import LiveServer

    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    server = LiveServer(root, tmp_path / "server.log", ("--workers", workers))
    try:
        server.wait_ready()
        assert _get(server.url + "/api/search?q=ia")[0] == 200
        first = current_build(root).name  # type: ignore[union-attr]
        _truncate(root)
        _assert_damaged(server, first)
        repair = _reindex(corpus_copy, root)
        assert repair.returncode == 0 and "rebuilding from scratch" in repair.stderr, repair.stderr
        status, body = _get(server.url + "/api/search?q=surveillance")
        assert status == 200 and body["total"] > 0
        second = current_build(root).name  # type: ignore[union-attr]
        _garble(root)  # same size, other bytes: the checksum tells
        _assert_damaged(server, second)
        assert _reindex(corpus_copy, root).returncode == 0
        health = _get(server.url + "/api/health")
        assert health[0] == 200 and health[1]["status"] == "ok" and health[1]["checked"]["checksums"] is True
        assert "Traceback" not in server.log()
    finally:
        server.stop()


@pytest.mark.slow
def test_the_last_good_build_keeps_serving_while_the_current_one_is_damaged(corpus_copy: Path, tmp_path: Path) -> None:
    from .conftest_web import LiveServer

    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    good = current_build(root).name  # type: ignore[union-attr]
    (corpus_copy / "ornithorynque.md").write_text("# Nouveau\n\nL'ornithorynque surveille les rivières.\n", encoding="utf-8")
    build_index([corpus_copy], root)
    server = LiveServer(root, tmp_path / "server.log")
    try:
        server.wait_ready()
        assert _get(server.url + "/api/search?q=ornithorynque&mode=lexical")[1]["total"] == 1
        damaged = current_build(root).name  # type: ignore[union-attr]
        _garble(root)
        status, body = _get(server.url + "/api/search?q=surveillance")
        assert status == 200 and body["total"] > 0  # answered from the previous build
        assert _get(server.url + "/api/search?q=ornithorynque&mode=lexical")[1]["total"] == 0
        status, health = _get(server.url + "/api/health")
        assert status == 200 and health["status"] == "degraded" and health["build"] == good
        assert health["damaged"]["build"] == damaged and "does not match its checksum" in health["damaged"]["problem"]
        assert f"serving the previous build {good}" in server.log()
        assert _reindex(corpus_copy, root).returncode == 0
        status, health = _get(server.url + "/api/health")
        assert health["status"] == "ok" and _get(server.url + "/api/search?q=ornithorynque&mode=lexical")[1]["total"] == 1
    finally:
        server.stop()


def test_kb_serve_refuses_a_damaged_index_with_a_message(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    segment = _truncate(root)
    out = subprocess.run([KB, "serve", "--index", str(root), "--port", "1"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Aborted" not in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert f"is damaged: {segment.name} has 1,000 bytes instead of" in out.stderr
    assert "hint: run `kb index` to rebuild it" in out.stderr
