package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// cellsOf is every table cell drawn in o, as drawn (not laid out anew).
func cellsOf(o fyne.CanvasObject) []*tableCell {
	var out []*tableCell
	eachDrawn(o, func(o fyne.CanvasObject) {
		if c, ok := o.(*tableCell); ok && c.Size().Width > 0 {
			out = append(out, c)
		}
	})
	return out
}

// drawn reports whether a visible cell shows text.
func drawn(o fyne.CanvasObject, text string) bool {
	for _, c := range cellsOf(o) {
		if c.full == text {
			return true
		}
	}
	return false
}

// machinesTab is a Machines tab of n machines in a window of the given size,
// recording which consoles it opens.
func machinesTab(t *testing.T, n int, size fyne.Size) (*resourceTab[model.VMSection, model.Machine], fyne.Window, chan string) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	opened := make(chan string, 10)
	v := newResourceTab(w, testJobs(t), machineKind(machineHooks{
		hosts:  func() []machineActor { return []machineActor{&recordingActor{done: make(chan string, 10)}} },
		expect: func(string) {},
		console: func(_ context.Context, _ int, uuid string, _ console.Kind) error {
			opened <- uuid
			return nil
		},
	}), func(string) {})
	ui := make(chan func(), 10)
	v.uiDo = func(f func()) { ui <- f }
	t.Cleanup(func() {
		for len(ui) > 0 {
			(<-ui)()
		}
	})
	w.SetContent(v.root)
	w.Resize(size)
	ms := machines(n)
	for i := range ms {
		ms[i].it.VNC = true
	}
	v.showList(true, "ok", ms)
	return v, w, opened
}

func TestTableFilter(t *testing.T) {
	v, w, _ := machinesTab(t, 1000, fyne.NewSize(1100, 720))
	v.table.selectKey(model.ItemKey(0, "uuid-0001")) // running
	test.Type(v.filter, "state:shutoff")
	if shown, total := v.table.counts(); shown != 334 || total != 1000 {
		t.Fatalf("state:shutoff shows %d of %d, want 334 of 1000", shown, total)
	}
	if v.shown.Text != "334 of 1000" {
		t.Errorf("count %q", v.shown.Text)
	}
	if _, ok := v.table.selectedItem(); ok {
		t.Error("a machine the filter hides stays selected: actions would act on an unseen row")
	}
	for _, r := range v.table.rows {
		if r.it.State != model.VMShutoff {
			t.Fatalf("state:shutoff shows %s (%s)", r.it.Name, r.it.State)
		}
	}
	v.filter.SetText("vm-0999")
	if len(v.table.rows) != 1 || !drawn(w.Content(), "vm-0999") {
		t.Fatalf("by name: %d rows", len(v.table.rows))
	}
	v.filter.SetText("host:system -state:running")
	if shown, _ := v.table.counts(); shown != 334 {
		t.Errorf("host:system -state:running shows %d, want 334", shown)
	}
	// A refresh keeps the filter.
	v.showList(true, "ok", machines(1000))
	if shown, _ := v.table.counts(); shown != 334 {
		t.Errorf("after a refresh %d shown, want 334", shown)
	}
	v.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if shown, _ := v.table.counts(); shown != 1000 || v.shown.Text != "" {
		t.Errorf("Escape leaves %d shown, count %q", shown, v.shown.Text)
	}
}

func TestTableKeysSelectWholeRowsAndEnterOpens(t *testing.T) {
	v, w, opened := machinesTab(t, 100, fyne.NewSize(1100, 720))
	w.Canvas().Focus(v.table.table)
	key := func(k fyne.KeyName) { v.table.table.TypedKey(&fyne.KeyEvent{Name: k}) }
	key(fyne.KeyDown)
	key(fyne.KeyDown)
	if it, ok := v.table.selectedItem(); !ok || it.it.Name != "vm-0001" {
		t.Fatalf("two Downs select %v, want vm-0001", it)
	}
	// The whole row is highlighted, not one cell.
	sel := theme.Color(theme.ColorNameSelection)
	var lit []string
	for _, c := range cellsOf(w.Content()) {
		if c.bg.FillColor == sel {
			lit = append(lit, c.full)
		}
	}
	if len(lit) != len(v.table.cols) || lit[0] != "vm-0001" {
		t.Fatalf("highlighted cells %q, want the %d cells of vm-0001", lit, len(v.table.cols))
	}
	key(fyne.KeyReturn)
	if got := <-opened; got != "uuid-0001" {
		t.Fatalf("Enter on a running VM with VNC opened %v, want its console", got)
	}
	key(fyne.KeyUp)
	key(fyne.KeyUp) // stops at the top
	if it, _ := v.table.selectedItem(); it.it.Name != "vm-0000" {
		t.Fatalf("Up at the top: %s", it.it.Name)
	}
	key(fyne.KeyReturn) // vm-0000 is shut off: no console, nothing opens
	if v.busy[model.ItemKey(0, "uuid-0000")] {
		t.Fatalf("Enter on a shut-off VM started %v", v.busy)
	}
	key(fyne.KeyEnd)
	if it, _ := v.table.selectedItem(); it.it.Name != "vm-0099" || !drawn(w.Content(), "vm-0099") {
		t.Fatalf("End selects %s; shown: %v", it.it.Name, drawn(w.Content(), "vm-0099"))
	}
	// From the filter box, Down selects and Enter opens.
	v.filter.SetText("vm-0004")
	v.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	v.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := <-opened; got != "uuid-0004" {
		t.Fatalf("filter, Down, Enter opened %v", got)
	}
	if len(opened) != 0 {
		t.Fatalf("more consoles opened: %v", <-opened)
	}
}

func TestTableKeepsSelectionInViewAndCompact(t *testing.T) {
	v, w, _ := machinesTab(t, 1000, fyne.NewSize(1440, 900))
	v.table.selectKey(model.ItemKey(0, "uuid-0900"))
	if !drawn(w.Content(), "vm-0900") {
		t.Fatal("a selected row is not scrolled into view")
	}
	v.table.sortBy(0) // by name, descending: vm-0900 moves to row 99
	if !drawn(w.Content(), "vm-0900") {
		t.Fatal("a re-sort moved the selected row out of view")
	}
	rows := map[float32]bool{}
	for _, c := range cellsOf(w.Content()) {
		if h := c.Size().Height; h > 28 {
			t.Fatalf("a %v px row; compact rows are at most 28", h)
		}
		rows[c.Position().Y] = true
	}
	if len(rows) < 25 {
		t.Errorf("%d rows visible at 1440x900, want at least 25", len(rows))
	}
}

func TestTableCellEllipsisAndTip(t *testing.T) {
	v, w, _ := machinesTab(t, 3, fyne.NewSize(1100, 720))
	ms := machines(3)
	long := "a-machine-with-a-name-much-longer-than-its-column"
	ms[0].it.Name = long
	v.showList(true, "ok", ms)
	var cell, short *tableCell
	for _, c := range cellsOf(w.Content()) {
		switch c.full {
		case long:
			cell = c
		case "vm-0001":
			short = c
		}
	}
	if cell == nil || short == nil {
		t.Fatal("cells not drawn")
	}
	if !cell.truncated() || short.truncated() || !strings.HasSuffix(cell.shown.Text, "…") {
		t.Fatalf("long name truncated %v, short %v", cell.truncated(), short.truncated())
	}
	cell.MouseIn(&desktop.MouseEvent{})
	if !v.table.tip.box.Visible() || v.table.tip.text.Text != long {
		t.Fatalf("hover shows %q (visible %v)", v.table.tip.text.Text, v.table.tip.box.Visible())
	}
	if p := v.table.tip.box.Position(); p.X < 0 || p.Y < 0 || p.X+v.table.tip.box.Size().Width > v.table.root.Size().Width+1 {
		t.Errorf("tip at %v outside the table", p)
	}
	cell.MouseOut()
	if v.table.tip.box.Visible() {
		t.Error("the tip stays after the pointer left")
	}
	short.MouseIn(&desktop.MouseEvent{})
	if v.table.tip.box.Visible() {
		t.Error("a tip for text that fits")
	}
}

func TestCtrlFFocusesTheFilter(t *testing.T) {
	w := testWindow(t)
	w.tabs.SelectIndex(int(tabContainers))
	w.win.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault})
	f, ok := w.win.Canvas().Focused().(*filterEntry)
	if !ok || !strings.HasPrefix(f.PlaceHolder, "Filter") {
		t.Fatalf("Ctrl+F focused %T", w.win.Canvas().Focused())
	}
}

func TestDangerousConfirmDefaultsToCancel(t *testing.T) {
	v, w, _ := machinesTab(t, 3, fyne.NewSize(800, 600))
	actor := &recordingActor{done: make(chan string, 1)}
	v.actions[3].run = func(ctx context.Context, r *vmRow) error { return actor.Act(ctx, r.it.UUID, model.ForceOffVM) }
	v.table.selectKey(model.ItemKey(0, "uuid-0001"))
	if v.actions[3].label != "Force off" {
		t.Fatalf("action 3 is %s", v.actions[3].label)
	}
	test.Tap(v.buttons[3])
	focused, ok := w.Canvas().Focused().(*widget.Button)
	if !ok || focused.Text != "Cancel" || focused.Importance != widget.HighImportance {
		t.Fatalf("focused %T %v: Cancel must be the default", w.Canvas().Focused(), focused)
	}
	focused.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) // the default answer
	if len(actor.done) != 0 || w.Canvas().Overlays().Top() != nil {
		t.Fatal("the default answer forced the VM off, or left the dialog open")
	}
	test.Tap(v.buttons[3])
	var act *widget.Button
	eachDrawn(w.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Button); ok && c.Text == "Force off" && c.Importance == widget.DangerImportance {
			act = c
		}
	})
	if act == nil {
		t.Fatal("no red Force off button in the dialog")
	}
	test.Tap(act)
	if got := <-actor.done; got != "uuid-0001 force off" {
		t.Fatalf("acted %q", got)
	}
}

func TestDeleteAsksToRemove(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	eng := &recordingEngine{}
	tab := newResourceTab(w, testJobs(t), containerKind(containerHooks{
		hosts:  func() []containerEngine { return []containerEngine{eng} },
		expect: func(string) {},
		logs:   func(containerEngine, string, string) {},
	}), func(string) {})
	w.SetContent(tab.root)
	w.Resize(fyne.NewSize(1100, 720))
	tab.showList(true, "ok", []ctRow{{it: model.Container{ID: "c1", Name: "web", State: "exited"}}})
	w.Canvas().Focus(tab.table.table)
	tab.table.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete}) // nothing selected: nothing asked
	if w.Canvas().Overlays().Top() != nil {
		t.Fatal("Delete with nothing selected opened a dialog")
	}
	tab.table.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	tab.table.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("Delete on a container did not ask to remove it")
	}
	if b, ok := w.Canvas().Focused().(*widget.Button); !ok || b.Text != "Cancel" {
		t.Fatalf("focused %T: Cancel must be the default", w.Canvas().Focused())
	}
	if len(eng.acted) != 0 {
		t.Fatalf("removed without asking: %v", eng.acted)
	}
}
