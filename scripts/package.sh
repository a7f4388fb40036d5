#!/usr/bin/env bash
# Builds the Debian package from an existing build: brings the three programs up to date
# (incremental, nothing from scratch), runs `cpack -G DEB` into $BUILD_DIR/package-out and
# prints the .deb's path, control fields and file list. BUILD_DIR defaults to build/; a build
# directory that is not configured yet is configured first.
# Usage: scripts/package.sh            BUILD_DIR=build-pkg scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build"
fi
# Re-runs the configure step when CMakeLists or the unit changed, then links what is stale.
cmake --build "$build" -j"$(nproc)" --target padtimerd padtimerctl padtimer-sim
out=$build/package-out
rm -rf "$out"
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$out"
deb=$(ls "$out"/*.deb)
echo
echo "package: $deb"
dpkg-deb -I "$deb"
dpkg-deb -c "$deb"
