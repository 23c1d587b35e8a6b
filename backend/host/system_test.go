package host

import (
	"bufio"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// procMemTotal reads MemTotal straight from /proc/meminfo, in bytes.
func procMemTotal(t *testing.T) uint64 {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Skipf("no /proc/meminfo: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb * 1024
		}
	}
	t.Fatal("MemTotal not in /proc/meminfo")
	return 0
}

func procLoad1(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Skipf("no /proc/loadavg: %v", err)
	}
	v, err := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSystemReaderAgreesWithProc(t *testing.T) {
	s := NewSampler(SystemReader{})
	s.Sample(context.Background())
	time.Sleep(200 * time.Millisecond) // two readings apart in time, for the rates
	before := procLoad1(t)
	st := s.Sample(context.Background())
	after := procLoad1(t)

	if len(st.Missing) != 0 {
		t.Fatalf("parts missing on a healthy Linux host: %v", st.Missing)
	}
	if want := procMemTotal(t); st.MemTotal != want {
		t.Errorf("MemTotal = %d, /proc/meminfo says %d", st.MemTotal, want)
	}
	if st.MemUsed+st.MemAvailable != st.MemTotal {
		t.Errorf("used %d + available %d != total %d", st.MemUsed, st.MemAvailable, st.MemTotal)
	}
	if st.MemFree == 0 || st.MemFree > st.MemAvailable {
		t.Errorf("free %d: want some, and no more than available %d", st.MemFree, st.MemAvailable)
	}
	// sysinfo(2) and /proc/loadavg round differently (and load may move
	// between the reads), so allow 0.01 around either read.
	lo, hi := math.Min(before, after)-0.011, math.Max(before, after)+0.011
	if st.Load1 < lo || st.Load1 > hi {
		t.Errorf("load1 = %.3f, /proc/loadavg said %.2f then %.2f", st.Load1, before, after)
	}
	if st.CPUPercent < 0 || st.CPUPercent > 100 {
		t.Errorf("CPU %% = %v", st.CPUPercent)
	}
	if n := len(st.CPUPerCorePercent); n == 0 {
		t.Error("no per-core figures")
	}
	if st.UptimeSeconds == 0 {
		t.Error("uptime 0")
	}
}

// fakeSys lays out the sysfs entries the reader looks at.
func fakeSys(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		mk(filepath.Dir(name))
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk("block/vda/device")
	mk("block/nvme0n1/device")
	mk("block/loop0")
	mk("block/zram0")
	mk("block/dm-0")
	link("../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0", "class/net/eth0")
	link("../../devices/pci0000:00/0000:00:1f.6/net/enp0s31f6", "class/net/enp0s31f6")
	link("../../devices/virtual/net/lo", "class/net/lo")
	link("../../devices/virtual/net/docker0", "class/net/docker0")
	link("../../devices/virtual/net/veth1a2b", "class/net/veth1a2b")
	return root
}

func TestPhysicalDevices(t *testing.T) {
	r := SystemReader{SysRoot: fakeSys(t)}
	disks, err := r.physicalDisks()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(disks)
	if !slices.Equal(disks, []string{"nvme0n1", "vda"}) {
		t.Errorf("physical disks = %v", disks)
	}
	for name, want := range map[string]bool{
		"eth0": true, "enp0s31f6": true, "lo": false, "docker0": false, "veth1a2b": false, "gone0": false,
	} {
		if got := r.physicalInterface(name); got != want {
			t.Errorf("physicalInterface(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestMissingSysfsIsReportedNotZeroed(t *testing.T) {
	st := Compute(nil, ptr(SystemReader{SysRoot: filepath.Join(t.TempDir(), "nowhere")}.Read(context.Background())))
	if st.Has(model.PartDisk) || !strings.Contains(st.Missing[model.PartDisk].Reason, "nowhere") {
		t.Fatalf("disk part without sysfs: %q", st.Missing[model.PartDisk].Reason)
	}
	if !st.Has(model.PartMemory) {
		t.Fatalf("memory lost with sysfs: %v", st.Missing)
	}
}

func ptr[T any](v T) *T { return &v }

// BenchmarkSample is the CPU cost of one host sample (target <= 1 ms).
func BenchmarkSample(b *testing.B) {
	s := NewSampler(SystemReader{})
	ctx := context.Background()
	for b.Loop() {
		s.Sample(ctx)
	}
}
