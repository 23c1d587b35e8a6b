package history

import (
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// TestSnapshotEvents turns a sequence of snapshots into the events an
// admin looks for, and none for a source coming up or going silent.
func TestSnapshotEvents(t *testing.T) {
	clk := &simClock{t: simEpoch}
	st := openSim(t, t.TempDir(), clk)
	defer st.Close()
	up := model.Availability{State: model.Up}
	vm := func(state model.VMState) []model.VMSection {
		return []model.VMSection{{URI: "qemu:///system", Availability: up, Items: []model.Machine{{Name: "web", UUID: "u1", State: state}}}}
	}
	ct := func(state string, code, restarts int) []model.ContainerSection {
		return []model.ContainerSection{{Host: "unix:///d.sock", Availability: up,
			Items: []model.Container{{ID: "c1", Name: "db", State: state, ExitCode: code, RestartCount: restarts}}}}
	}
	down := []model.VMSection{{URI: "qemu:///system", Availability: model.Availability{State: model.NotAnswering}}}
	steps := []struct {
		vms []model.VMSection
		cts []model.ContainerSection
	}{
		{[]model.VMSection{{URI: "qemu:///system"}}, []model.ContainerSection{{Host: "unix:///d.sock"}}}, // connecting
		{vm(model.VMShutoff), ct("running", 0, 0)},                                                       // first list: news, no events
		{vm(model.VMRunning), ct("running", 0, 0)},
		{vm(model.VMPaused), ct("exited", 137, 0)},
		{down, ct("running", 0, 1)}, // libvirt silent: no "undefined"
		{vm(model.VMRunning), nil},  // resumed; the engine section gone: no event either
		{nil, ct("running", 0, 1)},
		{[]model.VMSection{{URI: "qemu:///system", Availability: up}}, []model.ContainerSection{{Host: "unix:///d.sock", Availability: up}}},
	}
	for i, s := range steps {
		now := simEpoch.Add(time.Duration(i) * time.Second)
		st.AddSnapshot(&model.Snapshot{Time: now, VMs: s.vms, Containers: s.cts,
			Versions: model.Versions{VMs: uint64(i), Containers: uint64(i)}})
	}
	evs, err := st.Events(simEpoch, simEpoch.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		if e.Kind == EventHorcrux {
			continue
		}
		s := string(e.Kind) + " " + e.Name + " " + e.Action
		if e.ExitCode != nil {
			s += " " + e.Detail
		}
		got = append(got, s)
	}
	want := []string{
		"vm web started",
		"vm web paused",
		"container db died exit code 137 (killed: out of memory or docker kill)",
		"container db restarted",
		"vm web resumed",
		"vm web undefined",
		"container db removed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSnapshotCoresAndMemorySplit: the host's per-core CPU and the memory
// split the live chart stacks (used, cache and buffers, free) are stored,
// and MetricsOf lists the cores by number after the kind's series.
func TestSnapshotCoresAndMemorySplit(t *testing.T) {
	clk := &simClock{t: simEpoch}
	st := openSim(t, t.TempDir(), clk)
	defer st.Close()
	cores := make([]float64, 12) // cpu10 sorts after cpu2
	for i := range cores {
		cores[i] = float64(i)
	}
	st.AddSnapshot(&model.Snapshot{Time: simEpoch, Versions: model.Versions{Host: 1}, Host: model.HostStats{
		Time: simEpoch, CPUPercent: 5, CPUPerCorePercent: cores,
		MemTotal: 8 << 30, MemUsed: 3 << 30, MemFree: 1 << 30}})
	read := func(metric string) float64 {
		t.Helper()
		sr, err := st.Read(Query{Item: HostItem, Metric: metric, From: simEpoch, To: simEpoch.Add(time.Second)})
		if err != nil || len(sr.Points) != 1 || sr.Points[0].Count != 1 {
			t.Fatalf("%s: %+v, %v", metric, sr.Points, err)
		}
		return sr.Points[0].Avg()
	}
	if got := read(MetricMemCache); got != 4<<30 {
		t.Errorf("cache and buffers %v, want total - used - free = 4 GiB", got)
	}
	if got := read(MetricMemFree); got != 1<<30 {
		t.Errorf("free %v, want 1 GiB", got)
	}
	if got := read(MetricCore(11)); got != 11 {
		t.Errorf("cpu11 %v, want 11", got)
	}
	ms := st.MetricsOf(HostItem, KindHost)
	want := append(Metrics(KindHost), "cpu0_percent", "cpu1_percent", "cpu2_percent")
	if len(ms) != len(Metrics(KindHost))+12 || strings.Join(ms[:len(want)], ",") != strings.Join(want, ",") || ms[len(ms)-1] != "cpu11_percent" {
		t.Errorf("host series %v", ms)
	}
	if got := st.MetricsOf(VMItem("none"), KindVM); strings.Join(got, ",") != strings.Join(Metrics(KindVM), ",") {
		t.Errorf("a VM's series %v", got)
	}
}

func TestCoreOf(t *testing.T) {
	for _, c := range []struct {
		metric string
		core   int
		ok     bool
	}{
		{"cpu0_percent", 0, true}, {"cpu17_percent", 17, true}, {"cpu_percent", 0, false}, {"cpu01_percent", 0, false},
		{"cpu-1_percent", 0, false}, {"cpu+1_percent", 0, false}, {"cpu1", 0, false}, {"mem_bytes", 0, false}, {"cpux_percent", 0, false},
	} {
		if core, ok := CoreOf(c.metric); core != c.core || ok != c.ok {
			t.Errorf("CoreOf(%q) = %d, %v; want %d, %v", c.metric, core, ok, c.core, c.ok)
		}
	}
}

// FuzzCoreOf: a name CoreOf accepts is the one MetricCore gives back.
func FuzzCoreOf(f *testing.F) {
	for _, s := range []string{"cpu0_percent", "cpu12_percent", "cpu_percent", "cpu-0_percent"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, metric string) {
		if c, ok := CoreOf(metric); ok && (c < 0 || MetricCore(c) != metric) {
			t.Fatalf("CoreOf(%q) = %d, named %q", metric, c, MetricCore(c))
		}
	})
}
