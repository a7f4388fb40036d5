#!/usr/bin/env bash
# Installs every Debian 12 package padtimer needs to build, test and run the demo.
# Idempotent: packages already present are left alone and apt is only consulted
# when something is missing. Run as root (or through sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git clang-format
  clang libclang-rt-14-dev
  libgtest-dev googletest libgmock-dev libbenchmark-dev
  libboost-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev
  libspdlog-dev libfmt-dev
  libyaml-cpp-dev
  libsqlite3-dev sqlite3
  mosquitto mosquitto-clients openssl
  libfaketime
  systemd
  tzdata
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
