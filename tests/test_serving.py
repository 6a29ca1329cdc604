"""A real server under change and attack: re-indexing while serving, traversal, oversized
requests, header injection."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from indexer.build import build_index
from kb.storage.layout import current_build

pytest_plugins = ["tests.conftest_web"]

KB = str(Path(sys.executable).parent / "kb")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.slow
def test_server_keeps_answering_during_a_rebuild_and_serves_the_new_index(corpus_copy: Path, tmp_path: Path) -> None:
    from .conftest_web import LiveServer

    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    server = LiveServer(root, tmp_path / "server.log")
    try:
        server.wait_ready()
        statuses: list[int] = []
        stop = threading.Event()

        def hammer() -> None:
            queries = ["reconnaissance+faciale", "manifester", "ornithorynque", "droits"]
            n = 0
            while not stop.is_set():
                statuses.append(_get(f"{server.url}/api/search?q={queries[n % 4]}")[0])
                n += 1

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        (corpus_copy / "ornithorynque.md").write_text("# Nouveau\n\nL'ornithorynque surveille les rivières.\n", encoding="utf-8")
        build = subprocess.run([KB, "index", "--corpus", str(corpus_copy), "--index", str(root), "-q"], capture_output=True, text=True, timeout=300)
        assert build.returncode == 0, build.stderr
        status, body = _get(f"{server.url}/api/search?q=ornithorynque&mode=lexical")
        stop.set()
        for t in threads:
            t.join()
        assert statuses and set(statuses) == {200}, (sorted(set(statuses)), server.log()[-3000:])
        assert status == 200 and json.loads(body)["total"] == 1  # new index served without a restart
        assert server.proc.poll() is None
    finally:
        server.stop()


@pytest.mark.slow
def test_several_worker_processes_serve_the_same_answers(corpus_index: Path, kb, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from kb.search import SearchRequest, search

    from .conftest_web import LiveServer

    server = LiveServer(corpus_index, tmp_path / "server.log", ("--workers", "2", "--threads", "2"))
    try:
        server.wait_ready()  # the first worker answers; the supervisor may still be forking the second
        children_file = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
        deadline = time.monotonic() + 30
        while len(children_file.read_text().split()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(children_file.read_text().split()) == 2, server.log()
        expected = [r["id"] for r in search(kb, SearchRequest("reconnaissance faciale")).to_json()["results"]]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: _get(f"{server.url}/api/search?q=reconnaissance+faciale"), range(24)))
        assert {status for status, _ in answers} == {200}
        assert all([r["id"] for r in json.loads(body)["results"]] == expected for _, body in answers)
        # One copy in memory: the workers answer from the index reader the supervisor opened before
        # the fork, never reading the build's files again (each read its own copy: 0.9 MB here,
        # 50 MB at scale). /proc/PID/io counts the bytes a process read from files and pipes.
        segments = sum(f.stat().st_size for f in current_build(corpus_index).glob("*.seg"))
        for worker in children_file.read_text().split():
            io = dict(line.split(": ") for line in Path(f"/proc/{worker}/io").read_text().splitlines())
            assert int(io["rchar"]) < segments // 2, (worker, io["rchar"], segments)
        status, body = _get(f"{server.url}/api/passages/nope")
        assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
        assert server.log().count("GET /api/search") >= 24  # one access-log line per request, from each worker
    finally:
        server.stop()
    assert server.proc.returncode is not None


@pytest.mark.parametrize(
    "path",
    [
        "/documents/..%2f..%2fetc%2fpasswd",
        "/documents/../../etc/passwd",
        "/api/documents/..%2F..%2Fpyproject.toml",
        "/api/passages/../../../../etc/passwd",
        "/api/passages/%2e%2e/%2e%2e/etc/passwd",
        "/passages/..%5c..%5cwindows",
        "/static/../pyproject.toml",
        "/static/..%2f..%2fpyproject.toml",
    ],
)
def test_path_traversal_gives_4xx(live_server, path: str) -> None:
    status, body = _get(live_server.url + path)
    assert 400 <= status < 500, (path, status)
    assert b"[project]" not in body and b"root:" not in body


def _raw(server, request: bytes) -> bytes:
    """Send raw bytes; return what the server answered (even if it cut the connection after)."""
    chunks: list[bytes] = []
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server answered and closed before reading everything
        try:
            while data := sock.recv(65536):
                chunks.append(data)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


def test_header_injection_is_not_reflected(live_server) -> None:
    status, _ = _get(live_server.url + "/api/export.csv?q=ia%0d%0aSet-Cookie:%20pwned=1")
    assert status in (200, 400)
    response = _raw(live_server, b"GET /api/export.csv?q=ia%0d%0aX-Evil:%201 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    head = response.split(b"\r\n\r\n", 1)[0]
    assert b"X-Evil" not in head and b"pwned" not in head
    bad = _raw(live_server, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test: a\rb\r\nConnection: close\r\n\r\n")
    assert bad.split(b" ", 2)[1].startswith(b"4") or bad.split(b" ", 2)[1] == b"200"


def test_oversized_requests_give_4xx(live_server) -> None:
    status, body = _get(live_server.url + "/api/search?q=" + "a" * 20_000)
    assert status in (400, 414) and b'"error"' in body
    big = b"x" * (2 * 1024 * 1024)
    response = _raw(live_server, b"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(big) + big)
    assert response.split(b" ", 2)[1] in (b"405", b"413")
    huge_header = _raw(live_server, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"h" * 300_000 + b"\r\nConnection: close\r\n\r\n")
    assert huge_header.split(b" ", 2)[1].startswith(b"4")


def test_a_port_already_in_use_is_a_message_not_a_traceback(corpus_index: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([KB, "serve", "--index", str(corpus_index), "--port", str(port)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in out.stderr and "--port" in out.stderr


def test_the_app_leaves_numpy_one_blas_thread_for_its_workers(corpus_index: Path) -> None:
    """A search is one thread's work: the app sets numpy's BLAS to one thread before a server
    forks its workers (a second OpenBLAS thread spun after each cosine product)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from webui import create_app

    before = threadpool_limits(limits=2, user_api="blas")
    try:
        create_app({"KB_INDEX": str(corpus_index), "TESTING": True})
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)
    finally:
        before.restore_original_limits()
