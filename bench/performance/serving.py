"""Serving under slow and hostile clients: wrk on /api/search with and without sockets that send
their request headers one byte a second, and whether a normal client is answered in < 1 s.

    python -m bench.performance.serving --index /tmp/srv-index --label NAME -- kb serve --port {port} ...

The command is any server listening on 127.0.0.1:{port}; the rows are appended to --out (JSON lines)."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.performance.http import _LUA, _parse_wrk, free_port, stop, wait_until_answering
from bench.performance.queries import build_queries
from kb.storage.store import KnowledgeBase

SLOW_HEAD = b"GET /api/search?q=surveillance HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "


class SlowClients:
    """`n` sockets that each send one more header byte a second and never finish (reconnecting if cut)."""

    def __init__(self, port: int, n: int) -> None:
        """Nothing connects before the context is entered: the server must be up first."""
        self.port, self.n = port, n
        self.reconnects = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _connect(self) -> tuple[socket.socket, int]:
        """A non-blocking socket with 0 bytes sent: a send never stalls the other slow clients."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.setblocking(False)
        return sock, 0

    def _run(self) -> None:
        """One byte per socket per second until stopped, reconnecting those the server cut."""
        conns = [self._connect() for _ in range(self.n)]
        while not self._stop.is_set():
            for i, (sock, sent) in enumerate(conns):
                byte = SLOW_HEAD[sent:sent + 1] or b"a"
                try:
                    sock.send(byte)
                    conns[i] = (sock, sent + 1)
                except (BlockingIOError, OSError):
                    sock.close()
                    self.reconnects += 1
                    try:
                        conns[i] = self._connect()
                    except OSError:
                        pass
            self._stop.wait(1.0)
        for sock, _ in conns:
            sock.close()

    def __enter__(self) -> SlowClients:
        """Start trickling and wait until every socket is connected, so the measured run has them all."""
        if self.n:
            self._thread.start()
            time.sleep(3)  # every socket connected and has started its headers
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop and close every socket before the next row's server starts."""
        self._stop.set()
        if self.n:
            self._thread.join()


def probe(port: int, n: int = 10, timeout: float = 2.0) -> dict[str, Any]:
    """`n` sequential fresh-connection searches: how many were answered in under 1 s, and the slowest."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("GET", "/api/search?q=reconnaissance+faciale")
            ok = conn.getresponse().status == 200
        except OSError:
            ok = False
        finally:
            conn.close()
        times.append(time.perf_counter() - start if ok else float("inf"))
    return {"answered_under_1s": sum(t < 1 for t in times), "probes": n, "slowest_s": max(times)}


def wrk(port: int, connections: int, duration: int, script: str) -> dict[str, Any]:
    """wrk -t1 on loopback with the rotating query script."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s", "-s", script, f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout
    result = _parse_wrk(out)
    result["raw"] = out
    return result


def _script(index: Path, n: int) -> str:
    """A wrk Lua script rotating through the `make bench` query set, so rows load the server alike."""
    paths = []
    for q in build_queries(KnowledgeBase(index), n):
        params = [("q", q.text)] + [("category", c) for c in q.categories]
        paths.append('"/api/search?' + urlencode(params).replace('"', "%22") + '"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % ", ".join(paths))
    return script.name


def _cpu_times() -> tuple[float, float]:
    """(busy, total) core-seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - fields[3] - fields[4]) / tick, sum(fields) / tick


def wait_quiet(limit: float = 0.15, patience: float = 300) -> float:
    """Wait (up to `patience` s) until other work leaves the cores idle; returns the busy share seen."""
    deadline = time.monotonic() + patience
    while True:
        busy0, total0 = _cpu_times()
        time.sleep(2)
        busy1, total1 = _cpu_times()
        busy = (busy1 - busy0) / max(0.01, total1 - total0)
        if busy <= limit or time.monotonic() > deadline:
            return busy


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time used so far by `pid` and by each of its descendants (user + system)."""
    tick = os.sysconf("SC_CLK_TCK")
    out, todo = {}, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            todo += [int(c) for t in Path(f"/proc/{p}/task").iterdir() for c in (t / "children").read_text().split()]
        except FileNotFoundError:
            continue
        out[p] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _own_seconds() -> float:
    """CPU of this process (slow clients, probe) and of its waited-for children (wrk)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_row(command: list[str], connections: int, n_slow: int, duration: int, script: str) -> dict[str, Any]:
    """One fresh server, one wrk run (with `n_slow` slow clients connected), then the probe.

    `foreign_cpu_s` is what the machine spent on anything else meanwhile (this machine is shared)."""
    port = free_port()
    proc = subprocess.Popen([c.replace("{port}", str(port)) for c in command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/api/health", proc)
        wait_quiet()
        with SlowClients(port, n_slow) as slow_clients:
            machine0, server0, own0 = _cpu_times()[0], cpu_seconds(proc.pid), _own_seconds()
            result = wrk(port, connections, duration, script)
            machine1, server1, own1 = _cpu_times()[0], cpu_seconds(proc.pid), _own_seconds()
            probed = probe(port) if n_slow else None
        server = {p: server1[p] - server0.get(p, 0) for p in server1}
        result.update({
            "connections": connections, "slow_clients": n_slow, "probe": probed, "reconnects": slow_clients.reconnects,
            "server_cpu_s": sorted((round(v, 1) for v in server.values()), reverse=True),
            "foreign_cpu_s": round(max(0.0, machine1 - machine0 - sum(server.values()) - (own1 - own0)), 1),
        })
        return result
    finally:
        stop(proc)


def measure(label: str, command: list[str], index: Path, duration: int, slow: int = 64, attempts: int = 3) -> list[dict[str, Any]]:
    """{16, 256} connections x {0, `slow`} slow clients; each row retried while other work disturbed it."""
    script = _script(index, 240)
    quiet = 0.05 * duration * (os.cpu_count() or 1)
    rows = []
    try:
        for connections in (16, 256):
            for n_slow in (0, slow):
                tries = []
                for _ in range(attempts):
                    tries.append(run_row(command, connections, n_slow, duration, script))
                    if tries[-1]["foreign_cpu_s"] <= quiet:
                        break
                best = min(tries, key=lambda r: r["foreign_cpu_s"])
                best.update({"label": label, "attempts": len(tries)})
                rows.append(best)
                print(json.dumps({k: v for k, v in best.items() if k != "raw"}), flush=True)
    finally:
        Path(script).unlink(missing_ok=True)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as the Markdown table of docs/benchmarks.md."""
    lines = ["| server | connections | slow clients | requests/s | p50 / p99 latency | wrk socket errors | normal client answered in < 1 s |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        probe = r["probe"]
        answered = "—" if probe is None else f"{'yes' if probe['answered_under_1s'] == probe['probes'] else 'no'} ({probe['answered_under_1s']}/{probe['probes']})"
        latency = "—" if not r["requests"] else f"{r['latency_ms']['50']:.0f} / {r['latency_ms']['99']:.0f} ms"
        lines.append(f"| {r['label']} | {r['connections']} | {r['slow_clients']} | {r['rps']:.0f} | {latency} | {r['socket_errors']} | {answered} |")
    return "\n".join(lines)


def main() -> None:
    """Measure one server command and append its rows to --out, or print --out as the docs table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--label")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path("bench/results/serving.jsonl"))
    parser.add_argument("--table", action="store_true", help="print --out as a Markdown table and stop")
    parser.add_argument("command", nargs="*")
    args = parser.parse_args()
    if args.table:
        print(table([json.loads(line) for line in args.out.read_text(encoding="utf-8").splitlines() if line.strip()]))
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not installed (apt-get install wrk)")
    rows = measure(args.label, args.command, args.index, args.duration)
    with args.out.open("a", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
