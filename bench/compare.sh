#!/bin/bash
# Issue 15's tables in one run. First the console proxy beside Debian's websockify and
# raw loopback TCP (the limit): download, upload, round trip and PSS per idle session
# (Horcrux holding 10 000, websockify 1000), interleaved rounds, median [min-max], each
# row with the command that reproduces it; then the window beside virt-manager
# (bench/window.sh). Loopback only, bounded loops.
# Usage: bench/compare.sh [--proxy-only] [--rounds N] [--only ROW] [consolebench flags...]
#   --proxy-only  skip bench/window.sh
#   --rounds N    interleaved rounds (default 3, at least 3 for the table to mean much)
#   --only ROW    one row: download, upload64k, upload1k, rtt or idle
set -euo pipefail
cd "$(dirname "$0")/.."

proxy_only=
rounds=3
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--proxy-only) proxy_only=1 ;;
	--rounds) rounds=$2; shift ;;
	--only) args+=(-only "$2"); shift ;;
	*) args+=("$1") ;;
	esac
	shift
done

command -v websockify >/dev/null || scripts/deps.sh bench

# 10 000 sessions: the proxy holds the browser's and the VM's socket of each, the
# client and the echo server one each (separate processes). Take the hard limit;
# consolebench holds fewer sessions when it is below 2 x 10 000 and says so.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4500 ]; then
	echo "bench/compare.sh: open-file limit $(ulimit -n) is below 4500; raise it (ulimit -Hn as root)" >&2
	exit 1
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -tags libvirt_dlopen -o "$out/consolebench" ./bench/consolebench

echo "## Console proxy: Horcrux, websockify $(dpkg-query -W -f='${Version}' websockify 2>/dev/null | cut -d+ -f1), raw TCP"
echo
"$out/consolebench" -compare -rounds "$rounds" "${args[@]}"

if [ -z "$proxy_only" ]; then
	echo
	echo "## The window beside virt-manager (bench/window.sh)"
	echo
	bench/window.sh
fi
