#!/usr/bin/env bash
# Cross-builds padtimer for arm64 (Raspberry Pi OS 64-bit, Debian arm64) into build-arm64/
# with cmake/aarch64-linux-gnu.cmake, checks that the programs are aarch64 binaries, runs the
# tests under qemu-user (no binfmt_misc needed) and makes the Debian package
# build-arm64/package-out/padtimer_<version>_arm64.deb (scripts/package.sh).
# Tests: the labels core, property (fewer sequences), devices, daemon, fuzz (corpus replay),
# package, and integration, where mosquitto runs natively and padtimerd, padtimer-sim,
# padtimerctl and the test programs run as arm64 binaries under qemu.
# Left out: the fault suite (label faults: many minutes natively), lint (the same on every
# architecture), install_layout (scripts/check-install.sh runs the installed arm64 padtimerd
# directly, which needs binfmt_misc) and the web panel (JavaScript, the same everywhere).
#
# Usage: scripts/cross-arm64.sh [extra ctest arguments, e.g. --output-on-failure]
# Environment: PADTIMER_PROPERTY_SEQUENCES (default here 2000; natively 100,000),
# PADTIMER_ARM64_INTEGRATION (ctest -R regex of the integration tests; default all of them,
# e.g. '^(Daemon|Padtimerd|DaemonConfig|PadtimerdArguments|MissedSchedule)\.' for the
# daemon end-to-end ones only), JOBS (default 2).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-arm64
jobs=${JOBS:-2}
export PADTIMER_PROPERTY_SEQUENCES=${PADTIMER_PROPERTY_SEQUENCES:-2000}
integration=${PADTIMER_ARM64_INTEGRATION:-.}

now() { date +%s; }
step() { echo "cross-arm64: $1 ($(($(now) - $2)) s)"; }
# Runs a step with its output in $logs/NAME.log, shown (the end of it) only if it fails.
logs=$build/cross-logs
quiet() {
  local name=$1
  shift
  mkdir -p "$logs"
  if ! "$@" >"$logs/$name.log" 2>&1; then
    tail -n 40 "$logs/$name.log" >&2
    echo "cross-arm64: $name failed (whole output: $logs/$name.log)" >&2
    exit 1
  fi
}

t=$(now)
"$root/scripts/install-deps-arm64.sh"
step "packages ready" "$t"

# Release, but -O2 as the native build (CMake's Release default -O3 only compiles longer).
# No debug info: RelWithDebInfo takes about 40% longer to build.
# The .deb's Depends come from dpkg-shlibdeps, which finds the arm64 libraries' shlibs
# files because they are installed as multiarch packages.
t=$(now)
quiet configure cmake -S "$root" -B "$build" \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DPADTIMER_BUILD_BENCH=OFF -DPADTIMER_BUILD_WEB=OFF -DPADTIMER_DEB_SHLIBDEPS=ON
step "configured $build" "$t"

# Everything (the fault suite too, so all of the code is known to cross-compile). Building
# a test executable also lists its tests, through qemu (gtest_discover_tests).
t=$(now)
quiet build cmake --build "$build" -j "$jobs"
step "built" "$t"

for program in padtimerd padtimerctl padtimer-sim; do
  description=$(file -b "$build/bin/$program")
  if [[ $description != *"ARM aarch64"* ]]; then
    echo "cross-arm64: $program is not an arm64 binary: $description" >&2
    exit 1
  fi
done
echo "cross-arm64: padtimerd, padtimerctl, padtimer-sim are ELF 64-bit ARM aarch64"

# One ctest run per group, each printing its count; the full output is in $logs.
failed=()
run() {
  local name=$1 t0 status=0
  shift
  t0=$(now)
  ctest --test-dir "$build" -j "$jobs" --no-tests=error "$@" >"$logs/$name.log" 2>&1 || status=$?
  echo "cross-arm64: $name: $(grep -E '^[0-9]+% tests passed' "$logs/$name.log" || echo 'no tests ran')"
  grep -E '\*\*\*' "$logs/$name.log" | sed 's/^/    /' || true
  if [ "$status" -ne 0 ]; then
    failed+=("$name")
    echo "    ctest failed (status $status): whole output in $logs/$name.log"
  fi
  step "$name done" "$t0"
}

t=$(now)
run core -L '^core$' -LE property "$@"
run property -L '^property$' "$@" # PADTIMER_PROPERTY_SEQUENCES sequences
run devices -L '^devices$' "$@"
run daemon -L '^daemon$' -LE integration -E '^install_layout$' "$@"
run fuzz -L '^fuzz$' "$@"
run package -L '^package$' "$@"
run integration -L '^integration$' -R "$integration" "$@"
step "tests done" "$t"

t=$(now)
quiet package env BUILD_DIR="$build" "$root/scripts/package.sh"
step "package: $(ls "$build"/package-out/padtimer_*_arm64.deb)" "$t"

if [ ${#failed[@]} -ne 0 ]; then
  echo "cross-arm64: FAILED: ${failed[*]} (logs in $logs)" >&2
  exit 1
fi
echo "cross-arm64: all passed"
