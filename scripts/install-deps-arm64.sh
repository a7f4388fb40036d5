#!/usr/bin/env bash
# Installs what the arm64 (Raspberry Pi, 64-bit) cross build needs on a Debian 12 amd64
# machine, next to the native packages of scripts/install-deps.sh: the cross compiler,
# qemu-user to run the arm64 tests, and the arm64 copies of the libraries (Debian
# multiarch, /usr/lib/aarch64-linux-gnu). scripts/cross-arm64.sh runs it first.
#
# Idempotent: nothing is downloaded when everything is there. Never removes or downgrades
# an amd64 package: apt's plan is simulated first and the script stops if it would.
# An arm64 package must have exactly the version of its amd64 twin (Multi-Arch: same), so
# installing, say, libssl3:arm64 can upgrade libssl3 and openssl on amd64 too.
#
# libyaml-cpp-dev is the one -dev package that is not Multi-Arch: same (its arm64 copy
# would replace the amd64 one), so only the runtime library libyaml-cpp0.7:arm64 comes
# through apt; the headers, the CMake config and the .so link of libyaml-cpp-dev:arm64 are
# unpacked from the .deb into $PADTIMER_ARM64_PREFIX (default /opt/padtimer-arm64), where
# cmake/aarch64-linux-gnu.cmake looks for them.
set -euo pipefail

arm64_prefix=${PADTIMER_ARM64_PREFIX:-/opt/padtimer-arm64}

# Host (amd64) tools.
host_packages=(
  g++-aarch64-linux-gnu # the cross compiler; pulls in libc6-dev-arm64-cross
  qemu-user             # qemu-aarch64, dynamically linked; run explicitly, no binfmt_misc
  file                  # cross-arm64.sh checks what the binaries are
  dpkg-dev              # apt-get download and dpkg-deb (below)
)
# Libraries for the target, the same set as scripts/install-deps.sh minus the tools and
# Google Benchmark (the cross build is configured with -DPADTIMER_BUILD_BENCH=OFF).
arm64_packages=(
  pkgconf:arm64 # /usr/bin/aarch64-linux-gnu-pkg-config, which reports arm64 paths
  libboost-dev:arm64
  libpaho-mqttpp-dev:arm64 libpaho-mqtt-dev:arm64 libssl-dev:arm64
  libspdlog-dev:arm64 libfmt-dev:arm64
  libyaml-cpp0.7:arm64 # libyaml-cpp-dev:arm64: see above
  libsqlite3-dev:arm64
  libgtest-dev:arm64 libgmock-dev:arm64
  libfaketime:arm64 # configure looks for it (the fault suite preloads it into padtimerd)
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt or dpkg run instead of failing on its lock.
apt_opts=(-q -o DPkg::Lock::Timeout=600)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

need_update=false
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-deps-arm64: adding the arm64 architecture (dpkg --add-architecture arm64)"
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
  need_update=true
fi

missing=()
for p in "${host_packages[@]}" "${arm64_packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ] && [ "$need_update" = false ]; then
  echo "install-deps-arm64: all $((${#host_packages[@]} + ${#arm64_packages[@]})) packages already installed"
else
  echo "install-deps-arm64: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" update
  # Look at apt's plan before doing it: no amd64 package may be removed or downgraded.
  plan=$(apt-get -s "${apt_opts[@]}" install --no-install-recommends "${missing[@]}")
  if grep -Eq '^Remv |DOWNGRADED' <<<"$plan"; then
    echo "install-deps-arm64: apt would remove or downgrade packages; nothing done:" >&2
    grep -E '^Remv |^Inst .*\[' <<<"$plan" >&2 || true
    exit 1
  fi
  upgrades=$(grep -E '^Inst [^ ]+ \[' <<<"$plan" | cut -d' ' -f2 | tr '\n' ' ' || true)
  if [ -n "$upgrades" ]; then
    echo "install-deps-arm64: upgrading to match the arm64 versions: $upgrades"
  fi
  "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"
fi

# libyaml-cpp-dev for arm64, unpacked into the prefix, same version as the runtime library.
yaml_version=$(dpkg-query -W -f='${Version}' libyaml-cpp0.7:arm64)
stamp=$arm64_prefix/libyaml-cpp-dev.version
if [ "$(cat "$stamp" 2>/dev/null)" != "$yaml_version" ]; then
  echo "install-deps-arm64: unpacking libyaml-cpp-dev:arm64 $yaml_version into $arm64_prefix"
  download_dir=$(mktemp -d)
  trap 'rm -rf "$download_dir"' EXIT
  # As root, apt downloads as its _apt user, which must be able to write there.
  if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$download_dir"; fi
  (cd "$download_dir" && apt-get "${apt_opts[@]}" download "libyaml-cpp-dev:arm64=$yaml_version")
  libdir=$arm64_prefix/usr/lib/aarch64-linux-gnu
  "${sudo_cmd[@]}" rm -rf "$arm64_prefix"
  "${sudo_cmd[@]}" mkdir -p "$arm64_prefix"
  "${sudo_cmd[@]}" dpkg-deb -x "$download_dir"/libyaml-cpp-dev_*_arm64.deb "$arm64_prefix"
  # The CMake config names lib/aarch64-linux-gnu/libyaml-cpp.so.0.7.0 next to itself: point
  # it (and the .so link the .deb brings) at the library apt installed.
  for name in libyaml-cpp.so.0.7.0 libyaml-cpp.so.0.7; do
    "${sudo_cmd[@]}" ln -sfn "/usr/lib/aarch64-linux-gnu/$name" "$libdir/$name"
  done
  echo "$yaml_version" | "${sudo_cmd[@]}" tee "$stamp" >/dev/null
fi
echo "install-deps-arm64: ready (arm64 libyaml-cpp-dev in $arm64_prefix)"
