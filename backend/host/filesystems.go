package host

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shirou/gopsutil/v4/disk"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// pseudoFS reports whether filesystems of type t hold no user data:
// kernel interfaces, memory-backed ones, container layers and read-only
// images (snaps), whose use says nothing about the disks.
func pseudoFS(t string) bool {
	switch t {
	case "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "cgroup", "cgroup2", "securityfs",
		"debugfs", "tracefs", "pstore", "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs", "autofs",
		"binfmt_misc", "rpc_pipefs", "nsfs", "overlay", "squashfs", "efivarfs", "selinuxfs":
		return true
	}
	return false
}

// usageWait bounds the wait for one filesystem's use: statfs on a hung
// network mount blocks until the server answers.
const usageWait = 2 * time.Second

// Filesystems lists the host's mounted filesystems with their use, without
// pseudo filesystems, each device once (at its shortest mount point: bind
// mounts repeat it), sorted by mount point.
func Filesystems(ctx context.Context) ([]model.Filesystem, error) {
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil && len(parts) == 0 {
		return nil, fmt.Errorf("cannot list the mounted filesystems: %w", err)
	}
	byDev := map[string]disk.PartitionStat{}
	for _, p := range parts {
		if pseudoFS(p.Fstype) {
			continue
		}
		if was, ok := byDev[p.Device]; !ok || len(p.Mountpoint) < len(was.Mountpoint) {
			byDev[p.Device] = p
		}
	}
	out := make([]model.Filesystem, 0, len(byDev))
	for _, p := range byDev {
		fs := model.Filesystem{Mount: p.Mountpoint, Device: p.Device, Type: p.Fstype}
		u, err := usage(ctx, p.Mountpoint)
		switch {
		case err != nil:
			fs.Err = err.Error()
		default:
			fs.TotalBytes, fs.UsedBytes, fs.FreeBytes = u.Total, u.Used, u.Free
		}
		out = append(out, fs)
	}
	slices.SortFunc(out, func(a, b model.Filesystem) int { return cmp.Compare(a.Mount, b.Mount) })
	return out, nil
}

// usage is the use of the filesystem at mount, or why it is unknown. A
// statfs stuck on a hung mount ends on its own when the mount answers.
func usage(ctx context.Context, mount string) (*disk.UsageStat, error) {
	type result struct {
		u   *disk.UsageStat
		err error
	}
	done := make(chan result, 1)
	go func() {
		u, err := disk.UsageWithContext(ctx, mount)
		done <- result{u, err}
	}()
	t := time.NewTimer(usageWait)
	defer t.Stop()
	select {
	case r := <-done:
		return r.u, r.err
	case <-t.C:
		return nil, fmt.Errorf("not answering after %s (a hung network mount?)", usageWait)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
