#!/bin/sh
# Start or stop a system libvirtd (with the virtlogd it needs to start
# domains) on a machine without systemd: CI, containers, dev boxes.
# Idempotent: "start" reuses a running daemon, "stop" is fine when none runs.
#
#   scripts/libvirtd.sh start|stop|status
#
# Exit codes: 0 ok, 1 failure, 2 libvirtd is not installed.
set -eu

LIBVIRTD=/usr/sbin/libvirtd
VIRTLOGD=/usr/sbin/virtlogd
LIBVIRTD_PID=/run/libvirtd.pid
VIRTLOGD_PID=/run/virtlogd.pid

# running PIDFILE NAME: prints the pid if that daemon is alive.
running() {
	[ -r "$1" ] || return 1
	pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
	echo "$pid"
}

# stop_one PIDFILE NAME: TERM, wait up to 10 s, then KILL.
stop_one() {
	pid=$(running "$1" "$2") || return 0
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while [ -d "/proc/$pid" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -d "/proc/$pid" ]; then
		echo "$2 ($pid) ignored SIGTERM for 10 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
		while [ -d "/proc/$pid" ]; do sleep 0.05; done
	fi
	rm -f "$1"
	echo "$2 stopped"
}

start() {
	if [ ! -x "$LIBVIRTD" ] || [ ! -x "$VIRTLOGD" ]; then
		echo "libvirtd is not installed: apt-get install libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86" >&2
		exit 2
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "starting the system libvirtd needs root" >&2
		exit 1
	fi
	# Without this libvirtd re-probes QEMU's capabilities (4-40 s) on every start.
	if [ -e /dev/kvm ] && getent group kvm >/dev/null; then
		chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
	fi
	running "$VIRTLOGD_PID" virtlogd >/dev/null || "$VIRTLOGD" -d
	if pid=$(running "$LIBVIRTD_PID" libvirtd); then
		echo "libvirtd already running ($pid)"
	else
		"$LIBVIRTD" -d
	fi
	i=0
	until virsh -c qemu:///system uri >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -ge 600 ]; then
			echo "libvirtd did not answer on qemu:///system within 30 s" >&2
			exit 1
		fi
		sleep 0.05
	done
	echo "libvirtd running ($(running "$LIBVIRTD_PID" libvirtd))"
}

case "${1:-}" in
start) start ;;
stop)
	stop_one "$LIBVIRTD_PID" libvirtd
	stop_one "$VIRTLOGD_PID" virtlogd
	;;
status)
	if pid=$(running "$LIBVIRTD_PID" libvirtd); then
		echo "libvirtd running ($pid)"
	else
		echo "libvirtd not running"
		exit 1
	fi
	;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 1
	;;
esac
