"""Production serving: waitress in N processes forked after loading, on one shared listening socket.

Whoosh scores in Python, so one process uses one core whatever its thread count; worker processes
are how a server uses the others. The socket is bound and the app (spaCy, thesaurus, index) loaded
once, then each worker runs a hardened waitress (webui/waitress_server.py) on the inherited socket:
waitress buffers whole requests before a thread sees them, so slow clients cannot starve the
threads, as they did gunicorn's gthread workers (see README, "Serving")."""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import time

from flask import Flask

from kb.errors import KBError
from webui.waitress_server import DRAIN_TIMEOUT, AcceptBalance, create_server

log = logging.getLogger("webui.server")
SIGNALS = {signal.SIGTERM, signal.SIGINT}
FAST_FAILURES = 5  # workers dying within RESPAWN_WINDOW of their start this many times: give up
RESPAWN_WINDOW = 5.0


def serve(app: Flask, host: str, port: int, threads: int = 8, workers: int = 1) -> None:
    """Serve `app` until SIGTERM or SIGINT, then let in-flight requests finish; `workers` processes."""
    _configure_logging()
    sock = _bind(host, port)
    code = 0
    if workers <= 1:
        _run_worker(app, sock, threads, announce=True, signals=SIGNALS)
    else:
        code = _Supervisor(app, sock, threads, workers).run()
    log.info("Serveur arrêté." if code == 0 else "Serveur arrêté (un processus de service a échoué).")
    if code:
        raise SystemExit(code)


def _configure_logging() -> None:
    """Warnings and errors (ours and waitress's) on stderr, as waitress.serve() would set them up."""
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    log.setLevel(logging.INFO)
    # "Task queue depth is N" on every request that waits for a thread: a flood under load, not news.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound once here and inherited by every worker."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise KBError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="another server may already use this port: stop it, or choose another with --port",
        ) from exc
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _run_worker(app: Flask, sock: socket.socket, threads: int, announce: bool, signals: set[signal.Signals],
                parent: int | None = None, balance: AcceptBalance | None = None) -> None:
    """One waitress on `sock` until one of `signals`, then its drain; in this process or a forked worker."""
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)  # the app's threads never take our signals
    server = create_server(app, sock, threads, balance)

    def on_signal(signum: int, _frame: object) -> None:
        if announce and not server.stop_requested:
            log.info("Arrêt demandé (%s) : les requêtes en cours se terminent.", signal.Signals(signum).name)
        server.request_stop()

    for signum in SIGNALS:
        signal.signal(signum, on_signal if signum in signals else signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
    cut = server.serve_until_stopped(parent_pid=parent)
    if cut:
        log.warning("%d connexion(s) coupée(s) : leur requête n'était pas finie après %.0f s.", cut, DRAIN_TIMEOUT)


class _Supervisor:
    """Forks the workers, replaces one that dies, and on SIGTERM/SIGINT stops them all and waits."""

    def __init__(self, app: Flask, sock: socket.socket, threads: int, workers: int) -> None:
        self.app, self.sock, self.threads, self.workers = app, sock, threads, workers
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (slot, start time)
        self.balance = AcceptBalance(workers)
        self.stop_signal: int | None = None
        self.fast_failures = 0
        self.giving_up = False
        self.exit_code = 0

    def run(self) -> int:
        for signum in SIGNALS:
            signal.signal(signum, self._on_signal)
        # Everything loaded so far (spaCy, the index, the model) is out of the collector's reach:
        # a collection in a worker would write into every object it walks, and each page written
        # stops being shared with the other workers (copy-on-write).
        gc.freeze()
        for slot in range(self.workers):
            self._spawn(slot)
        while self.stop_signal is None and not self.giving_up:
            self._reap(respawn=True)
            time.sleep(0.2)
        if self.stop_signal is not None:
            log.info("Arrêt demandé (%s) : les requêtes en cours se terminent.", signal.Signals(self.stop_signal).name)
        else:
            self._signal_all(signal.SIGTERM)
        self._stop_all(DRAIN_TIMEOUT + 10)
        self.sock.close()
        return self.exit_code

    def _on_signal(self, signum: int, _frame: object) -> None:
        """Forwarded at once as SIGTERM: the first makes the workers drain, a second stops them now."""
        self._signal_all(signal.SIGTERM)
        if self.stop_signal is None:
            self.stop_signal = signum

    def _signal_all(self, signum: int) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    def _spawn(self, slot: int) -> None:
        """Fork one worker; signals stay blocked across the fork until the worker has its handlers."""
        old = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                self._child(slot)
            self.children[pid] = (slot, time.monotonic())
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def _child(self, slot: int) -> None:
        """The worker's whole life; it never returns into the supervisor's code."""
        code = 1
        try:
            self.balance.claim(slot)
            # The reader the warm-up opened is kept: a build's files are read whole into memory when
            # opened (no file handle or offset to share), so its pages stay shared with the other
            # workers; each worker opening its own held a private copy of the index.
            # Only SIGTERM: a terminal's Ctrl-C reaches the whole group, and the supervisor forwards it
            # once (a worker taking it too would count it as the second, "stop now", signal).
            _run_worker(self.app, self.sock, self.threads, announce=False, signals={signal.SIGTERM}, parent=os.getppid(),
                        balance=self.balance)
            code = 0
        except BaseException:  # noqa: BLE001 - reported, then the process ends without unwinding
            log.exception("processus de service %d arrêté sur une erreur", os.getpid())
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)  # no atexit handlers inherited from the supervisor

    def _reap(self, respawn: bool) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            slot, started = self.children.pop(pid, (0, time.monotonic()))
            code = os.waitstatus_to_exitcode(status)
            if respawn:
                self._respawn(pid, code, slot, started)
            elif code != 0:
                self.exit_code = 1

    def _respawn(self, pid: int, code: int, slot: int, started: float) -> None:
        if time.monotonic() - started < RESPAWN_WINDOW:
            self.fast_failures += 1
        if self.fast_failures >= FAST_FAILURES:
            log.error("les processus de service s'arrêtent dès leur lancement : arrêt du serveur")
            self.giving_up = True
            self.exit_code = 1
            return
        log.error("processus de service %d arrêté (code %d) : relancé", pid, code)
        self._spawn(slot)

    def _stop_all(self, timeout: float) -> None:
        """Wait for the workers (told to drain); SIGKILL what is left at the deadline."""
        deadline = time.monotonic() + timeout
        while self.children and time.monotonic() < deadline:
            self._reap(respawn=False)
            time.sleep(0.05)
        if self.children:
            log.error("%d processus de service tués après %.0f s", len(self.children), timeout)
            self._signal_all(signal.SIGKILL)
            self.exit_code = 1
        while self.children:
            self._reap(respawn=False)
            time.sleep(0.05)
