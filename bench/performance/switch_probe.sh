#!/usr/bin/env bash
# The build-switch probe of issue 26: `kb serve --workers 2` on a copy of corpus/ with vectors,
# wrk sending rotating hybrid queries, and `kb remove` of a document underneath; then every face
# is asked again, and the workers' memory is read before and after.
#   bench/performance/switch_probe.sh [SECONDS=300] [REMOVE_AFTER=8] [PORT=5077]
# Needs wrk (apt-get install wrk). Run from the checkout after `make install`.
set -euo pipefail
D=${1:-300}; AFTER=${2:-8}; PORT=${3:-5077}
ROOT=$(cd "$(dirname "$0")/../.." && pwd); KB="$ROOT/.venv/bin/kb"
WORK=$(mktemp -d); trap 'kill $SERVE 2>/dev/null || true; rm -rf "$WORK"' EXIT
cp -a "$ROOT/corpus" "$WORK/corpus"
"$KB" index --quiet --corpus "$WORK/corpus" --index "$WORK/idx"
"$KB" serve --index "$WORK/idx" --workers 2 --port "$PORT" > "$WORK/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 1; done
for _ in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$PORT/api/search?mode=hybrid&q=surveillance"; done

memory() {  # RSS, PSS and USS (private pages) of the supervisor and each worker, in kB
  for p in $SERVE $(pgrep -P "$SERVE"); do
    rss=$(awk '/^VmRSS/{print $2}' "/proc/$p/status")
    read -r pss uss < <(awk '/^Pss:/{p=$2} /^Private_Clean:/{c=$2} /^Private_Dirty:/{d=$2} END{print p, c+d}' "/proc/$p/smaps_rollup")
    echo "  pid $p RSS $rss kB, PSS $pss kB, USS $uss kB"
  done
}
echo "== memory before"; memory
(sleep "$AFTER"; echo "== kb remove at +${AFTER} s"; "$KB" remove amnesty-ia-droits-humains --corpus "$WORK/corpus" --index "$WORK/idx" 2>&1 | tail -2) &
wrk -t2 -c32 -d"${D}s" --timeout 10s -s "$ROOT/bench/performance/switch_probe.lua" "http://127.0.0.1:$PORT/"
wait %2 2>/dev/null || true
echo "== after the load"
for mode in hybrid lexical; do
  echo -n "  $mode: "
  for q in surveillance reconnaissance+faciale droits+humains vie+priv%C3%A9e biais transparence amnesty action+citoyenne; do
    curl -s -o /dev/null -w '%{http_code} ' "http://127.0.0.1:$PORT/api/search?mode=$mode&q=$q"
  done; echo
done
echo -n "  /recherche: "; for _ in 1 2 3; do curl -s -o /dev/null -w '%{http_code} ' "http://127.0.0.1:$PORT/recherche?q=droits+humains"; done; echo
echo "  health: $(curl -s "http://127.0.0.1:$PORT/api/health" | head -c 300)"
echo "== memory after"; memory
echo "== server log: $(grep -c 'Traceback' "$WORK/serve.log" || true) tracebacks, $(grep -c 'RuntimeWarning' "$WORK/serve.log" || true) RuntimeWarnings"
