#!/usr/bin/env bash
# Startup to the first frame with the list filled, measured from outside:
# the script takes the time right before exec and the app prints
# startup_ms=<N> after its first painted frame (DENSITO_BENCH=startup).
#
#   tests/bench/startup.sh DATASET [RUNS]
#
# Run it under Xvfb: xvfb-run -a tests/bench/startup.sh /tmp/arak-like 10
set -euo pipefail
dataset=${1:?usage: startup.sh DATASET [RUNS]}
runs=${2:-10}
bin=${DENSITO_BIN:-$(dirname "$0")/../../_build/src/densito}
export GSETTINGS_BACKEND=memory
export GSETTINGS_SCHEMA_DIR=${GSETTINGS_SCHEMA_DIR:-$(dirname "$bin")/../data}
# With /usr/bin/time, each line also gives the process's CPU seconds (user +
# system, all threads) and peak RSS, which a loaded machine disturbs less
# than the wall clock.
for _ in $(seq "$runs"); do
  if [ -x /usr/bin/time ]; then
    { /usr/bin/time -f "cpu_s=%U+%S rss_kb=%M" env DENSITO_BENCH=startup DENSITO_BENCH_T0="$(date +%s%N)" \
        "$bin" "$dataset" 2>&1 >/dev/fd/3 | grep -E "cpu_s|startup_whole"; } 3>&1 | tr '\n' ' '
    echo
  else
    DENSITO_BENCH=startup DENSITO_BENCH_T0=$(date +%s%N) "$bin" "$dataset" 2>/dev/null | grep startup_
  fi
done
