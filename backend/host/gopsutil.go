package host

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	gohost "github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"
)

// SystemReader reads the running Linux system through gopsutil.
type SystemReader struct {
	// SysRoot is where sysfs is mounted; it tells physical disks and
	// interfaces from virtual ones. Empty means /sys.
	SysRoot string
}

// Read implements Reader.
func (r SystemReader) Read(ctx context.Context) Reading {
	rd := Reading{Time: time.Now()}
	fail := func(p model.Part, err error) {
		if rd.Errs == nil {
			rd.Errs = make(map[model.Part]error)
		}
		rd.Errs[p] = err
	}
	rd.Hostname, _ = os.Hostname()

	// The total is the sum of the cores: one read of /proc/stat, not two.
	if cores, err := cpu.TimesWithContext(ctx, true); err != nil || len(cores) == 0 {
		fail(model.PartCPU, orEmpty(err, "no CPU times in /proc/stat"))
	} else {
		rd.PerCore = make([]CPUTime, len(cores))
		for i, c := range cores {
			rd.PerCore[i] = cpuTime(c)
			rd.CPU.Busy += rd.PerCore[i].Busy
			rd.CPU.Total += rd.PerCore[i].Total
		}
	}

	// Swap totals are in /proc/meminfo too; mem.SwapMemory would also parse
	// all of /proc/vmstat for paging counts Horcrux does not show.
	if vm, err := mem.VirtualMemoryWithContext(ctx); err != nil {
		fail(model.PartMemory, err)
		fail(model.PartSwap, err)
	} else {
		rd.MemTotal, rd.MemUsed, rd.MemAvailable, rd.MemFree = vm.Total, vm.Used, vm.Available, vm.Free
		rd.SwapTotal, rd.SwapUsed = vm.SwapTotal, vm.SwapTotal-min(vm.SwapFree, vm.SwapTotal)
	}

	if avg, err := load.AvgWithContext(ctx); err != nil {
		fail(model.PartLoad, err)
	} else {
		rd.Load1, rd.Load5, rd.Load15 = avg.Load1, avg.Load5, avg.Load15
	}

	if names, err := r.physicalDisks(); err != nil {
		fail(model.PartDisk, err)
	} else if len(names) > 0 {
		io, err := disk.IOCountersWithContext(ctx, names...)
		if err != nil {
			fail(model.PartDisk, err)
		}
		for _, d := range io {
			rd.DiskReadBytes += d.ReadBytes
			rd.DiskWriteBytes += d.WriteBytes
		}
	}

	if nics, err := net.IOCountersWithContext(ctx, true); err != nil {
		fail(model.PartNet, err)
	} else {
		for _, n := range nics {
			if r.physicalInterface(n.Name) {
				rd.NetRxBytes += n.BytesRecv
				rd.NetTxBytes += n.BytesSent
			}
		}
	}

	if up, err := gohost.UptimeWithContext(ctx); err != nil {
		fail(model.PartUptime, err)
	} else {
		rd.UptimeSeconds = up
	}
	return rd
}

// cpuTime folds /proc/stat columns into busy and total. Guest time is
// already inside user and nice, so it is not added again. Busy is summed,
// not taken as total minus idle: that difference picks up float rounding
// and an idle core would seem to go backwards.
func cpuTime(t cpu.TimesStat) CPUTime {
	busy := t.User + t.Nice + t.System + t.Irq + t.Softirq + t.Steal
	return CPUTime{Busy: busy, Total: busy + t.Idle + t.Iowait}
}

func (r SystemReader) sys() string {
	if r.SysRoot == "" {
		return "/sys"
	}
	return r.SysRoot
}

// physicalDisks lists whole disks backed by a device (sda, vda, nvme0n1).
// Partitions, loop, zram and device-mapper nodes are left out so that no
// byte is counted twice.
func (r SystemReader) physicalDisks() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(r.sys(), "block"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(r.sys(), "block", e.Name(), "device")); err == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// physicalInterface reports whether a network interface is backed by a
// device; loopback, bridges, veths and taps live under devices/virtual.
func (r SystemReader) physicalInterface(name string) bool {
	target, err := os.Readlink(filepath.Join(r.sys(), "class", "net", name))
	if err != nil {
		return false
	}
	return !strings.Contains(target, "/virtual/")
}

type emptyError string

func (e emptyError) Error() string { return string(e) }

func orEmpty(err error, msg string) error {
	if err != nil {
		return err
	}
	return emptyError(msg)
}
