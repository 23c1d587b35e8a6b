package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/host"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// fakeProcesses is a read of n processes, the busiest and largest first.
func fakeProcesses(n int) model.Processes {
	p := model.Processes{Time: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), Count: 241}
	for i := range n {
		p.ByCPU = append(p.ByCPU, model.Process{PID: int32(1000 + i), Name: fmt.Sprintf("worker-%d", i),
			CPUPercent: f64(float64(190 - 20*i)), RSSBytes: uint64(i+1) << 24})
		p.ByMemory = append(p.ByMemory, model.Process{PID: int32(2000 + i), Name: fmt.Sprintf("qemu-system-x86_64-%d", i),
			CPUPercent: f64(float64(i)), RSSBytes: uint64(n-i) << 28})
	}
	return p
}

func fakeFilesystems() []model.Filesystem {
	return []model.Filesystem{
		{Mount: "/", Device: "/dev/nvme0n1p2", Type: "ext4", TotalBytes: 500 << 30, UsedBytes: 320 << 30, FreeBytes: 155 << 30},
		{Mount: "/boot/efi", Device: "/dev/nvme0n1p1", Type: "vfat", TotalBytes: 512 << 20, UsedBytes: 6 << 20, FreeBytes: 506 << 20},
		{Mount: "/mnt/nas", Device: "nas:/export", Type: "nfs4", Err: "not answering after 2s (a hung network mount?)"},
	}
}

// TestHostListsReadOnlyWhileShown: nothing is read while the charts, or
// another tab, are shown; the Processes sub-tab is read at once, then at
// most every processEvery, and shows what was read.
func TestHostListsReadOnlyWhileShown(t *testing.T) {
	w := testWindow(t)
	l := w.host.lists
	ui := make(chan func(), 4)
	l.uiDo = func(f func()) { ui <- f }
	reads := map[string]int{}
	l.readProc = func(context.Context, *host.ProcessReader) (model.Processes, error) {
		reads["processes"]++
		return fakeProcesses(10), nil
	}
	l.readFS = func(context.Context) ([]model.Filesystem, error) {
		reads["filesystems"]++
		return fakeFilesystems(), nil
	}
	s := fakeSnapshot(2, nil)
	w.apply(s)
	w.apply(hostTick(s))
	if len(reads) != 0 {
		t.Fatalf("read with the charts shown: %v", reads)
	}
	l.tabs.SelectIndex(subProcesses)
	(<-ui)()
	if reads["processes"] != 1 || !drawn(l.byCPU.root, "worker-0") || !drawn(l.byMem.root, "qemu-system-x86_64-0") {
		t.Fatalf("Processes shown: %v reads, lists drawn %v %v", reads, drawn(l.byCPU.root, "worker-0"), drawn(l.byMem.root, "qemu-system-x86_64-0"))
	}
	if l.byCPU.rows[0].Name != "worker-0" || l.byMem.rows[0].Name != "qemu-system-x86_64-0" {
		t.Errorf("lists not busiest first: %s, %s", l.byCPU.rows[0].Name, l.byMem.rows[0].Name)
	}
	w.apply(hostTick(s)) // within processEvery: not read again
	if reads["processes"] != 1 {
		t.Fatalf("read again before it was due: %v", reads)
	}
	l.tick(time.Now().Add(processEvery))
	(<-ui)()
	if reads["processes"] != 2 {
		t.Fatalf("not read again when due: %v", reads)
	}
	w.tabs.SelectIndex(int(tabMachines))
	l.readAt[subProcesses] = time.Time{} // long due
	w.apply(hostTick(s))
	if reads["processes"] != 2 {
		t.Fatalf("read while the Host tab is hidden: %v", reads)
	}
	w.tabs.SelectIndex(int(tabHost))
	(<-ui)()
	l.tabs.SelectIndex(subFilesystems)
	(<-ui)()
	if reads["filesystems"] != 1 || !drawn(l.fs.root, "/boot/efi") || !drawn(l.fs.root, "67.4 %") {
		t.Fatalf("Filesystems shown: %v reads; / at 67.4 %% drawn %v", reads, drawn(l.fs.root, "67.4 %"))
	}
}
