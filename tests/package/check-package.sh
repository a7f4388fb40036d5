#!/usr/bin/env bash
# Builds the .deb from an already built tree into a scratch directory (cpack -B, so nothing is
# shared with another cpack run) and inspects it with dpkg-deb: exactly the expected files with
# their modes, the unit with /usr/bin paths and the source unit's hardening, the config as a
# conffile that is valid and has no schedules, the control fields and dependencies (no
# mosquitto), the maintainer scripts, and the extracted programs running. Run by ctest
# (test deb_package, label package).
set -euo pipefail
build=${1:?usage: check-package.sh BUILD_DIR SOURCE_DIR VERSION ARCH CPACK}
source=${2:?}
version=${3:?}
arch=${4:?}
cpack=${5:?}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "check-package: $*" >&2
  exit 1
}

"$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
debs=("$tmp"/out/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one .deb, got: ${debs[*]}"
deb=${debs[0]}
[ "$(basename "$deb")" = "padtimer_${version}_${arch}.deb" ] || fail "unexpected file name $(basename "$deb")"

# --- The files: exactly these, with these modes, all root-owned.
dpkg-deb -c "$deb" >"$tmp/contents"
awk '$6 !~ /\/$/ { print $1, $2, $6 }' "$tmp/contents" | sort -k3 >"$tmp/files"
sort -k3 >"$tmp/expected" <<'EOF'
-rw-r----- root/root ./etc/padtimer/padtimer.yaml
-rw-r--r-- root/root ./lib/systemd/system/padtimerd.service
-rwxr-xr-x root/root ./usr/bin/padtimer-sim
-rwxr-xr-x root/root ./usr/bin/padtimerctl
-rwxr-xr-x root/root ./usr/bin/padtimerd
-rw-r--r-- root/root ./usr/share/doc/padtimer/README.md
-rw-r--r-- root/root ./usr/share/doc/padtimer/README.systemd.md
-rw-r--r-- root/root ./usr/share/doc/padtimer/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/padtimer/copyright
-rw-r--r-- root/root ./usr/share/doc/padtimer/examples/padtimer.demo.yaml
-rw-r--r-- root/root ./usr/share/doc/padtimer/examples/padtimer.full.yaml
-rw-r--r-- root/root ./usr/share/doc/padtimer/examples/padtimer.minimal.yaml
-rw-r--r-- root/root ./usr/share/lintian/overrides/padtimer
EOF
diff -u "$tmp/expected" "$tmp/files" >&2 || fail "the package's files differ from the expected list (- expected, + found)"
# Directories: the standard 0755 root/root.
awk '$6 ~ /\/$/ && ($1 != "drwxr-xr-x" || $2 != "root/root") { print }' "$tmp/contents" >"$tmp/baddirs"
[ ! -s "$tmp/baddirs" ] || fail "directories that are not 0755 root/root: $(cat "$tmp/baddirs")"
# Nothing of mosquitto's, nothing under /usr/local.
! grep -Eq 'mosquitto|/usr/local' <(awk '{ print $6 }' "$tmp/contents") || fail "the package ships mosquitto or /usr/local files"

root=$tmp/root
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$tmp/control"

# --- Control fields.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = padtimer ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), expected $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture), expected $arch"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Section)" ] || fail "no Section"
[ "$(field Description | wc -l)" -ge 3 ] || fail "no long Description"
depends=$(field Depends)
for needed in adduser libc6 libstdc++6 libyaml-cpp; do
  grep -q "\\b$needed" <<<"$depends" || fail "Depends lacks $needed: $depends"
done
for f in Depends Pre-Depends; do
  ! grep -qi mosquitto <<<"$(field $f)" || fail "$f names mosquitto: $(field $f)"
done
# Natively the programs run here, so each dependency is an installed package (or one that an
# installed package provides, as libspdlog1.10 provides libspdlog1.10-fmt9).
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
  dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' | awk '$1 == "ii" {
    for (i = 2; i <= NF; i++) { gsub(/[,:]|\(.*|\)/, "", $i); if ($i != "") print $i } }' |
    sort -u >"$tmp/installed"
  tr ',|' '\n' <<<"$depends" | sed 's/(.*)//; s/ //g' | grep . | while read -r p; do
    grep -qx -- "$p" "$tmp/installed" || fail "Depends names $p, which nothing installed here provides"
  done
fi

# The changelog's newest entry is this version.
[[ $(zcat "$root/usr/share/doc/padtimer/changelog.gz" | sed -n 1p) == "padtimer ($version) "* ]] ||
  fail "packaging/deb/changelog does not start with version $version"

# --- Control files: conffiles, md5sums, maintainer scripts (POSIX sh, set -e, executable).
[ "$(cat "$tmp/control/conffiles")" = /etc/padtimer/padtimer.yaml ] ||
  fail "conffiles: $(cat "$tmp/control/conffiles")"
[ -s "$tmp/control/md5sums" ] || fail "no md5sums"
(cd "$root" && md5sum --quiet -c "$tmp/control/md5sums") >&2 || fail "md5sums do not match the files"
for s in postinst prerm postrm; do
  [ -x "$tmp/control/$s" ] || fail "$s is missing or not executable"
  [ "$(head -1 "$tmp/control/$s")" = "#!/bin/sh" ] || fail "$s is not a /bin/sh script"
  grep -q '^set -e' "$tmp/control/$s" || fail "$s lacks set -e"
  sh -n "$tmp/control/$s" || fail "$s: syntax error"
  cmp -s "$tmp/control/$s" "$source/packaging/deb/$s" || fail "$s differs from packaging/deb/$s"
done
# Nothing starts or enables the service at install; removal stops it.
grep -v '^ *#' "$tmp/control/postinst" >"$tmp/postinst.code"
! grep -Eq '(helper|systemctl) +(--[a-z]+ +)*enable|(invoke|systemctl) +(--[a-z]+ +)*(start|restart) ' \
  "$tmp/postinst.code" || fail "the postinst enables or starts padtimerd"
grep -Eq 'stop padtimerd.service' "$tmp/control/prerm" || fail "the prerm does not stop padtimerd"

# --- The unit: the source unit with /usr/bin and Group=padtimer, nothing else changed.
unit=$root/lib/systemd/system/padtimerd.service
! grep -q /usr/local "$unit" || fail "the packaged unit mentions /usr/local"
grep -q '^ExecStart=/usr/bin/padtimerd --config /etc/padtimer/padtimer.yaml ' "$unit" ||
  fail "the unit does not run /usr/bin/padtimerd with /etc/padtimer/padtimer.yaml"
grep -o '^Exec[A-Za-z]*=[^ ]*' "$unit" | cut -d= -f2 | grep -v '^/bin/kill$' | while read -r program; do
  [ -x "$root$program" ] || fail "the unit runs $program, which is not in the package"
done
grep -qx 'Group=padtimer' "$unit" || fail "the unit has no Group=padtimer"
diff -u <(grep -v '^#' "$source/systemd/padtimerd.service" | sed 's,/usr/local/bin/,/usr/bin/,g') \
  <(grep -v '^#' "$unit" | grep -vx 'Group=padtimer') >&2 ||
  fail "the packaged unit differs from systemd/padtimerd.service beyond paths and Group="
if command -v systemd-analyze >/dev/null; then
  systemd-analyze security --offline=yes --threshold=15 "$unit" >/dev/null ||
    fail "the packaged unit's exposure is above 1.5"
fi

# --- The config: the minimal example, valid for the packaged padtimerd, without schedules.
config=$root/etc/padtimer/padtimer.yaml
cmp -s "$config" "$source/config/padtimer.minimal.yaml" || fail "the config is not config/padtimer.minimal.yaml"
! grep -q '^schedules:' "$config" || fail "the shipped config has schedules"
grep -q 'url: mqtt://localhost:1883' "$config" || fail "the shipped config does not use a local broker"

# --- The programs run (natively): versions, help, the config check.
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
  for p in padtimerd padtimerctl padtimer-sim; do
    [[ $(file -b "$root/usr/bin/$p") == *", stripped"* ]] || fail "/usr/bin/$p is not stripped"
    "$root/usr/bin/$p" --help >/dev/null || fail "$p --help failed"
  done
  [ "$("$root/usr/bin/padtimerd" --version)" = "padtimerd $version" ] ||
    fail "padtimerd --version says '$("$root/usr/bin/padtimerd" --version)', the package $version"
  [[ $("$root/usr/bin/padtimerctl" --version) == *"$version"* ]] || fail "padtimerctl --version is not $version"
  out=$("$root/usr/bin/padtimerd" --check-config "$config") || fail "padtimerd --check-config: $out"
  grep -q ', 0 schedules)' <<<"$out" || fail "the shipped config has schedules: $out"
fi

echo "check-package: ok ($(basename "$deb"), $(wc -l <"$tmp/files") files, $(du -k "$deb" | cut -f1) KiB)"
