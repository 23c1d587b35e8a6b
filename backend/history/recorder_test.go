package history

import (
	"context"
	"testing"
	"time"
)

// TestRecorder feeds snapshots through a Recorder on its goroutine; ending
// its context writes them and closes the store, so a reader sees them all.
func TestRecorder(t *testing.T) {
	dir := t.TempDir()
	clk := &simClock{t: simEpoch}
	st := openSim(t, dir, clk)
	rec := NewRecorder(st)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	for i := range 90 {
		now := simEpoch.Add(time.Duration(i) * time.Second)
		clk.Set(now)
		rec.Update(simSnapshot(now, 2, 1)) // 90 fit in the queue (128): none is dropped
	}
	cancel()
	<-done
	if n := rec.dropped.Load(); n != 0 {
		t.Fatalf("%d snapshots dropped", n)
	}
	rd, cleanup, err := OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	defer rd.Close()
	rd.opts.Now = clk.Now
	sr, err := rd.Read(Query{Item: ContainerItem(simCID(0)), Metric: MetricCPU, From: simEpoch, To: simEpoch.Add(90 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	var n uint32
	for _, p := range sr.Points {
		n += p.Count
	}
	if n != 90 || len(sr.Gaps) != 0 {
		t.Fatalf("%d samples and gaps %v, want 90 and none", n, sr.Gaps)
	}
	evs, _ := rd.Events(simEpoch.Add(-time.Hour), simEpoch.Add(time.Hour))
	if len(evs) != 2 || evs[0].Action != "started" || evs[1].Action != "stopped" {
		t.Fatalf("events %+v, want started then stopped", evs)
	}
}
