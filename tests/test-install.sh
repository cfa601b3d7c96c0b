#!/bin/sh
# test-install.sh BUILDDIR PREFIX BINDIR DATADIR MANDIR LOCALEDIR
# Installs the build into a temporary DESTDIR and checks that every file a
# desktop needs is there. TAP output.
#
# Copyright 2026 The Densito authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
builddir=$1 prefix=$2 bindir=$3 datadir=$4 mandir=$5 localedir=$6
app_id=io.github.densito.Densito
dest=$(mktemp -d "${TMPDIR:-/tmp}/densito-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
n=0 failed=0

ok() {
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# Relative option values are under the prefix.
under() { case $1 in /*) echo "$dest$1" ;; *) echo "$dest$prefix/$1" ;; esac; }
bin=$(under "$bindir") data=$(under "$datadir") man=$(under "$mandir") locale=$(under "$localedir")

if meson install -C "$builddir" --no-rebuild --destdir "$dest" >"$dest.log" 2>&1; then r=0; else r=1; cat "$dest.log" >&2; fi
rm -f "$dest.log"
ok $r "meson install --destdir succeeds"

for f in \
  "$bin/densito" \
  "$data/applications/$app_id.desktop" \
  "$data/metainfo/$app_id.metainfo.xml" \
  "$data/glib-2.0/schemas/$app_id.gschema.xml" \
  "$data/icons/hicolor/scalable/apps/$app_id.svg" \
  "$data/icons/hicolor/symbolic/apps/$app_id-symbolic.svg" \
  "$man/man1/densito.1" \
  "$locale/fa/LC_MESSAGES/densito.mo" \
  "$locale/de/LC_MESSAGES/densito.mo" \
  "$data/densito/sample/osteo.csv"; do
  [ -s "$f" ]; ok $? "installed: ${f#"$dest"}"
done

[ -x "$bin/densito" ] && "$bin/densito" --version | grep -q '^densito '
ok $? "the installed densito runs (--version)"

# The translations reach the desktop file (i18n.merge_file).
grep -q '^Comment\[fa\]=' "$data/applications/$app_id.desktop" &&
  grep -q '^Comment\[de\]=' "$data/applications/$app_id.desktop"
ok $? "the installed desktop file carries the fa and de comments"

if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$data/applications/$app_id.desktop"; ok $? "the installed desktop file validates"
else
  ok 1 "the installed desktop file validates # desktop-file-validate missing: apt-get install desktop-file-utils"
fi

# The desktop file's Icon= names an installed icon.
icon=$(sed -n 's/^Icon=//p' "$data/applications/$app_id.desktop")
[ -n "$icon" ] && [ -s "$data/icons/hicolor/scalable/apps/$icon.svg" ]
ok $? "Icon=$icon is installed"

echo "1..$n"
[ "$failed" -eq 0 ]
