"""HTTP benchmarks against a real `kb serve`: start-up time, and load from wrk on loopback."""

from __future__ import annotations

import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.performance.queries import BenchQuery


def free_port() -> int:
    """A port the kernel has just handed out, so runs never collide with a server already listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(kb: str, index: Path, port: int, workers: int | None = 1) -> subprocess.Popen:
    """`kb serve` as a child process, output discarded: measured from outside, as a client sees it
    (`workers` None: its default, one per core)."""
    command = [kb, "serve", "--index", str(index), "--port", str(port)] + (["--workers", str(workers)] if workers else [])
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_answering(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Poll until the server answers 200, failing fast if it exits: start-up ends at the first answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kb serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.02)
    raise RuntimeError("kb serve did not answer in time")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s, so a stuck server never outlives the benchmark."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def startup_seconds(kb: str, index: Path, runs: int = 3) -> dict[str, float]:
    """From launching `kb serve` to the first answered search, with an existing index."""
    times = []
    for _ in range(runs):
        port = free_port()
        start = time.perf_counter()
        proc = _serve(kb, index, port)
        try:
            wait_until_answering(f"http://127.0.0.1:{port}/api/search?q=surveillance", proc)
            times.append(time.perf_counter() - start)
        finally:
            stop(proc)
    return {"median": statistics.median(times), "max": max(times), "runs": runs}


def rss_mb(pid: int) -> dict[str, float]:
    """The serving process's memory; with several workers, the largest worker's (the supervisor only forks)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    pids = [int(c) for c in children] or [pid]

    def get(p: int, key: str) -> float:
        """One memory line of /proc/PID/status in MB."""
        status = Path(f"/proc/{p}/status").read_text()
        return int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1)) / 1024  # type: ignore[union-attr]

    return {"rss_mb": max(get(p, "VmRSS") for p in pids), "peakrss_mb": max(get(p, "VmHWM") for p in pids), "processes": len(pids)}


_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def _parse_wrk(out: str) -> dict[str, Any]:
    """wrk's text report as numbers: wrk has no machine-readable output."""
    def ms(value: str) -> float:
        """wrk's '1.23ms' / '4.5s' as milliseconds."""
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    latency = {m.group(1): ms(m.group(2)) for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "latency_ms": latency,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in sock.groups()) if sock else 0,
    }


def run_wrk(kb: str, index: Path, duration: int, queries: list[BenchQuery], connections: int = 16, workers: int | None = 1,
            mode: str = "hybrid") -> dict[str, Any]:
    """wrk with `connections` connections for `duration` s on /api/search?mode=`mode`, queries in
    rotation, against a fresh `kb serve --workers N` (1: waitress in one process; more: forked
    waitress workers on one socket), so no query embedding is cached when the run starts."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk not installed (apt-get install wrk)"}
    paths = []
    queries = list({(q.text, q.categories): q for q in queries}.values())  # distinct: each new to the server
    for q in queries:
        params = [("q", q.text), ("mode", mode)] + [("category", c) for c in q.categories]
        paths.append('"/api/search?' + urlencode(params).replace('"', "%22") + '"')
    port = free_port()
    proc = _serve(kb, index, port, workers)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % ", ".join(paths))
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/api/health", proc)
        before = rss_mb(proc.pid)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s", "-s", script.name, f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        ).stdout
        result = _parse_wrk(out)
        result.update({"workers": workers or before["processes"], "mode": mode, "distinct_queries": len(queries), "connections": connections, "duration_s": duration, "memory_before": before, "memory_after": rss_mb(proc.pid), "raw": out})
        return result
    finally:
        stop(proc)
        Path(script.name).unlink(missing_ok=True)
