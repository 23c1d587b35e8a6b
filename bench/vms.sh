#!/bin/sh
# Measures one refresh of 1000 libvirt test-driver domains: Horcrux's Poll
# (in process and through libvirtd) against the Go binding's own bulk stats
# call and against virsh, all on the same node file in the same run, and
# prints a markdown table. Needs libvirt-clients; the libvirtd column needs
# root (the daemon is started with scripts/libvirtd.sh and stopped again if
# this script started it).
#
#   bench/vms.sh            # 1000 domains, 5 virsh runs each
#   N=200 RUNS=9 bench/vms.sh
set -eu

cd "$(dirname "$0")/.."
N=${N:-1000}
RUNS=${RUNS:-5}
WORK=$(mktemp -d)
NODE=$WORK/node.xml
started_daemon=
cleanup() {
	[ -n "$started_daemon" ] && scripts/libvirtd.sh stop >/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Same shape as the Go tests' writeNode.
bench/testnode.sh "$N" "$NODE"

if ! scripts/libvirtd.sh status >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && scripts/libvirtd.sh start >/dev/null 2>&1; then
		started_daemon=1
	else
		echo "note: libvirtd unavailable; the test+unix:// column is skipped" >&2
	fi
fi

# median_ms CMD...: median wall time of RUNS runs, in ms.
median_ms() {
	i=0
	: >"$WORK/t"
	while [ $i -lt "$RUNS" ]; do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "n/a"; return; }
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >>"$WORK/t"
		i=$((i + 1))
	done
	sort -n "$WORK/t" | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}

daemon=
scripts/libvirtd.sh status >/dev/null 2>&1 && daemon=1

HORCRUX_BENCH_NODE=$NODE go test -tags libvirt_dlopen -run '^$' \
	-bench 'Poll1000|BindingStats1000' -benchtime 3s -count 1 ./backend/vm/ >"$WORK/bench.txt" 2>&1 || {
	cat "$WORK/bench.txt" >&2
	exit 1
}

# bench NAME FIELD: ms per op (FIELD=ns) or allocs per op (FIELD=allocs) of a benchmark.
bench() {
	awk -v name="$1" -v f="$2" '$1 ~ "^Benchmark" name "(-[0-9]+)?$" {
		for (i = 2; i <= NF; i++) {
			if (f == "ns" && $(i + 1) == "ns/op") { printf "%.1f", $i / 1e6; found = 1 }
			if (f == "allocs" && $(i + 1) == "allocs/op") { printf "%d", $i; found = 1 }
		}
	} END { if (!found) printf "n/a" }' "$WORK/bench.txt"
}

local_uri="test://$NODE"
daemon_uri="test+unix://$NODE"
na() { [ -n "$daemon" ] && "$@" || echo "n/a"; }

echo "| $N test-driver domains, one refresh | in process (\`test:///\`) | through libvirtd (\`test+unix:///\`) |"
echo "|---|---|---|"
echo "| Horcrux \`Source.Poll\` (ms) | $(bench Poll1000 ns) | $(bench Poll1000Daemon ns) |"
echo "| Horcrux \`Source.Poll\` (allocs) | $(bench Poll1000 allocs) | $(bench Poll1000Daemon allocs) |"
echo "| Go binding \`GetAllDomainStats\` alone (ms) | $(bench BindingStats1000 ns) | - |"
echo "| Go binding \`GetAllDomainStats\` alone (allocs) | $(bench BindingStats1000 allocs) | - |"
echo "| \`virsh list --all\` (ms, whole process) | $(median_ms virsh -c "$local_uri" list --all) | $(na median_ms virsh -c "$daemon_uri" list --all) |"
echo "| \`virsh domstats\` (ms, whole process) | $(median_ms virsh -c "$local_uri" domstats) | $(na median_ms virsh -c "$daemon_uri" domstats) |"
echo
echo "Go benchmarks: -benchtime 3s; virsh: median of $RUNS runs. $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)."
