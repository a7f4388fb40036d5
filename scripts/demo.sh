#!/usr/bin/env bash
# Sets everything up and runs the demo. Today that is the safety engine's walkthrough in
# simulated time (a full routine, a rest-interval refusal, an over-temperature cutoff,
# a daily-cap refusal). The MQTT demo with a private broker, simulated pads and padtimerd
# replaces it when the daemon lands.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build
cmake --build build -j"$(nproc)" --target padtimer-walkthrough
build/bin/padtimer-walkthrough "$@"
