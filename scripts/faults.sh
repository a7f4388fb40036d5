#!/usr/bin/env bash
# The fault-injection suite by hand: builds, runs every scenario ROUNDS times its cycles
# (default 1: what CI runs through `ctest -L faults`), and prints the summary. Scenarios run
# one after another; each prints its seed (PADTIMER_FAULT_SEED=N repeats its injection
# moments). Extra arguments go to the test binary, e.g. --gtest_filter='*SIGKILL*'.
#
#   scripts/faults.sh              # ~5 min: 50 broker restarts, 20 SIGKILLs, 10 device
#                                  # faults, 4 wall-clock jumps
#   scripts/faults.sh --rounds 10  # ten times as many cycles (about 40 min)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=1
if [ "${1:-}" = "--rounds" ]; then
  rounds=${2:?--rounds needs a number}
  shift 2
fi

scripts/install-deps.sh
cmake -S . -B build
cmake --build build -j"$(nproc)" --target fault_tests fault_record_tests padtimerd padtimer-sim padtimerctl

rm -rf build/faults
status=0
build/bin/fault_record_tests || status=1
PADTIMER_FAULT_ROUNDS=$rounds build/bin/fault_tests "$@" || status=1
cmake -DDIR=build/faults -P tests/faults/summary.cmake || status=1
exit $status
