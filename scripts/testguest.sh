#!/bin/sh
# Builds the small Linux test guest: Debian's own kernel and a busybox
# initramfs whose /init gives a shell on the serial port (ttyS0), one on
# the screen (tty1) and one on a virtio console (hvc0) when there is one,
# and runs qemu-ga on the virtio-serial port
# org.qemu.guest_agent.0 when the domain has one.
#
#   scripts/testguest.sh OUTDIR     writes OUTDIR/KEY/vmlinuz and OUTDIR/KEY/initrd.gz
#                                   and prints their paths
#
# Idempotent and cached: KEY is a hash of the kernel, busybox, qemu-ga and
# this script, so an image already built is reused (milliseconds), and
# branches whose scripts differ never overwrite a guest another is booting.
# Needs linux-image-amd64 busybox-static qemu-guest-agent cpio (scripts/deps.sh test).
# OUTDIR must be readable by the user QEMU runs as (libvirt-qemu), so not
# under a 0700 directory such as a Go test's TempDir.
set -eu

out=${1:?usage: $0 OUTDIR}
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
if [ -z "$kernel" ]; then
	echo "no kernel in /boot: apt-get install --no-install-recommends linux-image-amd64" >&2
	exit 2
fi
kver=${kernel#/boot/vmlinuz-}
mods=/lib/modules/$kver
for f in /bin/busybox /usr/sbin/qemu-ga "$mods/modules.dep"; do
	if [ ! -e "$f" ]; then
		echo "missing $f: apt-get install --no-install-recommends linux-image-amd64 busybox-static qemu-guest-agent cpio" >&2
		exit 2
	fi
done
command -v cpio >/dev/null || { echo "cpio not found: apt-get install --no-install-recommends cpio" >&2; exit 2; }

# The cache key: everything that goes into the image.
key=$(cat "$0" "$kernel" /bin/busybox /usr/sbin/qemu-ga | sha256sum | cut -c1-16)
mkdir -p "$out"
chmod 0755 "$out"
# Test packages run side by side: one builds, the others wait and reuse it.
exec 9>"$out/.lock"
flock 9
dest=$out/$key
if [ -s "$dest/initrd.gz" ] && [ -s "$dest/vmlinuz" ]; then
	echo "$dest/vmlinuz $dest/initrd.gz"
	exit 0
fi
# Images of other keys unused for a day go (a guest may still boot one).
find "$out" -mindepth 1 -maxdepth 1 -name '????????????????' ! -name "$key" -mtime +0 -exec rm -rf {} + 2>/dev/null || true

work=$(mktemp -d "$out/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/run" \
	"$root/tmp" "$root/root" "$root/lib/modules" "$root/usr/share/udhcpc" "$root/var/run"
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done

# Modules the virtio-serial port (agent), a virtio network card and a
# virtio disk with an ext2 filesystem (ext4.ko mounts it) need, in load
# order (the kernel builds serial and the screen's console in); paths under
# kernel/ as modules.dep names them.
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/char/virtio_console \
	net/core/failover drivers/net/net_failover drivers/net/virtio_net drivers/block/virtio_blk \
	lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4; do
	f=$(find "$mods/kernel/$m.ko"* 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		echo "module $m is not in $mods" >&2
		exit 1
	fi
	case $f in
	*.xz) xz -dc "$f" >"$root/lib/modules/$(basename "$m").ko" ;;
	*.zst) zstd -qdc "$f" >"$root/lib/modules/$(basename "$m").ko" ;;
	*) cp "$f" "$root/lib/modules/" ;;
	esac
	echo "$(basename "$m")" >>"$root/lib/modules/order"
done

# qemu-ga and the libraries it links, at the paths ldd names.
cp /usr/sbin/qemu-ga "$root/bin/qemu-ga"
for lib in $(ldd /usr/sbin/qemu-ga | awk '/=>/ { print $3 } /^\t\// { print $1 }'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

cat >"$root/etc/os-release" <<'EOF'
PRETTY_NAME="Horcrux test guest (busybox)"
NAME="Horcrux test guest"
ID=horcrux-testguest
VERSION_ID="1"
EOF
echo hx-testguest >"$root/etc/hostname"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
cat >"$root/etc/profile" <<'EOF'
export PATH=/bin:/sbin HOME=/root
PS1='hx-guest:$(tty | sed s,/dev/,,)# '
EOF

cat >"$root/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
case $1 in
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
	;;
esac
exit 0
EOF
chmod 0755 "$root/usr/share/udhcpc/default.script"

# The agent's port is a /dev/vportNpM whose name sysfs tells (no udev here
# to make /dev/virtio-ports/...). A failing agent is restarted, never fatal;
# while /run/agent.off exists it is not (tests stop the agent with
# `touch /run/agent.off; killall qemu-ga`, and start it with `rm`).
cat >"$root/bin/agent" <<'EOF'
#!/bin/sh
while :; do
	for p in /sys/class/virtio-ports/*; do
		[ -e /run/agent.off ] && break
		[ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] || continue
		/bin/qemu-ga -m virtio-serial -p "/dev/$(basename "$p")" -f /run/qemu-ga.pid -t /run >>/tmp/qemu-ga.log 2>&1
	done
	sleep 1
done
EOF
chmod 0755 "$root/bin/agent"

cat >"$root/etc/inittab" <<'EOF'
ttyS0::respawn:/bin/sh -l
tty1::respawn:/bin/sh -l
::respawn:/bin/agent
::ctrlaltdel:/bin/reboot -f
::shutdown:/bin/sync
EOF

cat >"$root/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
hostname -F /etc/hostname
for m in $(cat /lib/modules/order); do insmod "/lib/modules/$m.ko" 2>/dev/null; done
echo 1 >/proc/sys/kernel/printk_ratelimit 2>/dev/null
echo 1 >/proc/sys/kernel/printk 2>/dev/null # keep kernel chatter off the shells
# A shell on a virtio console (hvc0) when the domain has one (a virtio
# device of type 3), a second text console. Its port shows up shortly
# after the module loads.
if grep -qx 0x0003 /sys/bus/virtio/devices/*/device 2>/dev/null; then
	i=0
	while [ ! -e /dev/hvc0 ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e /dev/hvc0 ] && echo "hvc0::respawn:/bin/sh -l" >>/etc/inittab
fi
banner="HORCRUX-TESTGUEST-BOOTED kernel $(uname -r)"
echo "$banner" >/dev/ttyS0 2>/dev/null
echo "$banner" >/dev/tty1 2>/dev/null
# A virtio disk (vda) is the guest's /data, formatted ext2 at its first
# boot, so the agent has a filesystem to report.
i=0
while [ ! -e /dev/vda ] && grep -qx 0x0002 /sys/bus/virtio/devices/*/device 2>/dev/null && [ $i -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -b /dev/vda ]; then
	mkdir -p /data
	mount -t ext4 /dev/vda /data 2>/dev/null || { mke2fs -q /dev/vda >/dev/null 2>&1 && mount -t ext4 /dev/vda /data; }
fi
ip link set lo up
if ip link show eth0 >/dev/null 2>&1; then
	ip link set eth0 up && udhcpc -b -q -i eth0 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 &
fi
exec /bin/init
EOF
chmod 0755 "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -6) >"$work/initrd.gz"
cp "$kernel" "$work/vmlinuz"
chmod 0644 "$work/initrd.gz" "$work/vmlinuz"
mkdir -p "$dest"
chmod 0755 "$dest"
mv "$work/vmlinuz" "$dest/vmlinuz"
mv "$work/initrd.gz" "$dest/initrd.gz"
echo "$dest/vmlinuz $dest/initrd.gz"
