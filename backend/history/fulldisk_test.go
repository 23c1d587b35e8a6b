package history

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFullDisk fills a small tmpfs under the store: writes fail with a
// notice saying the disk is full, the samples stay in memory, nothing
// panics, and once space is freed the next flush writes them all.
func TestFullDisk(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 (make test does) to fill a real tmpfs")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "horcrux-history-test", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	dir := filepath.Join(mnt, "horcrux")
	clk := &simClock{t: simEpoch}
	st, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Leave little room: a filler file takes most of the tmpfs.
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, 640<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	var failedAt time.Time
	var i int
	for i = 0; i < 24*3600 && failedAt.IsZero(); i++ {
		now := simEpoch.Add(time.Duration(i) * time.Second)
		clk.Set(now)
		st.AddSnapshot(simSnapshot(now, 20, 10))
		if err := st.Tick(now); err != nil {
			failedAt = now
			if !strings.Contains(err.Error(), "disk is full") {
				t.Fatalf("error %q, want it to say the disk is full", err)
			}
		}
	}
	if failedAt.IsZero() {
		t.Fatal("the disk never filled")
	}
	if !strings.Contains(st.Notice(), "disk is full") {
		t.Fatalf("notice %q", st.Notice())
	}
	t.Logf("the disk filled after %s of samples", failedAt.Sub(simEpoch))
	// Two more minutes while full: still no panic, still buffered.
	for j := range 120 {
		now := simEpoch.Add(time.Duration(i+j) * time.Second)
		clk.Set(now)
		st.AddSnapshot(simSnapshot(now, 20, 10))
		st.Tick(now)
	}
	end := simEpoch.Add(time.Duration(i+120) * time.Second)
	os.Remove(filler)
	if err := st.Flush(); err != nil {
		t.Fatalf("flush after freeing space: %v", err)
	}
	if st.Notice() != "" {
		t.Fatalf("notice after recovery: %q", st.Notice())
	}
	st.Close()
	st, err = Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Every second, through the full-disk stretch, is there.
	from := end.Add(-50 * time.Minute)
	if from.Before(simEpoch) {
		from = simEpoch
	}
	sr, err := st.Read(Query{Item: VMItem(simUUID(3)), Metric: MetricCPU, From: from, To: end})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Tier != Second || len(sr.Gaps) != 0 {
		t.Fatalf("tier %v, gaps %v over the full-disk stretch, want 1s and none", sr.Tier, sr.Gaps)
	}
}
