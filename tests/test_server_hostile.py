"""A real `kb serve` (one process and two) against hostile clients: sockets that trickle their
headers, request smuggling through Content-Length with Transfer-Encoding, and SIGTERM mid-request."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest_web import LiveServer

pytest_plugins = ["tests.conftest_web"]

WORKERS = ["1", "2"]
SEARCH = "/api/search?q=reconnaissance+faciale"


@pytest.fixture(scope="module", params=WORKERS, ids=lambda w: f"{w}-worker")
def server(request: pytest.FixtureRequest, corpus_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One `kb serve --workers N` per module and N, shared by the tests that leave it running; it logs
    full paths, so a smuggled request that ran would show in its log."""
    from .conftest_web import LiveServer

    live = LiveServer(corpus_index, tmp_path_factory.mktemp("hostile") / "server.log", ("--workers", request.param, "--log-paths"))
    try:
        live.wait_ready()
        yield live
    finally:
        live.stop()


class _Trickle:
    """`n` connections that send their request headers one byte a second and never finish them."""

    HEAD = b"GET /api/search?q=ia HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 64

    def __init__(self, port: int, n: int) -> None:
        self.socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for i in range(len(self.HEAD)):
            for sock in self.socks:
                try:
                    sock.send(self.HEAD[i : i + 1])
                except OSError:
                    pass  # cut by the server: fine, it only has to go on answering others
            if self._stop.wait(1.0):
                return

    def __enter__(self) -> _Trickle:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.socks:
            sock.close()


def _get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_64_slow_clients_leave_a_normal_client_answered_within_a_second(server: LiveServer) -> None:
    with _Trickle(server.port, 64):
        time.sleep(1.5)  # every slow socket has sent its first bytes (a thread each, on gthread)
        for _ in range(3):
            start = time.monotonic()
            try:
                status, body = _get(server.port, SEARCH)
            except TimeoutError:
                pytest.fail("no answer within 5 s while 64 slow clients are connected")
            elapsed = time.monotonic() - start
            assert status == 200 and json.loads(body)["total"] >= 1
            assert elapsed < 1.0, f"answered in {elapsed:.2f} s"


def _stream(port: int, data: bytes, timeout: float = 3.0) -> tuple[bytes, bool]:
    """Send raw bytes; everything answered until the server closes (True) or stays silent (False)."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            return b"".join(chunks), False
        except ConnectionResetError:
            pass
    return b"".join(chunks), True


def _smuggling(kind: str, hidden_path: str) -> bytes:
    hidden = f"GET {hidden_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    body = b"0\r\n\r\n" + hidden  # a chunked body that ends at once, then the hidden request
    framing = {
        "cl-te": f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n",
        "te-cl": f"Transfer-Encoding: chunked\r\nContent-Length: {len(body)}\r\n",
        "te-http10": "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n",
    }[kind]
    version = "HTTP/1.0" if kind == "te-http10" else "HTTP/1.1"
    return f"GET /api/health {version}\r\nHost: 127.0.0.1\r\n{framing}\r\n".encode() + body


@pytest.mark.parametrize("kind", ["cl-te", "te-cl", "te-http10"])
def test_a_request_smuggled_behind_transfer_encoding_is_never_run(server: LiveServer, kind: str) -> None:
    hidden_path = f"/api/passages/smuggled-{uuid.uuid4().hex}"
    stream, closed = _stream(server.port, _smuggling(kind, hidden_path))
    statuses = re.findall(rb"^HTTP/1\.[01] (\d{3}) ", stream, re.M)
    assert len(statuses) == 1, stream[:2000]  # one response: the hidden request got none
    assert statuses == [b"400"] or closed, stream[:2000]
    time.sleep(0.3)  # the access log line of a request that did run would be written by now
    assert hidden_path not in server.log()


def _slow_reader(port: int) -> tuple[socket.socket, bytes]:
    """A connection with a tiny receive window that asks for a large export and reads 1 KB of it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /api/export.ndjson HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    first = sock.recv(1024)
    assert first.startswith(b"HTTP/1.1 200 ")
    return sock, first


def _read_all(sock: socket.socket, first: bytes) -> bytes:
    chunks = [first]
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("workers", WORKERS)
def test_sigterm_lets_in_flight_requests_finish_then_exits_0(corpus_index: Path, tmp_path: Path, workers: str) -> None:
    from .conftest_web import LiveServer

    live = LiveServer(corpus_index, tmp_path / "server.log", ("--workers", workers))
    try:
        live.wait_ready()
        reader, first = _slow_reader(live.port)  # a response being sent when the signal comes
        asker = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        try:
            asker.request("GET", "/api/health")
            assert asker.getresponse().read()  # the connection is open on the server's side
            asker.request("GET", SEARCH + "&limit=50")  # a request sent just before the signal
            live.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)  # the server drains meanwhile: nothing owed may be cut
            answer = asker.getresponse()
            assert answer.status == 200 and json.loads(answer.read())["total"] >= 1
            exported = _read_all(reader, first)
        finally:
            asker.close()
            reader.close()
        head, _, body = exported.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
        assert len(body) == length and all(json.loads(line) for line in body.splitlines())
        assert live.proc.wait(timeout=40) == 0
    finally:
        live.stop()
    log = live.log()
    assert "Arrêt demandé (SIGTERM)" in log and "Serveur arrêté." in log, log[-2000:]
    assert "Traceback" not in log, log[-4000:]


@pytest.mark.parametrize("workers", WORKERS)
def test_sigint_stops_cleanly_too(corpus_index: Path, tmp_path: Path, workers: str) -> None:
    from .conftest_web import LiveServer

    live = LiveServer(corpus_index, tmp_path / "server.log", ("--workers", workers))
    try:
        live.wait_ready()
        live.proc.send_signal(signal.SIGINT)
        assert live.proc.wait(timeout=40) == 0
    finally:
        live.stop()
    log = live.log()
    assert "Arrêt demandé (SIGINT)" in log and "Serveur arrêté." in log and "Traceback" not in log, log[-3000:]
