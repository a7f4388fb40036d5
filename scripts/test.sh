#!/usr/bin/env bash
# Sets everything up and runs every test: installs the Debian packages (idempotent),
# configures and builds into build/, then runs CTest. Extra arguments go to ctest,
# e.g. `scripts/test.sh -L core` or `scripts/test.sh -L property`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
