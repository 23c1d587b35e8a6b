package history

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	if _, err := Inspect(dir); err == nil || !strings.Contains(err.Error(), "no history at") {
		t.Fatalf("Inspect of an empty directory: %v", err)
	}
	clk := &simClock{t: simEpoch.Add(-2 * time.Hour)}
	st := openSim(t, dir, clk)
	first := clk.Now()
	for i := range 7200 {
		at := first.Add(time.Duration(i) * time.Second)
		clk.Set(at)
		st.SeeItem(HostItem, KindHost, "box", "", at)
		st.Add(HostItem, MetricCPU, at, 5)
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	// Described while the recorder still holds the file, as the doctor does.
	in, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if in.Path != filepath.Join(dir, FileName) || in.Size <= 0 || in.Items != 1 || !in.Oldest.Equal(first) ||
		!in.Newest.Equal(first.Add(7199*time.Second)) {
		t.Errorf("Inspect = %+v, want %s, some bytes, 1 item from %v", in, filepath.Join(dir, FileName), first)
	}
	if live := st.Info(); live.Items != 1 || !live.Oldest.Equal(first) {
		t.Errorf("Info of the open store = %+v", live)
	}
	st.Close()
}
