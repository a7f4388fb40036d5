#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer (clang, build-asan/)
# and runs the whole test suite there: padtimerd, padtimer-sim and padtimerctl are
# instrumented too, so the integration tests check them as well. Extra arguments go to
# ctest, e.g. `scripts/sanitize.sh -L devices`.
#
# Installs nothing (scripts/install-deps.sh brings clang and libclang-rt-14-dev). The
# sanitizer options live in CMakePresets.json (test preset "asan"):
#   - any finding aborts the process (halt_on_error, abort_on_error: a sanitized padtimerctl
#     can never pass a finding off as its exit status 1, "refused"); leaks are checked at
#     every exit, with tests/sanitizers/lsan.supp for proven third-party leaks only;
#   - reports are written to build-asan/sanitizer-logs/ (log_path), so one from a child
#     process a test killed or did not wait for still fails this script;
#   - PADTIMER_PROPERTY_SEQUENCES=20000: the property test runs a fifth of its 100,000
#     sequences (it runs ~12x slower under ASan; the normal build runs them all).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v clang++ >/dev/null; then
  echo "sanitize: clang++ not found; run scripts/install-deps.sh (clang, libclang-rt-14-dev)" >&2
  exit 2
fi

cmake --preset asan
cmake --build --preset asan -j"$(nproc)"

logs=build-asan/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
status=0
ctest --preset asan -j"$(nproc)" "$@" || status=$?

reports=("$logs"/*)
if [ -e "${reports[0]}" ]; then
  echo "sanitize: ${#reports[@]} sanitizer report(s) in $logs:" >&2
  for report in "${reports[@]}"; do
    echo "==== $report" >&2
    cat "$report" >&2
  done
  status=1
else
  echo "sanitize: no sanitizer reports in $logs"
fi
exit "$status"
