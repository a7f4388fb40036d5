# Toolchain file: cross-build padtimer for 64-bit ARM Linux (Raspberry Pi OS 64-bit,
# Debian arm64) on a Debian 12 amd64 machine.
#
#   scripts/install-deps-arm64.sh       # cross compiler, qemu-user, arm64 -dev packages
#   cmake -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DCMAKE_BUILD_TYPE=Release -DPADTIMER_BUILD_BENCH=OFF
#   cmake --build build-arm64 -j2 && ctest --test-dir build-arm64 -L core
#
# scripts/cross-arm64.sh does all of it and runs the tests that fit in CI.
#
# The arm64 libraries are Debian multiarch packages (libpaho-mqttpp-dev:arm64 ...)
# installed into the host's own /usr, in /usr/lib/aarch64-linux-gnu, not in a separate
# sysroot. So there is no CMAKE_FIND_ROOT_PATH: CMAKE_LIBRARY_ARCHITECTURE makes
# find_package/find_library look in /usr/lib/aarch64-linux-gnu (and its cmake/ configs),
# never in /usr/lib/x86_64-linux-gnu, while find_program still finds the host's programs
# (mosquitto, sqlite3, openssl, systemd-analyze) that the tests run natively. This is how
# Debian itself cross-builds CMake packages.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# FindOpenSSL (reached through Paho's CMake config) asks pkg-config for hints: the host's
# pkg-config would answer with the amd64 libssl. This one (package pkgconf:arm64) reads
# the arm64 .pc files.
find_program(PADTIMER_ARM64_PKG_CONFIG aarch64-linux-gnu-pkg-config)
if(PADTIMER_ARM64_PKG_CONFIG)
  set(PKG_CONFIG_EXECUTABLE ${PADTIMER_ARM64_PKG_CONFIG} CACHE FILEPATH "pkg-config for arm64")
endif()

# libyaml-cpp-dev is not Multi-Arch: same (its arm64 copy would replace the amd64 one), so
# scripts/install-deps-arm64.sh unpacks the arm64 .deb under this prefix instead.
set(PADTIMER_ARM64_PREFIX "/opt/padtimer-arm64" CACHE PATH
  "Where scripts/install-deps-arm64.sh unpacked libyaml-cpp-dev:arm64")
if(EXISTS ${PADTIMER_ARM64_PREFIX}/usr)
  list(APPEND CMAKE_PREFIX_PATH ${PADTIMER_ARM64_PREFIX}/usr)
endif()

# Everything that runs a built program at build or test time goes through qemu: ctest,
# gtest_discover_tests (which lists each test executable's tests at build time) and
# add_test(COMMAND <target>). No binfmt_misc registration is needed. The arm64 dynamic
# loader, /lib/ld-linux-aarch64.so.1, comes from libc6:arm64, so no -L is needed either
# (QEMU_LD_PREFIX in the environment still overrides it).
find_program(PADTIMER_QEMU_AARCH64 qemu-aarch64)
if(PADTIMER_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PADTIMER_QEMU_AARCH64})
endif()
