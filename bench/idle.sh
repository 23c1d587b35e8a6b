#!/bin/bash
# Measures the app left alone with 1 s updates under Xvfb: start to window,
# CPU share of one core and RSS after a warm-up.
# Usage: [TAB=0|1|2] bench/idle.sh [seconds] [extra horcrux flags...]
# TAB opens the window on Host (0), Machines (1) or Containers (2).
# WARM=1 starts the app once before measuring, so the start is timed with
# the font index cache in place, as every start after a user's first.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
[ -x ./horcrux ] || make build >/dev/null

home=$(mktemp -d)
Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
app=
cleanup() {
	[ -n "$app" ] && kill "$app" 2>/dev/null && wait "$app" 2>/dev/null
	kill "$xpid" 2>/dev/null
	rm -rf "$home"
}
trap cleanup EXIT
for _ in $(seq 100); do DISPLAY=:97 xdpyinfo >/dev/null 2>&1 && break; sleep 0.05; done

if [ -n "${TAB:-}" ]; then
	mkdir -p "$home/.config/fyne/io.github.horcrux-desktop"
	echo "{\"window.tab\":$TAB}" >"$home/.config/fyne/io.github.horcrux-desktop/preferences.json"
fi

if [ -n "${WARM:-}" ]; then
	HOME=$home DISPLAY=:97 ./horcrux "$@" >/dev/null 2>&1 &
	warm=$!
	DISPLAY=:97 xdotool search --sync --name '^Horcrux$' >/dev/null
	sleep 1
	kill "$warm"; wait "$warm" 2>/dev/null || true
	while DISPLAY=:97 xdotool search --name '^Horcrux$' >/dev/null 2>&1; do sleep 0.05; done
fi

t0=$(date +%s.%N)
HOME=$home DISPLAY=:97 ./horcrux "$@" >"$home/log" 2>&1 &
app=$!
DISPLAY=:97 xdotool search --sync --name '^Horcrux$' >/dev/null
t1=$(date +%s.%N)

sleep 10 # warm-up: caches, first charts
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$app/stat; }
c0=$(cpu); s0=$(date +%s.%N)
sleep "$secs"
c1=$(cpu); s1=$(date +%s.%N)
rss=$(awk '/^VmRSS/{print $2}' /proc/$app/status)
pss=$(awk '/^Pss:/{s+=$2} END{print s}' /proc/$app/smaps_rollup)

awk -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" -v hz="$ticks" \
	-v rss="$rss" -v pss="$pss" -v secs="$secs" 'BEGIN {
	printf "| start to window | CPU (one core, %d s) | RSS | PSS |\n|---|---|---|---|\n", secs
	printf "| %.2f s | %.2f %% | %.0f MB | %.0f MB |\n", t1-t0, 100*(c1-c0)/hz/(s1-s0), rss/1024, pss/1024
}'
