package collector

import (
	"context"
	"math"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func ptr[T any](v T) *T { return &v }

func TestItemHistory(t *testing.T) {
	h := newItemHistory(time.Second, true)
	sec := model.ContainerSection{Availability: model.Available(), Items: []model.Container{
		{ID: "a", CPUPercent: ptr(150.0), MemUsageBytes: ptr(uint64(4096))},
		{ID: "b"}, // not running: no figures
	}}
	for range 3 {
		h.record(containerFigures(0, &sec))
	}
	a := h.charts("0/a", time.Minute)
	if a == nil || len(a.CPU) != 60 || a.CPU[59] != 150 || a.Mem[59] != 4096 || !math.IsNaN(a.CPU[0]) {
		t.Fatalf("history of a: %+v", a)
	}
	if b := h.charts("0/b", time.Minute); !math.IsNaN(b.CPU[59]) || !math.IsNaN(b.NetRx[59]) {
		t.Fatalf("a stopped container got figures: %+v", b)
	}
	// One that disappears loses its history; one never seen has none.
	sec.Items = sec.Items[:1]
	h.record(containerFigures(0, &sec))
	if h.charts("0/b", time.Minute) != nil || h.charts("0/zz", time.Minute) != nil {
		t.Fatal("history kept for a container that is gone")
	}
	// Windows longer than ItemKeep show what is kept.
	if c := h.charts("0/a", time.Hour); c.Window != ItemKeep {
		t.Fatalf("1 h window on item history = %v", c.Window)
	}
	vh := newItemHistory(time.Second, true)
	vs := model.VMSection{Items: []model.Machine{{UUID: "u", CPUPercent: ptr(12.5), State: model.VMRunning, MemoryBytes: 2 << 30},
		{UUID: "off", State: model.VMShutoff, MemoryBytes: 1 << 30}}}
	vh.record(vmFigures(0, &vs))
	if c := vh.charts("0/u", time.Minute); c.Mem[59] != 2<<30 || c.CPU[59] != 12.5 {
		t.Fatalf("VM history: %+v", c)
	}
	if c := vh.charts("0/off", time.Minute); !math.IsNaN(c.Mem[59]) {
		t.Errorf("a shut-off VM charts %v bytes of memory", c.Mem[59])
	}
}

// countingVMs is a VM source whose Changed channel the test pokes.
type countingVMs struct {
	polls   atomic.Int64
	changed chan struct{}
}

func (s *countingVMs) Poll(context.Context) model.VMSection {
	n := s.polls.Add(1)
	return model.VMSection{URI: "test:///default", Availability: model.Available(),
		Items: []model.Machine{{Name: "test", UUID: "u1", CPUPercent: ptr(float64(n))}}}
}
func (s *countingVMs) Changed() <-chan struct{} { return s.changed }

func TestCollectorPollsSourcesAndCarriesSelection(t *testing.T) {
	src := &countingVMs{changed: make(chan struct{}, 1)}
	c, updates := run(t, Config{
		Interval: time.Hour, // only events and the first poll drive it
		Host:     &scriptedReader{},
		VMs:      []VMSource{src},
	})
	wait := func(what string, ok func(*model.Snapshot) bool) *model.Snapshot {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-updates:
				if ok(s) {
					return s
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	wait("the first poll", func(s *model.Snapshot) bool { return s.VMs[0].IsUp() && len(s.VMs[0].Items) == 1 })
	src.changed <- struct{}{}
	wait("a poll on change", func(s *model.Snapshot) bool {
		return src.polls.Load() >= 2 && s.VMs[0].Items[0].CPUPercent != nil && *s.VMs[0].Items[0].CPUPercent >= 2
	})
	c.SelectVM(model.ItemKey(0, "u1"))
	s := wait("the selected VM's charts", func(s *model.Snapshot) bool { return s.VMCharts != nil })
	if s.VMCharts.ID != "0/u1" || s.ContainerCharts != nil {
		t.Fatalf("charts for %q, containers %v", s.VMCharts.ID, s.ContainerCharts)
	}
	if len(s.Containers) != 0 {
		t.Fatalf("no container source, yet sections %+v", s.Containers)
	}
}

func TestItemHistoryBudget(t *testing.T) {
	h := newItemHistory(time.Second, false)
	sec := model.VMSection{Items: make([]model.Machine, 1000)}
	for i := range sec.Items {
		sec.Items[i].UUID = string(rune('a'+i%26)) + strconv.Itoa(i)
	}
	h.record(vmFigures(0, &sec))
	total := 0
	for _, rs := range h.items {
		for _, r := range rs {
			if r != nil {
				total += r.Cap()
			}
		}
	}
	if total > itemBudget {
		t.Fatalf("1000 VMs hold %d values, budget %d", total, itemBudget)
	}
	c := h.charts(model.ItemKey(0, sec.Items[0].UUID), time.Hour)
	if c.Window < time.Duration(minItemPoints)*time.Second || c.Window >= ItemKeep {
		t.Fatalf("1000 VMs keep %v each", c.Window)
	}
	// A handful of VMs get the full ItemKeep.
	few := newItemHistory(time.Second, false)
	few.record(vmFigures(0, &model.VMSection{Items: sec.Items[:10]}))
	if c := few.charts(model.ItemKey(0, sec.Items[0].UUID), time.Hour); c.Window != ItemKeep {
		t.Fatalf("10 VMs keep %v each", c.Window)
	}
}

// stuckVMs is a host whose libvirt never answers.
type stuckVMs struct{ release chan struct{} }

func (s *stuckVMs) Poll(ctx context.Context) model.VMSection {
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	return model.VMSection{URI: "qemu+ssh://down/system", Availability: model.Unavailable("no answer")}
}
func (s *stuckVMs) Changed() <-chan struct{} { return nil }

func TestHostThatHangsNeverSlowsTheOthers(t *testing.T) {
	stuck := &stuckVMs{release: make(chan struct{})}
	defer close(stuck.release)
	live := &countingVMs{changed: make(chan struct{}, 1)}
	_, updates := run(t, Config{
		Interval: 5 * time.Millisecond,
		Host:     &scriptedReader{},
		VMs:      []VMSource{stuck, live},
	})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-updates:
			if len(s.VMs) != 2 {
				t.Fatalf("%d sections for 2 hosts", len(s.VMs))
			}
			if s.VMs[0].IsUp() || s.VMs[0].Reason == "" {
				t.Fatalf("the hung host looks fine: %+v", s.VMs[0])
			}
			if live.polls.Load() >= 5 && s.VMs[1].IsUp() {
				return // the live host refreshed again and again meanwhile
			}
		case <-deadline:
			t.Fatalf("the live host stalled behind the hung one (%d polls)", live.polls.Load())
		}
	}
}

// Guest filesystem use is charted per mount point, NaN while the facts are
// missing, capped per VM, and dropped with the VM.
func TestItemHistoryGuestFS(t *testing.T) {
	h := newItemHistory(time.Second, false)
	fs := func(mounts ...string) *model.GuestFacts {
		g := &model.GuestFacts{}
		for i, m := range mounts {
			g.FileSystems = append(g.FileSystems, model.GuestFS{Mount: m, TotalBytes: 100, UsedBytes: uint64(10 * (i + 1))})
		}
		return g
	}
	sec := model.VMSection{Items: []model.Machine{{UUID: "u", Guest: fs("/", "/home")}, {UUID: "v"}}}
	push := func() {
		h.record(vmFigures(0, &sec))
		h.recordFS(vmFSFigures(0, &sec))
	}
	push()
	push()
	sec.Items[0].Guest = nil // the agent stopped answering
	push()
	c := h.charts("0/u", time.Minute)
	if len(c.GuestFS) != 2 || c.GuestFS[0].Name != "/" || c.GuestFS[1].Name != "/home" {
		t.Fatalf("series %+v", c.GuestFS)
	}
	if v := c.GuestFS[1].Values; len(v) != 60 || v[57] != 20 || v[58] != 20 || !math.IsNaN(v[59]) || !math.IsNaN(v[0]) {
		t.Errorf("/home: %v", v[55:])
	}
	if c := h.charts("0/v", time.Minute); c.GuestFS != nil {
		t.Errorf("a VM without facts got filesystem series: %+v", c.GuestFS)
	}
	many := make([]string, 20)
	for i := range many {
		many[i] = "/m" + strconv.Itoa(i)
	}
	sec.Items[1].Guest = fs(many...)
	push()
	if c := h.charts("0/v", time.Minute); len(c.GuestFS) != maxFSSeries {
		t.Errorf("%d series for 20 mounts, want %d", len(c.GuestFS), maxFSSeries)
	}
	sec.Items = sec.Items[1:]
	push()
	if _, ok := h.fs["0/u"]; ok {
		t.Error("filesystem history kept for a VM that is gone")
	}
}
