package alerts

import (
	"strings"
	"testing"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// fsAt is a snapshot at second sec of VM vm1 in state st whose guest reports
// each mount point's used percent of 1 GiB (nil facts when used is nil).
func fsAt(sec int, st model.VMState, used map[string]float64) *model.Snapshot {
	s := vmsAt(sec, st)
	if used != nil {
		g := &model.GuestFacts{}
		for mount, pct := range used {
			g.FileSystems = append(g.FileSystems, model.GuestFS{Mount: mount, TotalBytes: 1 << 30, UsedBytes: uint64(pct / 100 * (1 << 30))})
		}
		s.VMs[0].Items[0].Guest = g
	}
	return s
}

func TestGuestFilesystemAlert(t *testing.T) {
	e := NewEngine(only(func(t *Thresholds) { t.GuestFSPercent = 90 }))
	const root, data = "vm/u1/fs:/", "vm/u1/fs:/data"
	steps := []struct {
		snap               *model.Snapshot
		raised, resolved   []string
		raisedBodyContains string
	}{
		{snap: fsAt(0, model.VMRunning, map[string]float64{"/": 50, "/data": 80})},
		{snap: fsAt(1, model.VMRunning, map[string]float64{"/": 95, "/data": 80}), raised: []string{root}, raisedBodyContains: "/ on vm1 is 95 % full (972.8 MiB of 1.0 GiB used), above the 90 %"},
		{snap: fsAt(2, model.VMRunning, map[string]float64{"/": 96, "/data": 91}), raised: []string{data}},
		// Between 85.5 % and 90 %: still open (hysteresis).
		{snap: fsAt(3, model.VMRunning, map[string]float64{"/": 88, "/data": 91})},
		// The agent stopped answering: unknown changes nothing.
		{snap: fsAt(4, model.VMRunning, nil)},
		{snap: fsAt(5, model.VMRunning, map[string]float64{"/": 80, "/data": 91}), resolved: []string{root}},
		// /data unmounted.
		{snap: fsAt(6, model.VMRunning, map[string]float64{"/": 80}), resolved: []string{data}},
		{snap: fsAt(7, model.VMRunning, map[string]float64{"/": 99}), raised: []string{root}},
		{snap: fsAt(8, model.VMShutoff, nil), resolved: []string{root}},
	}
	for i, st := range steps {
		raised, resolved := e.Observe(st.snap)
		if got := strings.Join(keys(raised), ","); got != strings.Join(st.raised, ",") {
			t.Errorf("step %d: raised %q, want %q", i, got, st.raised)
		}
		if got := strings.Join(keys(resolved), ","); got != strings.Join(st.resolved, ",") {
			t.Errorf("step %d: resolved %q, want %q", i, got, st.resolved)
		}
		if st.raisedBodyContains != "" && (len(raised) == 0 || !strings.Contains(raised[0].Body, st.raisedBodyContains)) {
			t.Errorf("step %d: raised %+v, want a body with %q", i, raised, st.raisedBodyContains)
		}
	}

	// Turning the check off ends an open episode; a VM gone ends one too.
	e.Observe(fsAt(9, model.VMRunning, map[string]float64{"/": 99}))
	e.SetThresholds(only(func(t *Thresholds) {}))
	if _, resolved := e.Observe(fsAt(10, model.VMRunning, map[string]float64{"/": 99})); strings.Join(keys(resolved), ",") != root {
		t.Errorf("turned off: resolved %q", keys(resolved))
	}
	e.SetThresholds(only(func(t *Thresholds) { t.GuestFSPercent = 90 }))
	e.Observe(fsAt(11, model.VMRunning, map[string]float64{"/": 99}))
	if _, resolved := e.Observe(vmsAt(12)); strings.Join(keys(resolved), ",") != root {
		t.Errorf("VM gone: resolved %q", keys(resolved))
	}
}
