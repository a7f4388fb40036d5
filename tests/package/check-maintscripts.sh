#!/usr/bin/env bash
# Runs the package's maintainer scripts (packaging/deb/) the way dpkg calls them, against a
# scratch root ($DPKG_ROOT) with stand-ins for the commands that would change this machine
# (addgroup, getent, chown, dpkg-statoverride, deb-systemd-helper, deb-systemd-invoke,
# systemctl), and checks what they do: the group and the config's 0640 root:padtimer on
# configure unless a dpkg-statoverride exists, the service neither enabled nor started, the
# state kept on remove and deleted on purge. Run by ctest (test deb_maintainer_scripts).
set -euo pipefail
scripts=${1:?usage: check-maintscripts.sh PACKAGING_DEB_DIR}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "check-maintscripts: $*" >&2
  exit 1
}

# Stand-ins: each logs its command line to $CALLS; getent and dpkg-statoverride answer from
# STUB_GROUP and STUB_STATOVERRIDE.
stubs=$tmp/stubs
mkdir "$stubs"
for cmd in addgroup chown deb-systemd-helper deb-systemd-invoke systemctl; do
  printf '#!/bin/sh\necho "%s $*" >>"$CALLS"\n' "$cmd" >"$stubs/$cmd"
done
cat >"$stubs/getent" <<'EOF'
#!/bin/sh
echo "getent $*" >>"$CALLS"
[ -n "${STUB_GROUP:-}" ] && echo "padtimer:x:998:" && exit 0
exit 2
EOF
cat >"$stubs/dpkg-statoverride" <<'EOF'
#!/bin/sh
echo "dpkg-statoverride $*" >>"$CALLS"
[ -n "${STUB_STATOVERRIDE:-}" ] && echo "root adm 0600 /etc/padtimer/padtimer.yaml" && exit 0
exit 1
EOF
chmod +x "$stubs"/*

# run ROOT SCRIPT ARGS...: the script under sh (dash on Debian) with the stand-ins first in PATH.
run() {
  local root=$1 script=$2
  shift 2
  : >"$tmp/calls"
  env PATH="$stubs:$PATH" DPKG_ROOT="$root" CALLS="$tmp/calls" sh "$scripts/$script" "$@" 2>"$tmp/stderr"
}
called() { grep -qx -- "$1" "$tmp/calls"; }
mode() { stat -c %a "$1"; }

new_root() {
  local root=$tmp/$1
  mkdir -p "$root/etc/padtimer"
  echo "mqtt: {url: 'mqtt://localhost:1883'}" >"$root/etc/padtimer/padtimer.yaml"
  chmod 0640 "$root/etc/padtimer/padtimer.yaml"
  echo "$root"
}

# 1. First install: the group is created, the config becomes root:padtimer 0640, the unit is
#    recorded for purge but not enabled, and nothing is started.
root=$(new_root fresh)
chmod 0644 "$root/etc/padtimer/padtimer.yaml"
run "$root" postinst configure "" || fail "postinst configure failed: $(cat "$tmp/stderr")"
called "addgroup --system --quiet padtimer" || fail "postinst did not create the group: $(cat "$tmp/calls")"
called "chown root:padtimer $root/etc/padtimer/padtimer.yaml" || fail "postinst did not chown the config"
[ "$(mode "$root/etc/padtimer/padtimer.yaml")" = 640 ] || fail "config mode $(mode "$root/etc/padtimer/padtimer.yaml")"
called "deb-systemd-helper update-state padtimerd.service" || fail "postinst did not record the unit"
! grep -Eq 'enable|start|systemctl' "$tmp/calls" || fail "postinst enabled or started something: $(cat "$tmp/calls")"
[ ! -s "$tmp/stderr" ] || fail "postinst printed: $(cat "$tmp/stderr")"

# 2. Upgrade with the group there and the administrator's dpkg-statoverride: both kept.
root=$(new_root override)
chmod 0600 "$root/etc/padtimer/padtimer.yaml"
STUB_GROUP=1 STUB_STATOVERRIDE=1 run "$root" postinst configure 0.0.9 || fail "postinst (upgrade) failed"
! grep -q '^addgroup' "$tmp/calls" || fail "postinst created an existing group"
! grep -q '^chown' "$tmp/calls" || fail "postinst overrode dpkg-statoverride"
[ "$(mode "$root/etc/padtimer/padtimer.yaml")" = 600 ] || fail "postinst changed the statoverride's mode"
# (In a dpkg --root target there is no running systemd to restart anything in.)
! grep -Eq 'systemctl|invoke' "$tmp/calls" || fail "postinst talked to systemd for a DPKG_ROOT target"

# 3. A unit from `cmake --install` would shadow the package's: the postinst says so.
root=$(new_root shadowed)
mkdir -p "$root/usr/local/lib/systemd/system"
touch "$root/usr/local/lib/systemd/system/padtimerd.service"
STUB_GROUP=1 run "$root" postinst configure "" || fail "postinst failed with a shadowing unit"
grep -q '/usr/local/lib/systemd/system/padtimerd.service overrides' "$tmp/stderr" ||
  fail "postinst did not warn about the /usr/local unit: $(cat "$tmp/stderr")"

# 4. Remove keeps the state; purge deletes it (the DynamicUser= directory and its link) and
#    the enable-link record, and leaves the rest of /var/lib/private alone.
root=$(new_root purge)
mkdir -p "$root/var/lib/private/padtimer" "$root/var/lib/private/other"
echo db >"$root/var/lib/private/padtimer/padtimer.db"
ln -s private/padtimer "$root/var/lib/padtimer"
run "$root" prerm remove || fail "prerm remove failed"
run "$root" postrm remove || fail "postrm remove failed"
[ -f "$root/var/lib/padtimer/padtimer.db" ] || fail "postrm remove deleted the state"
run "$root" postrm purge || fail "postrm purge failed"
[ ! -e "$root/var/lib/private/padtimer" ] && [ ! -L "$root/var/lib/padtimer" ] ||
  fail "postrm purge left the state behind"
[ -d "$root/var/lib/private/other" ] || fail "postrm purge removed more than padtimer's state"
called "deb-systemd-helper purge padtimerd.service" || fail "postrm purge did not purge the unit's links"

# 5. Every script refuses an action it does not know, and accepts dpkg's other ones.
for s in postinst prerm postrm; do
  ! run "$root" "$s" bogus-action || fail "$s accepted an unknown action"
done
run "$root" postinst abort-upgrade 0.0.9 || fail "postinst abort-upgrade failed"
run "$root" prerm upgrade 0.2.0 || fail "prerm upgrade failed"
! grep -q stop "$tmp/calls" || fail "prerm stops padtimerd on upgrade"
run "$root" postrm upgrade 0.2.0 || fail "postrm upgrade failed"

echo "check-maintscripts: ok"
