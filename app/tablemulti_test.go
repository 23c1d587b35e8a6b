package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// litRows are the names of the rows drawn highlighted.
func litRows(o fyne.CanvasObject) []string {
	sel := theme.Color(theme.ColorNameSelection)
	seen := map[float32]bool{}
	var out []string
	for _, c := range cellsOf(o) {
		if c.bg.FillColor == sel && !seen[c.Position().Y] && strings.HasPrefix(c.full, "vm-") {
			seen[c.Position().Y] = true
			out = append(out, c.full)
		}
	}
	return out
}

func names(its []*vmRow) string {
	var out []string
	for _, it := range its {
		out = append(out, it.it.Name)
	}
	return strings.Join(out, " ")
}

// TestTableMultiSelect: Ctrl+click adds and removes rows, Shift+click and
// Shift+arrows select ranges from the anchor, Ctrl+A selects every row
// shown, and a filter drops the selected rows it hides.
func TestTableMultiSelect(t *testing.T) {
	v, w, _ := machinesTab(t, 100, fyne.NewSize(1100, 720))
	var mods fyne.KeyModifier
	v.table.mods = func() fyne.KeyModifier { return mods }
	click := func(row int, m fyne.KeyModifier) {
		mods = m
		v.table.table.Select(widget.TableCellID{Row: row, Col: 1}) // what a tap does
		mods = 0
	}
	check := func(step, want, current string) {
		t.Helper()
		if got := names(v.table.markedItems()); got != want {
			t.Fatalf("%s: selected %q, want %q", step, got, want)
		}
		if it, ok := v.table.selectedItem(); !ok || it.it.Name != current {
			t.Fatalf("%s: current row %v, want %s", step, it, current)
		}
	}
	click(2, 0)
	click(5, fyne.KeyModifierControl)
	check("Ctrl+click", "vm-0002 vm-0005", "vm-0005")
	click(8, fyne.KeyModifierShift)
	check("Shift+click", "vm-0005 vm-0006 vm-0007 vm-0008", "vm-0008")
	if got := strings.Join(litRows(w.Content()), " "); got != "vm-0005 vm-0006 vm-0007 vm-0008" {
		t.Fatalf("highlighted rows %q", got)
	}
	click(8, fyne.KeyModifierControl) // the same cell again: unselected
	check("Ctrl+click on a selected row", "vm-0005 vm-0006 vm-0007", "vm-0005")
	mods = fyne.KeyModifierShift
	v.table.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown}) // from vm-0005, anchored at vm-0008
	mods = 0
	check("Shift+Down", "vm-0006 vm-0007 vm-0008", "vm-0006")
	v.table.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	check("Down", "vm-0007", "vm-0007")
	v.table.table.TypedShortcut(&fyne.ShortcutSelectAll{})
	if n := len(v.table.markedItems()); n != 100 {
		t.Fatalf("Ctrl+A selected %d of 100", n)
	}
	v.filter.SetText("vm-001")
	if got := names(v.table.markedItems()); !strings.HasPrefix(got, "vm-0010 vm-0011") || len(v.table.marked) != 10 {
		t.Fatalf("the filter left %d selected: %q", len(v.table.marked), got)
	}
	if it, ok := v.table.selectedItem(); !ok || it.it.Name != "vm-0010" {
		t.Fatalf("the current row was filtered out and none took its place: %v", it)
	}
}

// TestActionOnManyAsksOnce: an action on three selected machines asks once,
// saying what it does to how many, acts on the ones it applies to, and
// keeps the current row in view; actions that open something are off.
func TestActionOnManyAsksOnce(t *testing.T) {
	v, w, _ := machinesTab(t, 1000, fyne.NewSize(1100, 720))
	ui := make(chan func(), 10)
	v.uiDo = func(f func()) { ui <- f }
	var mods fyne.KeyModifier
	v.table.mods = func() fyne.KeyModifier { return mods }
	acted := make(chan string, 10)
	shut := -1
	for i := range v.actions {
		if v.actions[i].label == "Shut down" {
			shut = i
			v.actions[i].run = func(_ context.Context, r *vmRow) error { acted <- r.it.Name; return nil }
		}
	}
	v.table.selectKey(model.ItemKey(0, "uuid-0900"))
	mods = fyne.KeyModifierShift
	v.table.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	v.table.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	v.table.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	mods = 0
	// vm-0900 to vm-0903: vm-0900 and vm-0903 are shut off.
	for i, a := range v.actions {
		if a.single && !v.buttons[i].Disabled() {
			t.Errorf("%s is enabled with 4 machines selected", a.label)
		}
	}
	test.Tap(v.buttons[shut])
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("Shut down on 4 selected machines did not ask")
	}
	text := labelTexts(top)
	for _, want := range []string{"Shut down 2 machines?", "vm-0901, vm-0902", "2 other selected are left as they are"} {
		if !strings.Contains(text, want) {
			t.Errorf("the question %q does not say %q", text, want)
		}
	}
	if len(acted) != 0 {
		t.Fatal("acted before the answer")
	}
	test.Tap(overlayButton(t, w, "Shut down"))
	got := []string{<-acted, <-acted}
	if !(got[0] == "vm-0901" && got[1] == "vm-0902" || got[0] == "vm-0902" && got[1] == "vm-0901") {
		t.Fatalf("acted on %v, want vm-0901 and vm-0902", got)
	}
	if !v.buttons[shut].Disabled() {
		t.Error("Shut down stays enabled while it runs on every machine it applies to")
	}
	v.table.sortBy(0) // by name, descending: the selection moves far down
	(<-ui)()
	(<-ui)()
	if !drawn(w.Content(), "vm-0903") {
		t.Fatal("the current row is out of view after the action and a re-sort")
	}
	if w.Canvas().Overlays().Top() != nil {
		t.Fatalf("a dialog after a successful action: %s", labelTexts(w.Canvas().Overlays().Top()))
	}
}
