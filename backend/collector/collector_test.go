package collector

import (
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/host"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/ring"
)

func TestDownsample(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		held   []float64
		n, per int
		want   []float64
	}{
		{"identity", []float64{1, 2, 3}, 3, 1, []float64{1, 2, 3}},
		{"pairs averaged", []float64{1, 3, 5, 7}, 4, 2, []float64{2, 6}},
		{"newest only", []float64{9, 9, 1, 2}, 2, 1, []float64{1, 2}},
		{"short history padded in front", []float64{4, 6}, 4, 1, []float64{nan, nan, 4, 6}},
		{"gap skipped in mean", []float64{2, nan, 4, 4}, 4, 2, []float64{2, 4}},
		{"all-gap bucket is a gap", []float64{nan, nan, 1, 1}, 4, 2, []float64{nan, 1}},
		{"ragged last bucket", []float64{1, 1, 1, 5, 7}, 5, 3, []float64{1, 6}},
		{"per below one treated as one", []float64{1, 2}, 2, 0, []float64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ring.New[float64](8)
			for _, v := range tt.held {
				r.Push(v)
			}
			got := Downsample(r, tt.n, tt.per)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if !(got[i] == tt.want[i] || math.IsNaN(got[i]) && math.IsNaN(tt.want[i])) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestHostChartsWindowAndGaps(t *testing.T) {
	h := newHostHistory(time.Second, time.Hour)
	for i := range 7200 {
		s := model.HostStats{CPUPercent: float64(i % 100), CPUPerCorePercent: []float64{1, 2}, MemTotal: 100, MemUsed: 40, MemFree: 25}
		if i == 7199 {
			s.Missing = map[model.Part]model.Gap{model.PartNet: {Reason: "gone"}}
		}
		h.add(&s)
	}
	for _, tt := range []struct {
		window time.Duration
		points int
		step   time.Duration
	}{
		{time.Minute, 60, time.Second},
		{10 * time.Minute, 600, time.Second},
		{time.Hour, 600, 6 * time.Second},
		{24 * time.Hour, 600, 6 * time.Second}, // no more than kept
	} {
		c := h.charts(tt.window)
		if len(c.CPU) != tt.points || c.Step != tt.step || len(c.PerCore) != 2 || len(c.PerCore[1]) != tt.points {
			t.Errorf("window %v: %d points step %v cores %d", tt.window, len(c.CPU), c.Step, len(c.PerCore))
		}
		if !math.IsNaN(c.NetRx[len(c.NetRx)-1]) && tt.step == time.Second {
			t.Errorf("window %v: missing net sample drawn as %v", tt.window, c.NetRx[len(c.NetRx)-1])
		}
		if c.MemTotal != 100 || c.MemUsed[0] != 40 || c.MemFree[0] != 25 {
			t.Errorf("memory series wrong: total %v used %v free %v", c.MemTotal, c.MemUsed[0], c.MemFree[0])
		}
	}
}

// scriptedReader returns readings whose clocks advance one second per call
// and blocks while gate is closed.
type scriptedReader struct {
	calls atomic.Int64
	gate  chan struct{}
}

func (r *scriptedReader) Read(ctx context.Context) host.Reading {
	n := r.calls.Add(1)
	if r.gate != nil && n > 1 {
		select {
		case <-r.gate:
		case <-ctx.Done():
		}
	}
	sec := float64(n)
	return host.Reading{
		Time:     time.Unix(n, 0),
		CPU:      host.CPUTime{Busy: 50 * sec, Total: 100 * sec},
		PerCore:  []host.CPUTime{{Busy: 50 * sec, Total: 100 * sec}},
		MemTotal: 1000, MemUsed: 250,
	}
}

func TestCollectorPublishesAndStops(t *testing.T) {
	updates := make(chan *model.Snapshot, 100)
	c := New(Config{
		Interval: 5 * time.Millisecond,
		Host:     &scriptedReader{},
		OnUpdate: func(s *model.Snapshot) {
			select {
			case updates <- s:
			default:
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()

	var got *model.Snapshot
	for got == nil || !got.Host.Has(model.PartCPU) {
		select {
		case got = <-updates:
		case <-time.After(10 * time.Second):
			t.Fatal("no snapshot with a CPU rate")
		}
	}
	if got.Host.CPUPercent != 50 || got.Charts == nil || got.Charts.CPU[len(got.Charts.CPU)-1] != 50 {
		t.Fatalf("snapshot CPU %v, chart tail %v", got.Host.CPUPercent, got.Charts.CPU)
	}
	c.SetWindow(time.Hour)
	for got.Charts.Window != time.Hour {
		select {
		case got = <-updates:
		case <-time.After(10 * time.Second):
			t.Fatal("window change not republished")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestCollectorReportsStuckHostSample(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	_, updates := run(t, Config{
		Interval: 5 * time.Millisecond,
		Host:     &scriptedReader{gate: gate},
	})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-updates:
			if strings.Contains(s.HostLate.Reason, "has not returned") {
				return
			}
		case <-deadline:
			t.Fatal("a stuck host sample was never reported")
		}
	}
}

// run starts a collector for cfg and returns it with the stream of its
// snapshots (the newest are kept when the test falls behind); it is stopped,
// and waited for, when the test ends.
func run(t *testing.T, cfg Config) (*Collector, <-chan *model.Snapshot) {
	t.Helper()
	updates := make(chan *model.Snapshot, 1000)
	cfg.OnUpdate = func(s *model.Snapshot) {
		select {
		case updates <- s:
		default:
		}
	}
	c := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return c, updates
}

// hangingEngine answers its first Poll, then hangs until released.
type hangingEngine struct {
	polls   atomic.Int32
	release chan struct{}
}

func (h *hangingEngine) Poll(ctx context.Context) model.ContainerSection {
	if h.polls.Add(1) > 1 {
		select {
		case <-h.release:
		case <-ctx.Done():
		}
	}
	return model.ContainerSection{Host: "unix:///frozen.sock", Availability: model.Available(),
		Items: []model.Container{{ID: "c1", Name: "web", State: "running"}}}
}

func (h *hangingEngine) Changed() <-chan struct{} { return nil }

// TestSilentEngineShownAsNotAnswering: a frozen engine's last list must not
// be shown as current; once it answers again the list returns.
func TestSilentEngineShownAsNotAnswering(t *testing.T) {
	eng := &hangingEngine{release: make(chan struct{})}
	_, updates := run(t, Config{
		Interval:   5 * time.Millisecond,
		Host:       &scriptedReader{},
		Containers: []ContainerSource{eng},
		Silence:    100 * time.Millisecond,
	})
	wait := func(what string, ok func(model.ContainerSection) bool) model.ContainerSection {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-updates:
				if sec := s.Containers[0]; ok(sec) {
					return sec
				}
			case <-deadline:
				t.Fatalf("no snapshot where %s", what)
			}
		}
	}
	first := wait("the engine answered", func(s model.ContainerSection) bool { return s.IsUp() })
	if len(first.Items) != 1 {
		t.Fatalf("first list %+v", first)
	}
	silent := wait("the engine is not answering", func(s model.ContainerSection) bool { return s.State == model.NotAnswering })
	if silent.IsUp() || len(silent.Items) != 0 {
		t.Errorf("a silent engine still shows its list: %+v", silent)
	}
	if !strings.Contains(silent.Reason, "has not answered since") || !strings.Contains(silent.Reason, "unix:///frozen.sock") {
		t.Errorf("error %q", silent.Reason)
	}
	close(eng.release)
	back := wait("the engine answers again", func(s model.ContainerSection) bool { return s.IsUp() })
	if back.State != model.Up || len(back.Items) != 1 {
		t.Errorf("after answering again: %+v", back)
	}
}

// countingEngine answers every Poll with one container and counts the polls.
type countingEngine struct {
	host  string
	polls atomic.Int32
}

func (e *countingEngine) Poll(context.Context) model.ContainerSection {
	e.polls.Add(1)
	return model.ContainerSection{Host: e.host, Availability: model.Available(),
		Items: []model.Container{{ID: e.host + "-c", Name: "web", State: "running"}}}
}

func (e *countingEngine) Changed() <-chan struct{} { return nil }

// TestSetHostsAppliesAtOnce: hosts added or removed take effect without a
// restart; a removed host is no longer polled.
func TestSetHostsAppliesAtOnce(t *testing.T) {
	a, b := &countingEngine{host: "a"}, &countingEngine{host: "b"}
	c, updates := run(t, Config{Interval: 5 * time.Millisecond, Host: &scriptedReader{}, Containers: []ContainerSource{a}})
	wait := func(what string, ok func(s *model.Snapshot) bool) *model.Snapshot {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-updates:
				if ok(s) {
					return s
				}
			case <-deadline:
				t.Fatalf("no snapshot where %s", what)
			}
		}
	}
	hosts := func(s *model.Snapshot) string {
		var out []string
		for _, sec := range s.Containers {
			out = append(out, sec.Host)
		}
		return strings.Join(out, ",")
	}
	wait("a is up", func(s *model.Snapshot) bool { return hosts(s) == "a" && s.Containers[0].IsUp() })
	c.SetHosts(nil, []ContainerSource{a, b})
	s := wait("a and b are up", func(s *model.Snapshot) bool {
		return hosts(s) == "a,b" && s.Containers[1].IsUp()
	})
	if !s.Containers[0].IsUp() {
		t.Errorf("a lost its state when b was added: %+v", s.Containers[0])
	}
	c.SetHosts(nil, []ContainerSource{b})
	wait("only b", func(s *model.Snapshot) bool { return len(s.Containers) == 1 && s.Containers[0].Host == "b" })
	before := a.polls.Load()
	// b is polled many times more while a is not polled again.
	for n := b.polls.Load(); b.polls.Load() < n+5; {
		<-updates
	}
	if after := a.polls.Load(); after > before+1 { // one poll may have been in flight
		t.Errorf("a removed host was polled %d more times", after-before)
	}
}

// mutedEngine never answers until released.
type mutedEngine struct{ release chan struct{} }

func (m *mutedEngine) Poll(ctx context.Context) model.ContainerSection {
	select {
	case <-m.release:
	case <-ctx.Done():
	}
	return model.ContainerSection{Host: "unix:///muted.sock", Availability: model.Available()}
}

func (m *mutedEngine) Changed() <-chan struct{} { return nil }

// TestNeverAnsweredEngine: an engine that never answered says so, not
// that its (never loaded) list is old.
func TestNeverAnsweredEngine(t *testing.T) {
	eng := &mutedEngine{release: make(chan struct{})}
	defer close(eng.release)
	_, updates := run(t, Config{
		Interval:   5 * time.Millisecond,
		Host:       &scriptedReader{},
		Containers: []ContainerSource{eng},
		Silence:    100 * time.Millisecond,
	})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-updates:
			sec := s.Containers[0]
			if sec.State != model.NotAnswering {
				continue
			}
			if !strings.Contains(sec.Reason, "has not answered since Horcrux began asking") ||
				!strings.Contains(sec.Reason, "no containers have been listed yet") {
				t.Fatalf("never answered: %q", sec.Reason)
			}
			return
		case <-deadline:
			t.Fatal("no snapshot shows the engine as not answering")
		}
	}
}
