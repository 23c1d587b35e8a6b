package app

import (
	"testing"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// TestUnseenWindowDrawsNothing: while the window is minimised or hidden,
// snapshots reach the alerts but no chart or table is redrawn; the last
// one is drawn once when the window is seen again.
func TestUnseenWindowDrawsNothing(t *testing.T) {
	w := testWindow(t)
	seen := true
	w.onScreen = func() bool { return seen }
	w.tabs.SelectIndex(int(tabHost))
	s := manyVMs(10)
	w.apply(s)
	cpu := w.host.cpu.Refreshes()

	seen = false
	for range 3 {
		s = hostTick(s)
		s.Charts = fakeSnapshot(2, nil).Charts // fresh slices: a visible chart would redraw
		w.apply(s)
	}
	if got := w.host.cpu.Refreshes(); got != cpu {
		t.Errorf("an unseen window redrew its CPU chart %d times", got-cpu)
	}
	if w.last != s {
		t.Error("the last snapshot was not kept for the alerts and the catch-up")
	}
	w.catchUp() // still unseen: nothing
	if got := w.host.cpu.Refreshes(); got != cpu {
		t.Errorf("a catch-up while unseen redrew the chart")
	}

	seen = true
	w.catchUp()
	if got := w.host.cpu.Refreshes(); got != cpu+1 {
		t.Errorf("coming back redrew the chart %d times, want once", got-cpu)
	}
	w.catchUp() // nothing new since
	if got := w.host.cpu.Refreshes(); got != cpu+1 {
		t.Errorf("a second catch-up redrew the chart again")
	}
}

// TestHiddenTabDoesNotRebuildItsTable: VM lists that arrive while the
// Host tab is shown leave the Machines table alone; it is built once, from
// the newest list, when its tab is selected.
func TestHiddenTabDoesNotRebuildItsTable(t *testing.T) {
	w := testWindow(t)
	machines := w.views[tabMachines].(withSessions).view.(*resourceTab[model.VMSection, model.Machine])
	w.tabs.SelectIndex(int(tabHost))
	s := manyVMs(5)
	for i := range 3 {
		next := *s
		next.Versions.VMs += uint64(i + 1)
		w.apply(&next)
	}
	if n := len(machines.table.rows); n != 0 {
		t.Fatalf("the hidden Machines table was built: %d rows", n)
	}
	w.tabs.SelectIndex(int(tabMachines))
	if n := len(machines.table.rows); n != 5 {
		t.Fatalf("the Machines tab shows %d rows once selected, want 5", n)
	}
}
