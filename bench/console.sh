#!/bin/bash
# Benchmarks the VM console proxy beside Debian's websockify in one run and prints a
# markdown table: throughput both ways, round trips, memory per idle connection, time to
# open connections, many idle sessions at once; then click to first frame in headless
# Chromium against TigerVNC (needs `make novnc` first). Loopback only, bounded loops.
# Usage: bench/console.sh [consolebench flags...]   e.g. -rounds 3 -no-websockify
set -euo pipefail
cd "$(dirname "$0")/.."

for cmd in websockify Xvnc chromium; do
	command -v "$cmd" >/dev/null || { echo "bench/console.sh: $cmd is missing (make deps-test, or scripts/deps.sh bench)" >&2; exit 1; }
done

# 1000 sessions: each holds descriptors in the client, the proxy and the backend.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4500 ]; then
	echo "bench/console.sh: open-file limit $(ulimit -n) is below 4500; raise it (ulimit -n)" >&2
	exit 1
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -tags libvirt_dlopen -o "$out/consolebench" ./bench/consolebench

"$out/consolebench" -firstframe "$@"
