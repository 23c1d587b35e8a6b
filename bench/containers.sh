#!/usr/bin/env bash
# Container refresh cost: backend/container's Source against `docker stats`,
# with 1, 20 and 50 running sleeper containers on the private dockerd of
# scripts/dockerd.sh (started here if it is not running, stopped again after).
#
# Per N it reports, in one run:
#   - Source cold start: wall time until every running container has memory,
#     and until every one has CPU (needs two engine ticks);
#   - Source steady state: Poll latency, age of the oldest figures, client CPU
#     (getrusage) and allocation over 10 refreshes at 1 s;
#   - `docker stats --no-stream` wall time, and the client CPU of a streaming
#     `docker stats` over 10 s, as the anchor.
# Prints a markdown table. Containers are named horcrux-bench-* and removed after.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DOCKER=/usr/bin/docker # the daemon's own client (20.10)
[ -x "$DOCKER" ] || DOCKER=docker
COUNTS=${BENCH_COUNTS:-"1 20 50"}
TMP=$(mktemp -d)

started=0
scripts/dockerd.sh status || started=1
eval "$(scripts/dockerd.sh start)"
export DOCKER_HOST

cleanup() {
	local ids
	ids=$($DOCKER ps -aq --filter name=horcrux-bench- 2>/dev/null || true)
	[ -n "$ids" ] && $DOCKER rm -f $ids >/dev/null 2>&1 || true
	[ "$started" = 1 ] && scripts/dockerd.sh stop || true
	rm -rf "$TMP"
}
trap cleanup EXIT

scripts/dockerd.sh image
go test -c -o "$TMP/container.test" ./backend/container
TCK=$(getconf CLK_TCK)

# proc_cpu PID: user+system clock ticks of a process.
proc_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

rows=()
have=0
for n in $COUNTS; do
	while [ "$have" -lt "$n" ]; do
		have=$((have + 1))
		$DOCKER run -d --network=none --name "horcrux-bench-$have" test/sleeper:1 >/dev/null
	done
	until [ "$($DOCKER ps -q --filter name=horcrux-bench- --filter status=running | wc -l)" -ge "$n" ]; do sleep 0.1; done
	sleep 2 # let the daemon's collector settle after the starts

	t0=$(date +%s.%N)
	$DOCKER stats --no-stream >/dev/null
	t1=$(date +%s.%N)
	nostream=$(echo "$t1 - $t0" | bc -l)

	$DOCKER stats --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}' >/dev/null 2>&1 &
	spid=$!
	sleep 3 # past its first frames
	c0=$(proc_cpu $spid)
	sleep 10
	c1=$(proc_cpu $spid)
	kill $spid
	wait $spid 2>/dev/null || true
	dstats_cpu=$(echo "($c1 - $c0) * 100 / $TCK / 10" | bc -l)

	line=$(cd backend/container && HORCRUX_BENCH=1 "$TMP/container.test" -test.run '^TestRefreshCost$' -test.count=1 | grep '^BENCH') || {
		echo "TestRefreshCost failed for N=$n" >&2
		exit 1
	}
	declare -A m=()
	for kv in ${line#BENCH }; do m[${kv%%=*}]=${kv#*=}; done
	rows+=("$(printf '| %s | %s | %s | %s / %s | %s | %s | %s | %.2f | %.1f |' \
		"${m[n]}" "${m[first_mem_ms]}" "${m[first_cpu_ms]}" "${m[poll_p50_ms]}" "${m[poll_max_ms]}" "${m[age_max_ms]}" \
		"${m[cpu_pct]}" "${m[alloc_kb_s]}" "$nostream" "$dstats_cpu")")
	unset m
done

echo
echo "Containers: Source vs docker stats ($($DOCKER version --format 'dockerd {{.Server.Version}}, API {{.Server.APIVersion}}'), $(nproc) cores)"
echo
echo "| running | Source: all memory (ms) | Source: all CPU (ms) | Poll p50 / max (ms) | oldest figures (ms) | Source CPU (% of a core, 1 s refresh) | Source alloc (KiB/s) | docker stats --no-stream (s) | docker stats streaming CPU (%) |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
