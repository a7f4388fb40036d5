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
  dpkg-dev file  # cpack -G DEB: dpkg-shlibdeps, file
  chromium
)
# The web panel (web/) needs node and npm; a node from elsewhere (e.g. NodeSource's nodejs,
# which brings its own npm) is kept: Debian's npm would conflict with it.
if ! command -v node >/dev/null; then
  packages+=(nodejs npm)
elif ! command -v npm >/dev/null; then
  echo "install-deps: node is there but npm is not; the web panel needs npm" >&2
fi

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
