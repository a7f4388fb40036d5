#!/usr/bin/env bash
# Checks `cmake --install` from build directory $1 into a scratch DESTDIR: every file in its
# place, the unit's programs where it runs them, the installed config valid, and an existing
# /etc/padtimer/padtimer.yaml kept on a second install. Run by ctest (test install_layout).
set -euo pipefail
build=${1:?usage: check-install.sh BUILD_DIR}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

DESTDIR=$dest cmake --install "$build" --prefix /usr/local >/dev/null
fail() { echo "check-install: $*" >&2; exit 1; }
for f in usr/local/bin/padtimerd usr/local/bin/padtimerctl usr/local/bin/padtimer-sim \
  usr/local/lib/systemd/system/padtimerd.service etc/padtimer/padtimer.yaml \
  usr/local/share/doc/padtimer/padtimer.full.yaml; do
  [ -e "$dest/$f" ] || fail "missing /$f"
done
for f in padtimerd padtimerctl padtimer-sim; do
  [ -x "$dest/usr/local/bin/$f" ] || fail "/usr/local/bin/$f is not executable"
done
# The unit runs what was installed, with the installed config.
grep -o '^Exec[A-Za-z]*=[^ ]*' "$dest/usr/local/lib/systemd/system/padtimerd.service" |
  cut -d= -f2 | grep -v '^/bin/kill$' | while read -r program; do
  [ -x "$dest$program" ] || fail "the unit runs $program, which is not installed"
done
grep -q -- '--config /etc/padtimer/padtimer.yaml' "$dest/usr/local/lib/systemd/system/padtimerd.service" ||
  fail "the unit does not use /etc/padtimer/padtimer.yaml"
"$dest/usr/local/bin/padtimerd" --check-config "$dest/etc/padtimer/padtimer.yaml" >/dev/null ||
  fail "the installed config is not valid"

# A second install never replaces the user's config.
echo "# edited by the user" >>"$dest/etc/padtimer/padtimer.yaml"
DESTDIR=$dest cmake --install "$build" --prefix /usr/local >/dev/null
grep -q "edited by the user" "$dest/etc/padtimer/padtimer.yaml" || fail "a reinstall replaced the config"
echo "check-install: ok ($(find "$dest" -type f | wc -l) files)"
