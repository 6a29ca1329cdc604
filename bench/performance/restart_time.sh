#!/bin/bash
# Usage: bench/performance/restart_time.sh [INDEX]  (after `make serve` has built var/index once)
# `kb serve --workers 1` restarted with warm caches: wall seconds until /api/health answers 200,
# and the CPU seconds the process used by then (independent of other load); three runs.
set -u
INDEX=${1:-var/index}
KB=${KB:-.venv/bin/kb}
tck=$(getconf CLK_TCK)
for i in 1 2 3; do
  start=$(date +%s.%N)
  "$KB" serve --workers 1 --index "$INDEX" --host 127.0.0.1 --port 5799 >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null http://127.0.0.1:5799/api/health; do sleep 0.05; done
  end=$(date +%s.%N)
  cpu=$(awk -v t=$tck '{print ($14+$15)/t}' /proc/$pid/stat)
  echo "run $i: $(echo "$end - $start" | bc) s wall, $cpu s CPU; load $(cut -d' ' -f1 /proc/loadavg)"
  kill -TERM $pid; wait $pid 2>/dev/null
done
