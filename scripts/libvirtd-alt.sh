#!/bin/sh
# A second libvirtd standing in for another host in tests: its own mount
# namespace (private /run/libvirt, /var/lib/libvirt, /var/cache/libvirt, so
# it never meets the system daemon's state) and its own socket in DIR.
# Reach it with test+unix:///NODE.xml?socket=DIR/libvirt-sock.
#
#   scripts/libvirtd-alt.sh start|stop DIR      (root)
set -eu
dir=${2:?usage: $0 start|stop DIR}
case "$1" in
start)
	mkdir -p "$dir"
	if [ -s "$dir/libvirtd.pid" ] && kill -0 "$(cat "$dir/libvirtd.pid")" 2>/dev/null; then
		exit 0 # already running
	fi
	# A daemon killed with SIGKILL leaves its sockets: the wait below would
	# take them for the new daemon's.
	rm -f "$dir/libvirt-sock" "$dir/libvirt-sock-ro" "$dir/libvirt-admin-sock"
	cat >"$dir/libvirtd.conf" <<CONF
unix_sock_dir = "$dir"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
CONF
	unshare -m sh -c '
		for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt; do
			mkdir -p "$d" && mount -t tmpfs tmpfs "$d"
		done
		exec /usr/sbin/libvirtd --config "$0/libvirtd.conf" --pid-file "$0/libvirtd.pid"' "$dir" \
		>"$dir/libvirtd.log" 2>&1 &
	for _ in $(seq 200); do
		[ -S "$dir/libvirt-sock" ] && exit 0
		sleep 0.05
	done
	echo "the second libvirtd did not start; see $dir/libvirtd.log" >&2
	exit 1
	;;
stop)
	[ -s "$dir/libvirtd.pid" ] || exit 0
	pid=$(cat "$dir/libvirtd.pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/libvirtd.pid" "$dir/libvirt-sock" "$dir/libvirt-sock-ro" "$dir/libvirt-admin-sock"
	;;
*)
	echo "usage: $0 start|stop DIR" >&2
	exit 2
	;;
esac
