#!/bin/bash
# Installs a release tarball into a temporary DESTDIR, runs the installed
# binary from its .desktop Exec line under Xvfb, and waits for the window.
#   scripts/test-package.sh horcrux-VERSION-linux-amd64.tar.xz
set -euo pipefail
tarball=$(realpath "$1")
work=$(mktemp -d)
xpid= app=
cleanup() {
	[ -n "$app" ] && kill "$app" 2>/dev/null && wait "$app" 2>/dev/null
	[ -n "$xpid" ] && kill "$xpid" 2>/dev/null
	rm -rf "$work"
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

Xvfb :98 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
for _ in $(seq 100); do DISPLAY=:98 xdpyinfo >/dev/null 2>&1 && break; sleep 0.05; done
HOME=$work/home DISPLAY=:98 "$bin" >"$work/log" 2>&1 &
app=$!
if ! DISPLAY=:98 timeout 30 xdotool search --sync --name '^Horcrux$' >/dev/null; then
	echo "FAIL: the installed horcrux showed no window"; cat "$work/log"; exit 1
fi
echo "package test: installed from $(basename "$tarball"), ran Exec=$exec_line, window shown"
