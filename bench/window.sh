#!/bin/bash
# The window left alone, Horcrux beside virt-manager, in one run: interleaved
# rounds of each (app, URI) pair under one Xvfb; medians and ranges of start
# to window, CPU share of one core and RSS after a warm-up.
# Usage: bench/window.sh [rounds] [seconds]
# Needs: make build, xvfb, xdotool, virt-manager (scripts/deps.sh bench).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-20}
warm=10
[ -x ./horcrux ] || make build >/dev/null
node=/tmp/horcrux-node1000.xml
[ -s "$node" ] || bench/testnode.sh 1000 "$node" >/dev/null
command -v virt-manager >/dev/null || { echo "virt-manager is not installed: scripts/deps.sh bench" >&2; exit 1; }

export DISPLAY=:95
Xvfb :95 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
home=$(mktemp -d)
out=$(mktemp)
app=
cleanup() {
	[ -n "$app" ] && kill "$app" 2>/dev/null && wait "$app" 2>/dev/null
	kill "$xpid" 2>/dev/null
	rm -rf "$home" "$out"
}
trap cleanup EXIT
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.05; done

# measure LABEL TITLE CMD...: one round of one app, appended to $out.
measure() {
	local label=$1 title=$2
	shift 2
	rm -rf "$home" && mkdir -p "$home/.config/fyne/io.github.horcrux-desktop"
	# Horcrux opens on the Machines tab, as virt-manager shows its list.
	echo '{"window.tab":1}' >"$home/.config/fyne/io.github.horcrux-desktop/preferences.json"
	local t0 t1 c0 c1 s0 s1 rss
	t0=$(date +%s.%N)
	HOME=$home XDG_CONFIG_HOME=$home/.config "$@" >/dev/null 2>&1 &
	app=$!
	xdotool search --sync --name "$title" >/dev/null
	t1=$(date +%s.%N)
	sleep "$warm"
	c0=$(awk '{print $14+$15}' /proc/$app/stat); s0=$(date +%s.%N)
	sleep "$secs"
	c1=$(awk '{print $14+$15}' /proc/$app/stat); s1=$(date +%s.%N)
	rss=$(awk '/^VmRSS/{print $2}' /proc/$app/status)
	kill "$app"; wait "$app" 2>/dev/null || true
	app=
	while xdotool search --name "$title" >/dev/null 2>&1; do sleep 0.05; done
	awk -v l="$label" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" \
		-v hz="$(getconf CLK_TCK)" -v rss="$rss" \
		'BEGIN { printf "%s\t%.2f\t%.2f\t%.0f\n", l, t1-t0, 100*(c1-c0)/hz/(s1-s0), rss/1024 }' >>"$out"
}

for r in $(seq "$rounds"); do
	measure "Horcrux, test:///default" '^Horcrux$' ./horcrux --connect test:///default
	measure "virt-manager, test:///default" '^Virtual Machine Manager$' virt-manager --no-fork --connect test:///default
	measure "Horcrux, 1000 test domains" '^Horcrux$' ./horcrux --connect "test://$node"
	measure "virt-manager, 1000 test domains" '^Virtual Machine Manager$' virt-manager --no-fork --connect "test://$node"
	echo "round $r of $rounds done" >&2
done

echo "| app, URI | start to window (s) | CPU, one core (%, $secs s after a ${warm} s warm-up) | RSS (MB) |"
echo "|---|---|---|---|"
# Median and range of each column per label, over the rounds.
awk -F'\t' '
function stat(a, n,   i, j, t, m) {
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
	m = (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	return sprintf("%.2f (%.2f-%.2f)", m, a[1], a[n])
}
{ n[$1]++; s[$1, n[$1]] = $2; c[$1, n[$1]] = $3; r[$1, n[$1]] = $4; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
END {
	for (o = 1; o <= k; o++) {
		l = order[o]; m = n[l]
		for (i = 1; i <= m; i++) { x[i] = s[l, i] } ; a = stat(x, m)
		for (i = 1; i <= m; i++) { x[i] = c[l, i] } ; b = stat(x, m)
		for (i = 1; i <= m; i++) { x[i] = r[l, i] } ; d = stat(x, m)
		printf "| %s | %s | %s | %s |\n", l, a, b, d
	}
}' "$out"
