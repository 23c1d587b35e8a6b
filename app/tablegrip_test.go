package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// headerOf is the header drawn with title under o.
func headerOf(t *testing.T, o fyne.CanvasObject, title string) *headerCell {
	t.Helper()
	var found *headerCell
	eachDrawn(o, func(o fyne.CanvasObject) {
		if c, ok := o.(*headerCell); ok && found == nil && c.title.Text == title && c.Size().Width > 0 {
			found = c
		}
	})
	if found == nil {
		t.Fatalf("no header %q drawn", title)
	}
	return found
}

// gripCalls records what a columnGrip sets and keeps.
type gripCalls struct{ set, done []float32 }

func newTestGrip(c *gripCalls) *columnGrip {
	return &columnGrip{col: -1,
		set:  func(col int, w float32) { c.set = append(c.set, float32(col)*1e4+w) },
		done: func(col int, w float32) { c.done = append(c.done, float32(col)*1e4+w) }}
}

// TestColumnGripDrag: the width follows the pointer from where the press
// was, held between the bounds; the end keeps the last width once.
func TestColumnGripDrag(t *testing.T) {
	for _, tt := range []struct {
		name string
		xs   []float32 // pointer positions after a press at x=500 on a 150 wide column 2
		set  []float32 // as col*1e4+width
		done []float32
	}{
		{"wider", []float32{510, 540}, []float32{20160, 20190}, []float32{20190}},
		{"narrower to the minimum", []float32{450, 300}, []float32{20100, 20000 + minColumnWidth}, []float32{20000 + minColumnWidth}},
		{"wider than the maximum", []float32{500 + maxColumnWidth}, []float32{20000 + maxColumnWidth}, []float32{20000 + maxColumnWidth}},
		{"back where it started", []float32{560, 500}, []float32{20210, 20150}, nil},
		{"no move", nil, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c gripCalls
			g := newTestGrip(&c)
			g.drag(600) // before a press: nothing
			g.start(2, 500, 150)
			for _, x := range tt.xs {
				g.drag(x)
			}
			g.end()
			g.end() // a second end (DragEnd then MouseUp) keeps nothing more
			g.drag(700)
			if !equalFloats(c.set, tt.set) || !equalFloats(c.done, tt.done) {
				t.Errorf("set %v kept %v, want set %v kept %v", c.set, c.done, tt.set, tt.done)
			}
			if !g.resized || g.col != -1 {
				t.Errorf("after the end: resized %v, col %d", g.resized, g.col)
			}
		})
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHeaderEdgeResizes: a press on a header's right edge and a drag
// resize its column and the tap that ends it does not sort; a press
// elsewhere drags nothing and its tap sorts; the cursor shows where a drag
// resizes; a release ends the resize even without a drag.
func TestHeaderEdgeResizes(t *testing.T) {
	test.NewTempApp(t)
	var c gripCalls
	g := newTestGrip(&c)
	sorted := 0
	h := newHeaderCell()
	h.set("Memory", nil)
	h.grip, h.col, h.onTap = g, 3, func() { sorted++ }
	h.Resize(fyne.NewSize(100, 24))
	at := func(x float32) *desktop.MouseEvent {
		return &desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, 5), AbsolutePosition: fyne.NewPos(200+x, 30)},
			Button: desktop.MouseButtonPrimary}
	}
	drag := func(x float32) {
		h.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: fyne.NewPos(200+x, 60)}})
	}

	h.MouseMoved(at(40))
	if h.Cursor() != desktop.PointerCursor {
		t.Error("the middle of a header has no pointer cursor")
	}
	h.MouseMoved(at(97))
	if h.Cursor() != desktop.HResizeCursor {
		t.Error("the right edge of a header has no resize cursor")
	}

	// From the edge: resized, kept, and the tap does not sort.
	h.MouseDown(at(97))
	drag(120)
	drag(147)
	h.DragEnd()
	h.MouseUp(at(147))
	h.Tapped(&fyne.PointEvent{})
	if !equalFloats(c.done, []float32{30150}) || sorted != 0 {
		t.Fatalf("a drag from the edge kept %v and sorted %d times, want [30150] and none", c.done, sorted)
	}

	// From the middle: nothing resized, the tap sorts.
	h.MouseDown(at(40))
	drag(90)
	h.DragEnd()
	h.Tapped(&fyne.PointEvent{})
	if len(c.set) != 2 || sorted != 1 {
		t.Fatalf("a drag from the middle set %v and sorted %d times, want nothing set and one sort", c.set, sorted)
	}

	// A secondary press on the edge starts nothing.
	e := at(98)
	e.Button = desktop.MouseButtonSecondary
	h.MouseDown(e)
	if g.col != -1 {
		t.Fatal("a right press on the edge started a resize")
	}

	// Released without a drag, over the header or over the rows.
	h.MouseDown(at(99))
	if g.col != 3 || h.Cursor() != desktop.HResizeCursor {
		t.Fatalf("a press on the edge: resizing column %d", g.col)
	}
	h.MouseUp(at(99))
	if g.col != -1 {
		t.Fatal("MouseUp did not end the resize")
	}
	rt := newRowTable(func(int) {}, func() {})
	rt.grip = g
	h.MouseDown(at(99))
	rt.MouseUp(&desktop.MouseEvent{})
	if g.col != -1 {
		t.Fatal("MouseUp over the rows did not end the resize")
	}
	if len(c.done) != 1 {
		t.Errorf("presses without a drag kept widths: %v", c.done)
	}
}
