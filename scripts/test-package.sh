#!/bin/bash
# Installs a release tarball into a temporary DESTDIR, runs the installed
# binary from its .desktop Exec line under Xvfb, waits for the window, then
# quits it with SIGTERM and checks that it exits with status 0 and saves its
# preferences.
#   scripts/test-package.sh horcrux-VERSION-linux-amd64.tar.xz
set -euo pipefail
tarball=$(realpath "$1")
work=$(mktemp -d)
xpid= app=
# The script's status is the one it exits with: the clean-up's commands
# (a wait for a killed app returns 137) neither stop it under set -e nor
# replace that status.
cleanup() {
	local status=$?
	set +e
	[ -n "$app" ] && kill -KILL "$app" 2>/dev/null && wait "$app" 2>/dev/null
	[ -n "$xpid" ] && kill "$xpid" 2>/dev/null
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT

tar -C "$work" -xJf "$tarball"
dest=$work/root
make -s -C "$work/horcrux" install DESTDIR="$dest" PREFIX=/usr

desktop=$(find "$dest/usr/share/applications" -name '*.desktop' | head -1)
[ -n "$desktop" ] || { echo "FAIL: no .desktop file installed"; exit 1; }
grep -qx 'Categories=System;Monitor;' "$desktop" || { echo "FAIL: Categories in $desktop"; exit 1; }
icon=$(sed -n 's/^Icon=//p' "$desktop")
[ -f "$dest/usr/share/pixmaps/$icon.png" ] || { echo "FAIL: icon $icon not installed"; exit 1; }
exec_line=$(sed -n 's/^Exec=//p' "$desktop")
bin=$dest/usr/bin/${exec_line%% *}
[ -x "$bin" ] || { echo "FAIL: Exec=$exec_line is not an installed program ($bin)"; exit 1; }
if ldd "$bin" | grep -q libvirt; then echo "FAIL: the binary links libvirt"; exit 1; fi

# -noreset: xdpyinfo is the last client to leave; a reset then would refuse
# the app for a moment.
Xvfb :98 -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
xpid=$!
for _ in $(seq 100); do DISPLAY=:98 xdpyinfo >/dev/null 2>&1 && break; sleep 0.05; done
HOME=$work/home XDG_CONFIG_HOME=$work/home/.config DISPLAY=:98 "$bin" >"$work/log" 2>&1 &
app=$!
if ! DISPLAY=:98 timeout 30 xdotool search --sync --name '^Horcrux$' >/dev/null; then
	echo "FAIL: the installed horcrux showed no window"; cat "$work/log"; exit 1
fi

# SIGTERM quits as Ctrl+Q does: status 0, preferences saved.
kill -TERM "$app"
for _ in $(seq 300); do kill -0 "$app" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$app" 2>/dev/null; then
	echo "FAIL: the installed horcrux still runs 30 s after SIGTERM"; cat "$work/log"; exit 1
fi
status=0
wait "$app" || status=$?
app=
if [ "$status" != 0 ]; then
	echo "FAIL: the installed horcrux exited with status $status after SIGTERM, want 0"; cat "$work/log"; exit 1
fi
prefs=$work/home/.config/fyne/io.github.horcrux-desktop/preferences.json
[ -s "$prefs" ] || { echo "FAIL: no preferences saved after SIGTERM ($prefs)"; cat "$work/log"; exit 1; }
echo "package test: installed from $(basename "$tarball"), ran Exec=$exec_line, window shown, quit on SIGTERM with status 0"
