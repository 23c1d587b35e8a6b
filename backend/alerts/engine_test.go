package alerts

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// hostAt is a snapshot at second sec of a 4-core host with the given CPU %,
// memory % and load1, every part measured.
func hostAt(sec int, cpu, mem, load1 float64) *model.Snapshot {
	return &model.Snapshot{
		Time: at(sec),
		Host: model.HostStats{
			Time:              at(sec),
			CPUPercent:        cpu,
			CPUPerCorePercent: []float64{cpu, cpu, cpu, cpu},
			MemTotal:          1000, MemUsed: uint64(mem * 10),
			Load1: load1,
		},
	}
}

func cpuAt(sec int, cpu float64) *model.Snapshot { return hostAt(sec, cpu, 10, 0) }

// without marks host parts as not measured.
func without(s *model.Snapshot, parts ...model.Part) *model.Snapshot {
	s.Host.Missing = map[model.Part]model.Gap{}
	for _, p := range parts {
		s.Host.Missing[p] = model.Gap{Reason: "cannot read"}
	}
	return s
}

func stale(s *model.Snapshot) *model.Snapshot {
	s.HostLate = model.Availability{State: model.NotAnswering, Reason: "host figures are 5s old: the last sample has not returned"}
	return s
}

// vmsAt is a snapshot at second sec whose VM list libvirt just gave; each
// state belongs to the VM named vm<i> with UUID u<i>.
func vmsAt(sec int, states ...model.VMState) *model.Snapshot {
	items := make([]model.Machine, len(states))
	for i, st := range states {
		id := string(rune('1' + i))
		items[i] = model.Machine{Name: "vm" + id, UUID: "u" + id, State: st}
	}
	return &model.Snapshot{Time: at(sec), VMs: []model.VMSection{{URI: "qemu:///system", Availability: model.Available(), Items: items}}}
}

func vmsDown(sec int) *model.Snapshot {
	return &model.Snapshot{Time: at(sec), VMs: []model.VMSection{{URI: "qemu:///system", Availability: model.Unavailable("cannot connect to libvirt")}}}
}

// vmsSilent is libvirt not answering, as vm.Source and the collector report it.
func vmsSilent(sec int) *model.Snapshot {
	return &model.Snapshot{Time: at(sec), VMs: []model.VMSection{model.VMsNotAnswering("qemu:///system", at(sec-12), at(sec))}}
}

// ct describes container c1 in one snapshot.
type ct struct {
	state    string
	code     int
	restarts int
}

func ctAt(sec int, c ct) *model.Snapshot {
	return &model.Snapshot{Time: at(sec), Containers: []model.ContainerSection{{
		Host: "unix:///var/run/docker.sock", Availability: model.Available(),
		Items: []model.Container{{ID: "c1", Name: "web", State: c.state, ExitCode: c.code, RestartCount: c.restarts}},
	}}}
}

func ctsGone(sec int) *model.Snapshot {
	return &model.Snapshot{Time: at(sec), Containers: []model.ContainerSection{{Host: "unix:///var/run/docker.sock", Availability: model.Available(), Items: []model.Container{}}}}
}

func ctsDown(sec int) *model.Snapshot {
	return &model.Snapshot{Time: at(sec), Containers: []model.ContainerSection{{Host: "unix:///var/run/docker.sock", Availability: model.Unavailable("Docker is not running")}}}
}

// step is one Observe: what to do first, the snapshot, and the episode keys
// expected to be raised and resolved by it.
type step struct {
	before   func(*Engine)
	snap     *model.Snapshot
	raised   []string
	resolved []string
	check    func(t *testing.T, e *Engine, raised, resolved []Alert)
}

// quiet makes steps that must change nothing.
func quiet(snaps ...*model.Snapshot) []step {
	out := make([]step, len(snaps))
	for i, s := range snaps {
		out[i] = step{snap: s}
	}
	return out
}

// over makes quiet steps for seconds from..to inclusive.
func over(from, to int, mk func(sec int) *model.Snapshot) []step {
	var out []step
	for sec := from; sec <= to; sec++ {
		out = append(out, step{snap: mk(sec)})
	}
	return out
}

func seq(parts ...[]step) []step { return slices.Concat(parts...) }

func one(s step) []step { return []step{s} }

func raises(s *model.Snapshot, keys ...string) []step {
	return one(step{snap: s, raised: keys})
}

func resolves(s *model.Snapshot, keys ...string) []step {
	return one(step{snap: s, resolved: keys})
}

func keys(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Key)
	}
	return out
}

// only turns on just the checks a scenario is about.
func only(edit func(*Thresholds)) Thresholds {
	t := Thresholds{For: 30 * time.Second, RestartWindow: 10 * time.Minute}
	edit(&t)
	return t
}

const (
	cpuKey     = "host/cpu"
	memKey     = "host/memory"
	loadKey    = "host/load"
	vm1Stopped = "vm/u1/stopped"
	ctExited   = "container/c1/exited"
	ctRestarts = "container/c1/restarting"
)

func TestEngine(t *testing.T) {
	cpu90 := only(func(t *Thresholds) { t.CPUPercent = 90 })
	vmOn := only(func(t *Thresholds) { t.VMStopped = true })
	ctExitOn := only(func(t *Thresholds) { t.ContainerExit = true })
	restarts3 := only(func(t *Thresholds) { t.ContainerRestarts = 3 })
	cpu := func(v float64) func(int) *model.Snapshot {
		return func(sec int) *model.Snapshot { return cpuAt(sec, v) }
	}

	cases := []struct {
		name   string
		t      Thresholds
		steps  []step
		active []string // open at the end
	}{
		{
			name: "CPU episode: wait For, raise once, hysteresis, resolve once, re-arm",
			t:    cpu90,
			steps: seq(
				over(0, 29, cpu(95)), // above for less than For
				one(step{snap: cpuAt(30, 95), raised: []string{cpuKey},
					check: func(t *testing.T, _ *Engine, r, _ []Alert) {
						if !r[0].Since.Equal(at(0)) || r[0].Resolved {
							t.Errorf("raised %+v: want Since %v, not resolved", r[0], at(0))
						}
						if !strings.Contains(r[0].Title, "90") || !strings.Contains(r[0].Body, "95") {
							t.Errorf("raised words lack the figures: %+v", r[0])
						}
					}}),
				over(31, 130, cpu(95)), // 100 more snapshots above: still one alert
				quiet(cpuAt(131, 87)),  // below 90 but within the 5 % hysteresis
				one(step{snap: cpuAt(132, 80), resolved: []string{cpuKey},
					check: func(t *testing.T, _ *Engine, _, r []Alert) {
						if !r[0].Resolved || !r[0].Since.Equal(at(0)) {
							t.Errorf("resolved %+v: want Resolved and the episode's Since", r[0])
						}
					}}),
				over(133, 162, cpu(95)),
				one(step{snap: cpuAt(163, 95), raised: []string{cpuKey},
					check: func(t *testing.T, _ *Engine, r, _ []Alert) {
						if !r[0].Since.Equal(at(133)) {
							t.Errorf("new episode Since %v, want %v", r[0].Since, at(133))
						}
					}}),
			),
			active: []string{cpuKey},
		},
		{
			name: "CPU spikes shorter than For never alert",
			t:    cpu90,
			steps: seq(
				over(0, 20, cpu(99)),
				quiet(cpuAt(21, 50)),
				over(22, 50, cpu(99)),
				quiet(cpuAt(51, 90)), // at the threshold is not above it
				over(52, 80, cpu(99)),
			),
		},
		{
			name: "For zero alerts at once",
			t:    only(func(t *Thresholds) { t.CPUPercent = 90; t.For = 0 }),
			steps: seq(
				raises(cpuAt(0, 91), cpuKey),
				quiet(cpuAt(1, 91)),
			),
			active: []string{cpuKey},
		},
		{
			name: "missing or stale host figures neither raise nor resolve",
			t:    only(func(t *Thresholds) { t.CPUPercent = 90; t.MemPercent = 90; t.Load1PerCore = 2; t.For = 0 }),
			steps: seq(
				quiet(
					without(hostAt(0, 100, 100, 100), model.PartCPU, model.PartMemory, model.PartLoad),
					&model.Snapshot{Time: at(1), Host: model.HostStats{CPUPercent: 100}}, // never measured
					stale(hostAt(2, 100, 100, 100)),
					without(hostAt(3, 10, 10, 100), model.PartCPU), // load needs the core count
				),
				raises(hostAt(4, 100, 10, 0), cpuKey),
				quiet(
					without(cpuAt(5, 0), model.PartCPU),
					stale(cpuAt(6, 0)),
				),
				resolves(cpuAt(7, 0), cpuKey),
			),
		},
		{
			name: "memory: used/total above the threshold, with hysteresis",
			t:    only(func(t *Thresholds) { t.MemPercent = 90; t.For = 0 }),
			steps: seq(
				quiet(hostAt(0, 0, 90, 0)),
				raises(hostAt(1, 0, 95, 0), memKey),
				quiet(hostAt(2, 0, 86, 0)),
				resolves(hostAt(3, 0, 85, 0), memKey),
			),
		},
		{
			name: "load per core: load1 over the core count",
			t:    only(func(t *Thresholds) { t.Load1PerCore = 2; t.For = 0 }),
			steps: seq(
				quiet(hostAt(0, 0, 0, 8)), // 2 per core: not above
				raises(hostAt(1, 0, 0, 9), loadKey),
				quiet(hostAt(2, 0, 0, 7.8)), // 1.95 per core: within hysteresis
				resolves(hostAt(3, 0, 0, 7), loadKey),
			),
		},
		{
			name: "VM stops unexpectedly, then runs again",
			t:    vmOn,
			steps: seq(
				quiet(vmsAt(0, model.VMRunning, model.VMRunning), vmsAt(1, model.VMRunning, model.VMRunning)),
				one(step{snap: vmsAt(2, model.VMShutoff, model.VMRunning), raised: []string{vm1Stopped},
					check: func(t *testing.T, _ *Engine, r, _ []Alert) {
						if !strings.Contains(r[0].Title, "vm1") || !strings.Contains(r[0].Body, "shut off") {
							t.Errorf("VM alert words: %+v", r[0])
						}
					}}),
				quiet(vmsAt(3, model.VMShutoff, model.VMRunning)),
				resolves(vmsAt(4, model.VMRunning, model.VMRunning), vm1Stopped),
			),
		},
		{
			name: "VM crash alerts",
			t:    vmOn,
			steps: seq(
				quiet(vmsAt(0, model.VMPaused)),
				raises(vmsAt(1, model.VMCrashed), vm1Stopped),
			),
			active: []string{vm1Stopped},
		},
		{
			name: "VM stop Horcrux asked for does not alert, and uses the expectation up",
			t:    vmOn,
			steps: seq(
				quiet(vmsAt(0, model.VMRunning)),
				one(step{before: func(e *Engine) { e.Expect(KindVM, "u1", at(60)) }, snap: vmsAt(1, model.VMShutdown)}),
				quiet(vmsAt(10, model.VMShutoff), vmsAt(20, model.VMRunning)),
				raises(vmsAt(30, model.VMShutoff), vm1Stopped),
			),
			active: []string{vm1Stopped},
		},
		{
			name: "VM expectation that ran out does not hide a stop",
			t:    vmOn,
			steps: seq(
				one(step{before: func(e *Engine) { e.Expect(KindVM, "u1", at(5)) }, snap: vmsAt(0, model.VMRunning)}),
				raises(vmsAt(10, model.VMShutoff), vm1Stopped),
			),
			active: []string{vm1Stopped},
		},
		{
			name: "libvirt unavailable or silent makes no VM look stopped",
			t:    vmOn,
			steps: seq(
				quiet(
					vmsAt(0, model.VMRunning, model.VMRunning),
					vmsSilent(1),
					vmsDown(2),
					vmsSilent(3),
					vmsAt(4, model.VMRunning, model.VMRunning),
				),
			),
		},
		{
			name: "VM first seen shut off, or in an unknown state between, is judged by what is known",
			t:    vmOn,
			steps: seq(
				quiet(vmsAt(0, model.VMShutoff), vmsAt(1, model.VMRunning), vmsAt(2, model.VMNoState)),
				raises(vmsAt(3, model.VMShutoff), vm1Stopped),
			),
			active: []string{vm1Stopped},
		},
		{
			name: "VM check off",
			t:    cpu90,
			steps: seq(
				quiet(vmsAt(0, model.VMRunning), vmsAt(1, model.VMShutoff)),
			),
		},
		{
			name: "VM removed ends its episode",
			t:    vmOn,
			steps: seq(
				quiet(vmsAt(0, model.VMRunning)),
				raises(vmsAt(1, model.VMShutoff), vm1Stopped),
				quiet(vmsDown(2)),
				resolves(vmsAt(3), vm1Stopped),
			),
		},
		{
			name: "container exits with 137, then runs again",
			t:    ctExitOn,
			steps: seq(
				quiet(ctAt(0, ct{state: "running"})),
				one(step{snap: ctAt(1, ct{state: "exited", code: 137}), raised: []string{ctExited},
					check: func(t *testing.T, _ *Engine, r, _ []Alert) {
						if !strings.Contains(r[0].Title, "137") || !strings.Contains(r[0].Body, "killed") {
							t.Errorf("container alert words: %+v", r[0])
						}
					}}),
				quiet(ctAt(2, ct{state: "exited", code: 137})),
				resolves(ctAt(3, ct{state: "running"}), ctExited),
			),
		},
		{
			name: "container exits with 0: no alert",
			t:    ctExitOn,
			steps: seq(
				quiet(ctAt(0, ct{state: "running"}), ctAt(1, ct{state: "exited", code: 0})),
			),
		},
		{
			name: "container stop Horcrux asked for: no alert",
			t:    ctExitOn,
			steps: seq(
				quiet(ctAt(0, ct{state: "running"})),
				one(step{before: func(e *Engine) { e.Expect(KindContainer, "c1", at(30)) }, snap: ctAt(5, ct{state: "exited", code: 137})}),
			),
		},
		{
			name: "container engine unavailable: no alert; first sight exited: no alert",
			t:    ctExitOn,
			steps: seq(
				quiet(ctsDown(0), ctAt(1, ct{state: "exited", code: 1}), ctsDown(2), ctAt(3, ct{state: "exited", code: 1})),
			),
		},
		{
			name: "container removed ends its episode",
			t:    ctExitOn,
			steps: seq(
				quiet(ctAt(0, ct{state: "running"})),
				raises(ctAt(1, ct{state: "exited", code: 2}), ctExited),
				resolves(ctsGone(2), ctExited),
			),
		},
		{
			name: "restart count 0 to 3 within the window: one alert; a window without restarts resolves",
			t:    restarts3,
			steps: seq(
				quiet(
					ctAt(0, ct{state: "running", restarts: 0}),
					ctAt(10, ct{state: "restarting", restarts: 1}),
					ctAt(20, ct{state: "running", restarts: 2}),
				),
				one(step{snap: ctAt(30, ct{state: "running", restarts: 3}), raised: []string{ctRestarts},
					check: func(t *testing.T, _ *Engine, r, _ []Alert) {
						if !r[0].Since.Equal(at(10)) {
							t.Errorf("restart episode Since %v, want the first counted restart %v", r[0].Since, at(10))
						}
					}}),
				quiet(ctAt(40, ct{state: "running", restarts: 4}), ctAt(640, ct{state: "running", restarts: 4})),
				resolves(ctAt(641, ct{state: "running", restarts: 4}), ctRestarts),
			),
		},
		{
			name: "restart count jumping by 3 at once alerts",
			t:    restarts3,
			steps: seq(
				quiet(ctAt(0, ct{state: "running"})),
				raises(ctAt(1, ct{state: "running", restarts: 3}), ctRestarts),
			),
			active: []string{ctRestarts},
		},
		{
			name: "restarts slower than the window, or after a reset by hand, do not alert",
			t:    restarts3,
			steps: seq(
				quiet(
					ctAt(0, ct{state: "running", restarts: 0}),
					ctAt(1, ct{state: "running", restarts: 1}),
					ctAt(400, ct{state: "running", restarts: 2}),
					ctAt(800, ct{state: "running", restarts: 3}),
					ctAt(801, ct{state: "running", restarts: 0}), // started by hand
					ctAt(802, ct{state: "running", restarts: 1}),
				),
			),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := NewEngine(c.t)
			for i, s := range c.steps {
				if s.before != nil {
					s.before(e)
				}
				raised, resolved := e.Observe(s.snap)
				if !slices.Equal(keys(raised), s.raised) || !slices.Equal(keys(resolved), s.resolved) {
					t.Fatalf("step %d (t=%v): raised %v resolved %v; want %v and %v",
						i, s.snap.Time.Sub(t0), keys(raised), keys(resolved), s.raised, s.resolved)
				}
				if s.check != nil {
					s.check(t, e, raised, resolved)
				}
			}
			if got := keys(e.Active()); !slices.Equal(got, c.active) {
				t.Errorf("active at the end: %v, want %v", got, c.active)
			}
		})
	}
}

func TestActiveIsSortedOldestFirst(t *testing.T) {
	e := NewEngine(only(func(t *Thresholds) {
		t.CPUPercent, t.MemPercent, t.For, t.VMStopped = 90, 90, 0, true
	}))
	e.Observe(vmsAt(0, model.VMRunning))
	e.Observe(vmsAt(1, model.VMShutoff))
	e.Observe(hostAt(2, 95, 95, 0))
	want := []string{vm1Stopped, cpuKey, memKey}
	if got := keys(e.Active()); !slices.Equal(got, want) {
		t.Fatalf("Active() = %v, want %v", got, want)
	}
}

func TestSetThresholdsTurningOffEndsEpisodes(t *testing.T) {
	e := NewEngine(only(func(t *Thresholds) { t.CPUPercent, t.For, t.VMStopped = 90, 0, true }))
	e.Observe(vmsAt(0, model.VMRunning))
	e.Observe(vmsAt(1, model.VMShutoff))
	if r, _ := e.Observe(cpuAt(2, 95)); !slices.Equal(keys(r), []string{cpuKey}) {
		t.Fatalf("raised %v, want %v", keys(r), cpuKey)
	}

	e.SetThresholds(only(func(t *Thresholds) { t.For = 0 })) // everything off
	if a := e.Active(); len(a) != 0 {
		t.Fatalf("Active() after turning the checks off: %v", keys(a))
	}
	raised, resolved := e.Observe(cpuAt(3, 99))
	if len(raised) != 0 || !slices.Equal(keys(resolved), []string{vm1Stopped, cpuKey}) {
		t.Fatalf("next Observe: raised %v resolved %v; want the two episodes resolved", keys(raised), keys(resolved))
	}
	for _, a := range resolved {
		if !a.Resolved {
			t.Errorf("%s not marked resolved", a.Key)
		}
	}
	if raised, resolved := e.Observe(cpuAt(4, 99)); len(raised)+len(resolved) != 0 {
		t.Fatalf("resolutions reported twice: %v %v", keys(raised), keys(resolved))
	}

	// Turned on again, a figure still high starts a new episode.
	e.SetThresholds(only(func(t *Thresholds) { t.CPUPercent, t.For = 90, 0 }))
	if r, _ := e.Observe(cpuAt(5, 99)); !slices.Equal(keys(r), []string{cpuKey}) {
		t.Fatalf("after turning CPU on again: raised %v", keys(r))
	}
}

func TestDefaultThresholdsAreValid(t *testing.T) {
	if err := DefaultThresholds().Validate(); err != nil {
		t.Fatal(err)
	}
}
