#!/usr/bin/env bash
# A private dockerd for tests and benchmarks (no systemd, no registry, no network).
#
#   scripts/dockerd.sh start   start it unless it is running; prints "export DOCKER_HOST=..."
#                              so callers can: eval "$(scripts/dockerd.sh start)"
#   scripts/dockerd.sh stop    stop it by its pidfile and wait until it has exited
#   scripts/dockerd.sh status  exit 0 when it answers, 1 otherwise
#   scripts/dockerd.sh image   build testdata/sleeper (static) and import it as test/sleeper:1
#   scripts/dockerd.sh env     print the export line only
#
# HORCRUX_DOCKERD_DIR (default /tmp/horcrux-dockerd) holds data, socket, pidfile and log.
set -euo pipefail

D=${HORCRUX_DOCKERD_DIR:-/tmp/horcrux-dockerd}
SOCK=$D/docker.sock
PIDFILE=$D/docker.pid
HOST=unix://$SOCK
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The daemon's own client (20.10); any client speaks the API, this one matches it.
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=docker

pid() { [ -s "$PIDFILE" ] && cat "$PIDFILE"; }
alive() { local p; p=$(pid) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
answers() { curl -sf --max-time 2 --unix-socket "$SOCK" http://x/_ping >/dev/null 2>&1; }

start() {
	if alive && answers; then
		echo "dockerd already running (pid $(pid)) at $HOST" >&2
		echo "export DOCKER_HOST=$HOST"
		return 0
	fi
	if alive; then # running but not answering yet: give it a moment before judging
		for _ in $(seq 200); do answers && break; sleep 0.05; done
		if answers; then echo "export DOCKER_HOST=$HOST"; return 0; fi
		echo "dockerd (pid $(pid)) does not answer on $SOCK; see $D/dockerd.log" >&2
		return 1
	fi
	command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io containerd runc" >&2; return 1; }
	mkdir -p "$D/data" "$D/exec"
	rm -f "$SOCK" "$PIDFILE"
	# setsid: the daemon must not die with the shell or test that started it.
	setsid dockerd --host "$HOST" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$PIDFILE" \
		--iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
		>>"$D/dockerd.log" 2>&1 </dev/null &
	for _ in $(seq 600); do # up to 30 s; usually ~0.2 s
		answers && { echo "dockerd started (pid $(pid)) at $HOST" >&2; echo "export DOCKER_HOST=$HOST"; return 0; }
		sleep 0.05
	done
	echo "dockerd did not answer on $SOCK within 30 s; see $D/dockerd.log" >&2
	return 1
}

stop() {
	if ! alive; then
		echo "dockerd not running" >&2
		rm -f "$PIDFILE"
		return 0
	fi
	local p
	p=$(pid)
	kill -TERM "$p"
	# dockerd stops its containers (10 s grace each, in parallel) and its containerd first.
	for _ in $(seq 600); do
		kill -0 "$p" 2>/dev/null || { echo "dockerd stopped (pid $p)" >&2; rm -f "$PIDFILE"; return 0; }
		sleep 0.05
	done
	echo "dockerd (pid $p) still alive after 30 s; killing it" >&2
	kill -KILL "$p" 2>/dev/null || true
	rm -f "$PIDFILE"
}

image() {
	answers || { echo "dockerd is not running: run $0 start first" >&2; return 1; }
	local tmp
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	mkdir -p "$tmp/rootfs/bin"
	(cd "$ROOT" && CGO_ENABLED=0 go build -o "$tmp/rootfs/bin/sleeper" ./backend/container/testdata/sleeper)
	tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
	DOCKER_HOST=$HOST "$DOCKER" import --change 'ENTRYPOINT ["/bin/sleeper"]' "$tmp/rootfs.tar" test/sleeper:1 >/dev/null
	echo "imported test/sleeper:1" >&2
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) alive && answers ;;
image) image ;;
env) echo "export DOCKER_HOST=$HOST" ;;
*)
	echo "usage: $0 start|stop|status|image|env" >&2
	exit 2
	;;
esac
