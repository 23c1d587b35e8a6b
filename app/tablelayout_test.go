package app

import (
	"math"
	"testing"

	"fyne.io/fyne/v2"
)

// TestTableColumnsAreRemembered: a column hidden from the Columns menu and
// one resized by a drag on its header's edge stay so in a new window.
func TestTableColumnsAreRemembered(t *testing.T) {
	v, _, _ := machinesTab(t, 10, fyne.NewSize(1100, 720))
	menu := v.table.columnsMenu()
	for _, it := range menu.Items {
		if it.Label == "State" {
			if !it.Checked {
				t.Fatal("State is not checked in the Columns menu")
			}
			it.Action()
		}
	}
	if v.table.shows("State") || v.table.cols[1].title != "vCPUs" {
		t.Fatalf("State still shown: %v", v.table.cols[1].title)
	}
	// A drag on the Name header's edge: Table sets the width, and the end
	// of the drag is when it is kept.
	v.table.table.SetColumnWidth(0, 260)
	v.table.table.Refresh()
	v.table.table.DragEnd()
	prefs := fyne.CurrentApp().Preferences()
	if got := prefs.String("table.machines.columns"); got != "-State" {
		t.Errorf("columns saved as %q", got)
	}
	if got := prefs.String("table.machines.widths"); got != "Name=260" {
		t.Errorf("widths saved as %q", got)
	}

	// The same preferences, a new tab.
	again := newResourceTab(v.win, testJobs(t), machineKind(machineHooks{hosts: func() []machineActor { return nil }, expect: func(string) {}}), func(string) {})
	if again.table.shows("State") {
		t.Error("a hidden column is shown again in a new tab")
	}
	if w := again.table.layout.widths["Name"]; w != 260 {
		t.Errorf("Name is %v wide in a new tab, want 260", w)
	}
	// Hidden columns still filter.
	v.filter.SetText("state:shutoff")
	if shown, _ := v.table.counts(); shown != 4 {
		t.Errorf("state:shutoff with State hidden shows %d of 10, want 4", shown)
	}
}

func TestParseTableLayout(t *testing.T) {
	l := parseTableLayout("+Ports,-Image,junk,+,-A=B,", "Name=170,CPU=abc,Status=1e9,Memory=-5,=3,Net=NaN")
	if !l.hides("Image", false) || l.hides("Ports", true) || !l.hides("ID", true) || l.hides("Name", false) {
		t.Errorf("visibility %v", l.visible)
	}
	if len(l.visible) != 2 {
		t.Errorf("unreadable parts kept: %v", l.visible)
	}
	want := map[string]float32{"Name": 170, "Status": maxColumnWidth, "Memory": minColumnWidth}
	if len(l.widths) != len(want) {
		t.Fatalf("widths %v, want %v", l.widths, want)
	}
	for k, w := range want {
		if l.widths[k] != w {
			t.Errorf("%s width %v, want %v", k, l.widths[k], w)
		}
	}
	cs, ws := l.format()
	if cs != "-Image,+Ports" || ws != "Memory=20,Name=170,Status=4000" {
		t.Errorf("formatted %q %q", cs, ws)
	}
}

// FuzzParseTableLayout: whatever the preferences file holds, the layout
// read has widths in bounds and reads back as itself once formatted.
func FuzzParseTableLayout(f *testing.F) {
	f.Add("+Ports,-Image", "Name=170,Status=220")
	f.Add(",,+", "=,a=1e40,b=-0,c=0x10")
	f.Fuzz(func(t *testing.T, columns, widths string) {
		l := parseTableLayout(columns, widths)
		for k, w := range l.widths {
			if w < minColumnWidth || w > maxColumnWidth || math.IsNaN(float64(w)) {
				t.Fatalf("width of %q is %v", k, w)
			}
		}
		cs, ws := l.format()
		again := parseTableLayout(cs, ws)
		cs2, ws2 := again.format()
		if cs2 != cs || ws2 != ws {
			t.Fatalf("%q %q read back as %q %q", cs, ws, cs2, ws2)
		}
	})
}
