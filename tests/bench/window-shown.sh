#!/usr/bin/env bash
# Time from starting a program to its window being visible (mapped), taken
# from outside the same way for any program, so that Densito can be compared
# with labelme (issue 4: Densito's first frame within 0.3x the time labelme
# takes to show its window on the same image folder):
#
#   xvfb-run -a tests/bench/window-shown.sh 'labelme' 5 labelme DIR/imge
#   xvfb-run -a tests/bench/window-shown.sh 'Densito|osteo' 5 _build/src/densito DIR
#
# Polls xdotool every 10 ms (its --sync waits in steps of half a second).
set -euo pipefail
pattern=${1:?usage: window-shown.sh NAME-REGEX RUNS COMMAND...}
runs=${2:?usage: window-shown.sh NAME-REGEX RUNS COMMAND...}
shift 2
for _ in $(seq "$runs"); do
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 &
  pid=$!
  until xdotool search --onlyvisible --name "$pattern" >/dev/null 2>&1; do sleep 0.01; done
  t1=$(date +%s%N)
  echo "shown_ms=$(( (t1 - t0) / 1000000 ))"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sleep 0.5
done
