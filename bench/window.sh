#!/bin/bash
# The window left alone, Horcrux beside virt-manager, in one run (issue 15's
# window table): for 10 and 1000 test domains on the Host tab and 1000 on
# the Machines tab, start to visible window, RSS at +WAIT s and CPU share of
# one core between +WAIT s and +WAIT+SECS s (from the window showing), in
# interleaved rounds under one Xvfb; median [min-max] per case, markdown on
# stdout.
# Usage: bench/window.sh [rounds] [seconds] [wait]   (default 3 30 30)
# Each start has a fresh HOME (no preferences, no font cache), as a first
# start; WARM=1 keeps one HOME per app and case (caches in place).
# Needs: make build, xvfb, xdotool, virt-manager (scripts/deps.sh bench
# installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-30}
wait=${3:-30}
[ -x ./horcrux ] || make build >/dev/null
for n in 10 1000; do
	[ -s "/tmp/horcrux-node$n.xml" ] || bench/testnode.sh "$n" "/tmp/horcrux-node$n.xml"
done
for t in virt-manager Xvfb xdotool; do
	command -v "$t" >/dev/null || scripts/deps.sh bench >&2
done

work=$(mktemp -d)
out=$work/rows
app=
xpid=
cleanup() {
	[ -n "$app" ] && kill "$app" 2>/dev/null && wait "$app" 2>/dev/null
	[ -n "$xpid" ] && kill "$xpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# A display of its own, far from the :0, :1... other tools pick.
d=$((300 + RANDOM % 600))
while [ -e "/tmp/.X$d-lock" ]; do d=$((d + 1)); done
export DISPLAY=:$d
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.05; done

# measure CASE APP TAB TITLE CMD...: one start of one app, a row appended
# to $out. TAB is the Horcrux tab it opens on (- for virt-manager).
measure() {
	local case=$1 who=$2 tab=$3 title=$4
	shift 4
	local home=$work/home-$who-${case// /_}
	[ -n "${WARM:-}" ] || rm -rf "$home"
	mkdir -p "$home/.config/fyne/io.github.horcrux-desktop"
	[ "$tab" = - ] || echo "{\"window.tab\":$tab}" >"$home/.config/fyne/io.github.horcrux-desktop/preferences.json"
	local t0 t1 c0 c1 s0 s1 rss
	t0=$(date +%s.%N)
	HOME=$home XDG_CONFIG_HOME=$home/.config XDG_CACHE_HOME=$home/.cache "$@" >"$work/log" 2>&1 &
	app=$!
	# Visible: mapped (xdotool's --onlyvisible), not merely created; asked
	# every 10 ms (xdotool's own --sync asks every 0.5 s).
	until xdotool search --onlyvisible --name "$title" >/dev/null 2>&1; do
		if ! kill -0 "$app" 2>/dev/null; then
			keep=$(mktemp /tmp/window-sh-failed-XXXXXX.log)
			cp "$work/log" "$keep"
			echo "$who ($case) ended before its window showed; its output is in $keep; it said:" >&2
			# A panic's first lines say where; else the end of the output.
			grep -m1 -A15 -E '^(panic|fatal error)' "$keep" >&2 || tail -5 "$keep" >&2
			app=
			return
		fi
		sleep 0.01
	done
	t1=$(date +%s.%N)
	sleep "$(awk -v t="$t1" -v w="$wait" -v n="$(date +%s.%N)" 'BEGIN { d = t + w - n; print (d > 0 ? d : 0) }')"
	c0=$(awk '{print $14+$15}' /proc/$app/stat)
	s0=$(date +%s.%N)
	rss=$(awk '/^VmRSS/{print $2}' /proc/$app/status)
	sleep "$secs"
	c1=$(awk '{print $14+$15}' /proc/$app/stat)
	s1=$(date +%s.%N)
	kill "$app"
	wait "$app" 2>/dev/null || true
	app=
	while xdotool search --name "$title" >/dev/null 2>&1; do sleep 0.05; done
	awk -v c="$case" -v w="$who" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" \
		-v hz="$(getconf CLK_TCK)" -v rss="$rss" \
		'BEGIN { printf "%s\t%s\t%.2f\t%.0f\t%.2f\n", c, w, t1-t0, rss/1024, 100*(c1-c0)/hz/(s1-s0) }' >>"$out"
}

hx() { measure "$1" horcrux "$2" '^Horcrux$' ./horcrux --connect "$3"; }
vm() { measure "$1" virt-manager - '^Virtual Machine Manager$' virt-manager --no-fork --connect "$2"; }
n10=test:///tmp/horcrux-node10.xml
n1000=test:///tmp/horcrux-node1000.xml
for r in $(seq "$rounds"); do
	hx "10 test domains, Host tab" 0 "$n10"
	vm "10 test domains, Host tab" "$n10"
	hx "1000 test domains, Host tab" 0 "$n1000"
	vm "1000 test domains, Host tab" "$n1000"
	hx "1000 test domains, Machines tab" 1 "$n1000"
	echo "round $r of $rounds done" >&2
done

echo "\`bench/window.sh $rounds $secs $wait\`${WARM:+ (WARM=1)}: Xvfb 1280x800, the release build beside"
echo "virt-manager $(virt-manager --version 2>/dev/null || echo '?') on the same test-driver files; $rounds interleaved"
echo "rounds, median [min-max]; start to visible window / RSS at +$wait s / CPU share of"
echo "one core between +$wait s and +$((wait + secs)) s (whole process). virt-manager has one"
echo "view, measured once per file."
echo
echo "| case | Horcrux | virt-manager |"
echo "|---|---|---|"
awk -F'\t' '
function stat(a, n, d, u,   i, j, t, m) {
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
	m = (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	return sprintf("%." d "f [%." d "f-%." d "f]%s", m, a[1], a[n], u)
}
function cell(k,   i, m, x, s) {
	m = n[k]
	if (m == 0) return ""
	for (i = 1; i <= m; i++) x[i] = st[k, i]; s = stat(x, m, 2, " s")
	for (i = 1; i <= m; i++) x[i] = rs[k, i]; s = s " / " stat(x, m, 0, " MB")
	for (i = 1; i <= m; i++) x[i] = cp[k, i]; return s " / " stat(x, m, 1, " %")
}
{ k = $1 SUBSEP $2; n[k]++; st[k, n[k]] = $3; rs[k, n[k]] = $4; cp[k, n[k]] = $5
  if (!($1 in seen)) { seen[$1] = 1; order[++cases] = $1 } }
END {
	for (o = 1; o <= cases; o++) {
		c = order[o]; v = cell(c SUBSEP "virt-manager")
		if (v == "" && c ~ /^1000 /) v = "(as above: one view)"
		printf "| %s | %s | %s |\n", c, cell(c SUBSEP "horcrux"), v
	}
}' "$out"
