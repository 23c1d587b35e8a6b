package host

import (
	"context"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// TestProcessReaderFindsABusyProcess: a process spinning on a core is among
// the busiest by CPU at the second read, and the first read has no CPU
// list (CPU use needs two reads) but does list memory.
func TestProcessReaderFindsABusyProcess(t *testing.T) {
	busy := exec.Command("sh", "-c", "while :; do :; done")
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Process.Kill(); busy.Wait() })
	var r ProcessReader
	ctx := context.Background()
	first, err := r.Read(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if first.ByCPU != nil || len(first.ByMemory) != 10 || first.Count < 10 {
		t.Fatalf("first read: %d by CPU, %d by memory of %d", len(first.ByCPU), len(first.ByMemory), first.Count)
	}
	for i := 1; i < len(first.ByMemory); i++ {
		if first.ByMemory[i].RSSBytes > first.ByMemory[i-1].RSSBytes {
			t.Fatalf("by memory not in order: %+v", first.ByMemory)
		}
	}
	time.Sleep(time.Second) // the busy loop runs meanwhile
	second, err := r.Read(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	pid := int32(busy.Process.Pid)
	i := slices.IndexFunc(second.ByCPU, func(p model.Process) bool { return p.PID == pid })
	if i < 0 {
		t.Fatalf("the busy process %d is not among the 10 busiest: %+v", pid, second.ByCPU)
	}
	if p := second.ByCPU[i]; p.CPUPercent == nil || *p.CPUPercent < 10 || p.Name != "sh" {
		t.Fatalf("busy process listed as %+v", p)
	}
}

// TestFilesystemsSkipsPseudoAndBindMounts: the root filesystem is listed
// with its use, once, and no kernel or memory filesystem is.
func TestFilesystemsSkipsPseudoAndBindMounts(t *testing.T) {
	fss, err := Filesystems(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	devs := map[string]bool{}
	var root bool
	for _, fs := range fss {
		if pseudoFS(fs.Type) {
			t.Errorf("pseudo filesystem listed: %+v", fs)
		}
		if devs[fs.Device] {
			t.Errorf("device %s listed twice", fs.Device)
		}
		devs[fs.Device] = true
		if fs.Mount == "/" {
			root = fs.TotalBytes > 0 && fs.UsedBytes > 0 && fs.UsedBytes <= fs.TotalBytes && fs.Err == ""
		}
	}
	if !root {
		t.Fatalf("/ not listed with its use: %+v", fss)
	}
}

// BenchmarkProcessRead is the cost of one refresh of the Host tab's
// process lists (every 2 s while they are shown); it reports the processes
// read.
func BenchmarkProcessRead(b *testing.B) {
	var r ProcessReader
	n := 0
	for b.Loop() {
		p, err := r.Read(context.Background(), 10)
		if err != nil {
			b.Fatal(err)
		}
		n = p.Count
	}
	b.ReportMetric(float64(n), "processes")
}

// BenchmarkFilesystems is the cost of one refresh of the filesystems list.
func BenchmarkFilesystems(b *testing.B) {
	for b.Loop() {
		if _, err := Filesystems(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
