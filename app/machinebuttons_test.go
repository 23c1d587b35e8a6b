package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Details and Snapshots open the selected machine's windows, running or not.
func TestMachinesDetailsAndSnapshotsButtons(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	opened := make(chan string, 2)
	v := newResourceTab(w, testJobs(t), machineKind(machineHooks{
		hosts:     func() []machineActor { return nil },
		expect:    func(string) {},
		details:   func(host int, m model.Machine) { opened <- "details " + m.UUID },
		snapshots: func(host int, m model.Machine) { opened <- "snapshots " + m.UUID },
	}), func(string) {})
	ui := make(chan func(), 1)
	v.uiDo = func(f func()) { ui <- f }
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1000, 700))
	v.showList(true, "ok", machines(4))
	var details, snaps *widget.Button
	for _, b := range v.buttons {
		switch b.Text {
		case "Details":
			details = b
		case "Snapshots":
			snaps = b
		}
	}
	if details == nil || snaps == nil {
		t.Fatal("no Details or Snapshots button")
	}
	if !details.Disabled() {
		t.Fatal("Details enabled with nothing selected")
	}
	v.table.table.Select(widget.TableCellID{Row: 0, Col: 0}) // vm-0000, shut off
	for _, b := range []*widget.Button{details, snaps} {
		if b.Disabled() {
			t.Fatalf("%s disabled for a shut-off machine", b.Text)
		}
		test.Tap(b)
		if got := <-opened; got != map[string]string{"Details": "details uuid-0000", "Snapshots": "snapshots uuid-0000"}[b.Text] {
			t.Errorf("%s opened %q", b.Text, got)
		}
		(<-ui)()
	}
}
