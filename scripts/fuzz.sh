#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang into build-fuzz/ and runs each one
# for SECONDS (default 60), FUZZ_JOBS targets at a time (default: the number of cores).
#
#   scripts/fuzz.sh [SECONDS]
#
# Installs nothing (scripts/install-deps.sh brings clang and libclang-rt-14-dev). Each
# target starts from a copy of its seeds (tests/fuzz/corpus/<target>/ and
# tests/fuzz/regressions/<target>/) in build-fuzz/fuzz-run/<target>/, so the repository is
# never modified; crash inputs go to build-fuzz/crashes/<target>/. Prints one line per
# target and exits 1 if any target crashed. A crash input, once fixed, belongs in
# tests/fuzz/regressions/<target>/: the normal build replays it on every run (label fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
if ! [[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (SECONDS: a whole number, default 60)" >&2
  exit 2
fi
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found; run scripts/install-deps.sh (clang, libclang-rt-14-dev)" >&2
  exit 2
fi

cmake --preset fuzz >/dev/null
cmake --build build-fuzz --target padtimer_fuzzers -j"$(nproc)"

targets=()
for dir in tests/fuzz/corpus/*/; do
  targets+=("$(basename "$dir")")
done

run_dir=build-fuzz/fuzz-run
rm -rf "$run_dir" build-fuzz/crashes
mkdir -p "$run_dir"

run_one() {
  local target=$1 work=$run_dir/$1 dict=tests/fuzz/dict/json.dict
  [ "$target" = config ] && dict=tests/fuzz/dict/yaml.dict
  mkdir -p "$work/corpus" "build-fuzz/crashes/$target"
  cp tests/fuzz/corpus/"$target"/* "$work/corpus/"
  if [ -d "tests/fuzz/regressions/$target" ]; then
    cp tests/fuzz/regressions/"$target"/* "$work/corpus/" 2>/dev/null || true
  fi
  local status=0
  # halt_on_error etc.: the first finding stops the target with its input saved.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "build-fuzz/bin/fuzz_$target" "$work/corpus" -dict="$dict" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$target/" >"$work/log" 2>&1 || status=$?
  echo "$status" >"$work/status"
}

children=()
stop_children() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  exit 130
}
trap stop_children INT TERM

echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $jobs at a time"
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_one "$target" &
  children+=("$!")
done
wait || true

# libFuzzer's -print_final_stats lines, e.g. "stat::average_exec_per_sec:   5120".
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }

failed=0
for target in "${targets[@]}"; do
  work=$run_dir/$target
  log=$work/log
  execs=$(final_stat "$log" number_of_executed_units)
  rate=$(final_stat "$log" average_exec_per_sec)
  corpus=$(find "$work/corpus" -type f | wc -l)
  crashes=$(find "build-fuzz/crashes/$target" -type f | wc -l)
  status=$(cat "$work/status" 2>/dev/null || echo "?")
  printf 'fuzz %-12s execs %10s  exec/s %6s  corpus %5s  crashes %s\n' \
    "$target" "${execs:-?}" "${rate:-?}" "$corpus" "$crashes"
  if [ "$crashes" -ne 0 ] || [ "$status" != 0 ]; then
    failed=1
    echo "---- $target (exit status $status): the end of $log" >&2
    tail -n 40 "$log" >&2
    for f in "build-fuzz/crashes/$target"/*; do
      [ -e "$f" ] && echo "reproduce: build-fuzz/bin/fuzz_$target $f" >&2
    done
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED; once fixed, copy each crash input to tests/fuzz/regressions/<target>/" >&2
  exit 1
fi
echo "fuzz: no crashes"
