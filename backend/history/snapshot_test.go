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
