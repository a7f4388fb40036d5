#!/usr/bin/env bash
# Builds what is missing and runs the benchmarks: build/bin/padtimer-bench (the real
# padtimerd against a private mosquitto: latency, timing accuracy, footprint, start-up),
# then build/bin/padtimer-engine-bench (the engine alone, Google Benchmark). bench/README.md
# says what each figure means.
#
#   scripts/bench.sh            the full table (about 4 minutes)
#   scripts/bench.sh --smoke    tiny sizes, a few seconds: proves it builds and works (CI)
#
# Other arguments go to padtimer-bench (build/bin/padtimer-bench --help), e.g.
# `scripts/bench.sh --only latency --latency-zones 1,10`. BUILD_DIR picks the build
# directory (default build).
set -euo pipefail
cd "$(dirname "$0")/.."

build="${BUILD_DIR:-build}"
smoke=0
for arg in "$@"; do
  if [ "$arg" = "--smoke" ]; then smoke=1; fi
done

# The build's own output only when it fails: the table is what this prints.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build"; } >"$log" 2>&1 ||
   ! cmake --build "$build" -j"$(nproc)" --target padtimer-bench padtimer-engine-bench >>"$log" 2>&1; then
  cat "$log"
  echo "bench.sh: the build failed" >&2
  exit 1
fi

"$build/bin/padtimer-bench" "$@"
echo
echo "Engine alone (Google Benchmark): events per second through Engine::handle; the"
echo "argument is the number of zones in session (each with a heat and a cold device)."
if [ "$smoke" = 1 ]; then
  "$build/bin/padtimer-engine-bench" --benchmark_min_time=0.01 --benchmark_filter='/(1|10)$'
else
  "$build/bin/padtimer-engine-bench" --benchmark_min_time=0.1
fi
