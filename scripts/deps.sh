#!/bin/sh
# Installs the Debian packages a make target needs, or names them.
# Usage: scripts/deps.sh build|test|bench
set -eu

# xz-utils: fyne package compresses the release tarball with xz.
# libvirt0: the library the binary dlopens; without it even the test driver
# `make run` falls back to is "not installed".
build="gcc pkg-config libgl1-mesa-dev xorg-dev libxxf86vm-dev xz-utils libvirt0"
# npm installs the pinned noVNC; Debian's npm brings Node.js with it. A
# Node.js from elsewhere that already has npm is left alone.
command -v npm >/dev/null 2>&1 || build="$build npm"
test="$build xvfb xauth x11-utils xdotool imagemagick
  libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
  docker.io containerd runc iptables
  tigervnc-standalone-server x11vnc chromium openssh-server openssh-client
  busybox-static podman linux-image-amd64 qemu-guest-agent cpio netcat-openbsd"
bench="$test websockify virt-manager"
# linux-image-amd64 busybox-static qemu-guest-agent cpio: the test guest
# (scripts/testguest.sh) boots Debian's kernel with a busybox initramfs.
# qemu-utils: qemu-img makes the qcow2 disks of test guests (snapshots, /data).

case "${1:-}" in
build) want=$build ;;
test) want=$test ;;
bench) want=$bench ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

# Root and the line printed for other users install the same set: these
# packages without their recommended ones.
install="apt-get install --no-install-recommends"
if [ "$(id -u)" = 0 ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	$install -y -qq $missing
else
	echo "missing Debian packages; install them with:" >&2
	echo "  sudo apt-get update && sudo $install$missing" >&2
	exit 1
fi
