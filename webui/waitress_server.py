"""waitress hardened for direct exposure: strict request framing, deadlines for slow senders, and a
drain on shutdown. One instance serves one process on a listening socket it may share with others.

waitress reads and buffers whole requests in its event loop before a thread sees them, so a client
that trickles its headers costs a socket, not one of the threads that run the app."""

from __future__ import annotations

import mmap
import os
import socket
import struct
import time
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher, WSGITask

# Per process; with a shared socket one process may hold every connection, so this is also the
# whole server's floor. Above ~1000 open sockets select() fails, hence poll() below.
CONNECTION_LIMIT = 1024
REQUEST_TIMEOUT = 30.0  # s from a request's first byte to its last: a trickling client is cut after it
IDLE_TIMEOUT = 30  # s an idle keep-alive connection stays open (waitress's channel_timeout)
DRAIN_TIMEOUT = 30.0  # s in-flight requests get to finish on shutdown before their connections are cut


class AcceptBalance:
    """Open-connection counts of all workers in shared memory, so that connections spread evenly.

    On a shared socket the kernel wakes every polling worker and the first to run accepts: one
    worker took all 16 keep-alive connections of a wrk run and the other core idled. A worker polls
    the socket only while it holds no more connections than every other live worker."""

    SLOT = struct.Struct("=qd")  # open connections, heartbeat (CLOCK_MONOTONIC, the same in every process)
    STALE = 3.0  # s without a heartbeat: that worker is gone or stuck, and is not waited for
    RECHECK = 0.02  # s between looks while another worker has fewer connections (it may get more soon)

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.memory = mmap.mmap(-1, self.SLOT.size * workers)  # anonymous and shared across fork()
        self.slot = -1

    def claim(self, slot: int) -> None:
        """Called in a worker after the fork: `slot` is its own from now on."""
        self.slot = slot
        self.SLOT.pack_into(self.memory, slot * self.SLOT.size, 0, time.monotonic())

    def may_accept(self, connections: int) -> bool:
        """Publish our count (and heartbeat); True unless a live worker holds fewer connections."""
        now = time.monotonic()
        self.SLOT.pack_into(self.memory, self.slot * self.SLOT.size, connections, now)
        for other in range(self.workers):
            if other != self.slot:
                count, beat = self.SLOT.unpack_from(self.memory, other * self.SLOT.size)
                if now - beat < self.STALE and count < connections:
                    return False
        return True


class StrictRequestParser(HTTPRequestParser):  # type: ignore[misc]
    """Refuses ambiguous framing before any body byte is read (RFC 9112 §6.1, §6.3).

    A request with both Content-Length and Transfer-Encoding (or Transfer-Encoding in HTTP/1.0,
    which waitress ignores) gets 400 and its connection is closed after the response; whatever
    followed it in the stream is discarded, so a request hidden in its body is never parsed.
    waitress 3.0.2 honours Transfer-Encoding, keeps the connection and runs the hidden request."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.started = time.time()  # the channel creates a parser on a request's first byte

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        # waitress pops TRANSFER_ENCODING in HTTP/1.1 (setting `chunked`) and leaves it in 1.0.
        if "TRANSFER_ENCODING" in self.headers or (self.chunked and "CONTENT_LENGTH" in self.headers):
            self.connection_close = True
            raise ParsingError("Content-Length with Transfer-Encoding, or Transfer-Encoding in HTTP/1.0")

    def received(self, data: bytes) -> int:
        consumed = super().received(data)
        return len(data) if self.error is not None else consumed  # nothing after a refused request is parsed


class DrainingTask(WSGITask):  # type: ignore[misc]
    """A request's response; once the process drains, it says `Connection: close` and ends the connection."""

    def build_response_header(self) -> bytes:
        if self.channel.server.draining:
            self.set_close_on_finish()
        return super().build_response_header()  # type: ignore[no-any-return]


class HardenedChannel(HTTPChannel):  # type: ignore[misc]
    """One connection, with the strict parser; responses close it once the process drains."""

    parser_class = StrictRequestParser
    task_class = DrainingTask

    def owes_nothing(self, now: float) -> bool:
        """No request queued or running, no output unsent, no request bytes unread or just arriving
        (one that has been arriving for over a second is a slow client's, not worth waiting for)."""
        if self.requests or self.total_outbufs_len:
            return False
        partial = self.request
        if partial is not None and now - getattr(partial, "started", now) < 1.0:
            return False
        try:
            return self.socket.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""  # b"": the client left
        except OSError:  # BlockingIOError: nothing to read
            return True


class HardenedServer(TcpWSGIServer):  # type: ignore[misc]
    """waitress's TCP server with a request deadline, an orphan check and a draining stop."""

    channel_class = HardenedChannel
    balance: AcceptBalance | None = None
    my_turn = True  # with a balance: this worker may accept now (decided before each poll)
    draining = False
    stop_requested = False
    force_stop = False

    def readable(self) -> bool:
        """Accept while under the connection limit and (with several workers) not the busiest."""
        return bool(super().readable()) and self.my_turn

    def maintenance(self, now: float) -> None:
        """Besides idle connections, close those whose request has been arriving for too long."""
        super().maintenance(now)
        cutoff = now - REQUEST_TIMEOUT
        for channel in list(self.active_channels.values()):
            request = channel.request
            if request is not None and not channel.requests and getattr(request, "started", now) < cutoff:
                channel.will_close = True

    def request_stop(self) -> None:
        """Begin the drain (safe from a signal handler); a second call stops without waiting."""
        if self.stop_requested:
            self.force_stop = True
        self.stop_requested = True
        self.pull_trigger()

    def serve_until_stopped(self, parent_pid: int | None = None, drain_timeout: float = DRAIN_TIMEOUT) -> int:
        """Serve until request_stop() (or until `parent_pid` is gone), then drain; returns connections cut."""
        while not self.stop_requested:
            timeout = self.adj.asyncore_loop_timeout
            if self.balance is not None:
                # Decided before the poll: a worker that declines must look again soon, or while it
                # sleeps nobody watches the socket (each declines for the other) and accepts stall.
                self.my_turn = self.balance.may_accept(len(self.active_channels))
                timeout = timeout if self.my_turn else AcceptBalance.RECHECK
            wasyncore.loop(timeout=timeout, map=self._map, use_poll=True, count=1)
            if parent_pid is not None and os.getppid() != parent_pid:
                self.stop_requested = True  # the supervisor died: do not linger as an orphan
        self.draining = True
        self.del_channel()
        self.socket.close()  # this process's copy: other processes sharing the socket go on accepting
        deadline = time.monotonic() + drain_timeout
        while self.active_channels and time.monotonic() < deadline and not self.force_stop:
            now = time.time()
            for channel in list(self.active_channels.values()):
                if channel.owes_nothing(now):
                    channel.will_close = True
            wasyncore.loop(timeout=0.2, map=self._map, use_poll=True, count=1)
        cut = len(self.active_channels)
        for channel in list(self.active_channels.values()):
            channel.handle_close()
        self.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        self.trigger.close()
        return cut


def create_server(app: Flask, sock: socket.socket, threads: int, balance: AcceptBalance | None = None) -> HardenedServer:
    """A HardenedServer on an already listening socket, as waitress.create_server(sockets=[sock]) builds one."""
    adj = Adjustments(
        sockets=[sock], threads=threads, ident="kb", clear_untrusted_proxy_headers=True,
        connection_limit=CONNECTION_LIMIT, channel_timeout=IDLE_TIMEOUT, cleanup_interval=5,
        asyncore_use_poll=True, backlog=2048,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(threads)
    sockinfo: tuple[Any, ...] = (sock.family, sock.type, sock.proto, sock.getsockname())
    # The arguments of create_server's own `sockets` branch (waitress 3.0.2, pinned).
    server = HardenedServer(app, {}, True, sock, dispatcher=dispatcher, adj=adj, bind_socket=False, sockinfo=sockinfo)
    server.balance = balance
    return server
