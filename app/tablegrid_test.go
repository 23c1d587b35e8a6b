package app

import (
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func TestGridLines(t *testing.T) {
	base := gridGeom{origin: fyne.NewPos(0, 30), view: fyne.NewSize(400, 100), widths: []float32{100, 50, 80},
		rowH: 18, rows: 3, gap: 2, thick: 1}
	line := func(x, y, w, h float32) gridLine { return gridLine{fyne.NewPos(x, y), fyne.NewSize(w, h)} }
	for _, tt := range []struct {
		name string
		edit func(g *gridGeom)
		want []gridLine
	}{
		{"all in view: a line right of each column down to the last row, one below each row", func(*gridGeom) {}, []gridLine{
			line(100.5, 30, 1, 60), line(152.5, 30, 1, 60), line(234.5, 30, 1, 60),
			line(0, 48.5, 236, 1), line(0, 68.5, 236, 1), line(0, 88.5, 236, 1),
		}},
		{"scrolled down and right, cut to the view", func(g *gridGeom) {
			g.rows, g.offset = 100, fyne.NewPos(120, 25)
		}, []gridLine{
			line(32.5, 30, 1, 100), line(114.5, 30, 1, 100),
			line(0, 43.5, 116, 1), line(0, 63.5, 116, 1), line(0, 83.5, 116, 1), line(0, 103.5, 116, 1), line(0, 123.5, 116, 1),
		}},
		{"columns past the view's right edge are left out", func(g *gridGeom) { g.view.Width = 140 }, []gridLine{
			line(100.5, 30, 1, 60),
			line(0, 48.5, 140, 1), line(0, 68.5, 140, 1), line(0, 88.5, 140, 1),
		}},
		{"no rows", func(g *gridGeom) { g.rows = 0 }, nil},
		{"not laid out yet", func(g *gridGeom) { g.rowH = 0 }, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := base
			g.widths = append([]float32(nil), base.widths...)
			tt.edit(&g)
			got := gridLines(g)
			if len(got) != len(tt.want) {
				t.Fatalf("%d lines %v, want %d %v", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// gridLinesShown are the grid's lines drawn now, in the table's coordinates.
func gridLinesShown(g *tableGrid) []*canvas.Rectangle {
	var out []*canvas.Rectangle
	for _, l := range g.lines {
		if l.Visible() {
			out = append(out, l)
		}
	}
	return out
}

// TestTableGridFollowsCells: every drawn row has its line right below it,
// after the table scrolls to a selection and after the scroller is
// scrolled, and the grid draws a line per row and column, not per cell.
func TestTableGridFollowsCells(t *testing.T) {
	v, w, _ := machinesTab(t, 1000, fyne.NewSize(1100, 720))
	rt := v.table.table
	check := func(when string) {
		t.Helper()
		d := fyne.CurrentApp().Driver()
		layer := d.AbsolutePositionForObject(rt.grid.layer)
		lines := gridLinesShown(rt.grid)
		cells := cellsOf(w.Content())
		if len(cells) < 20 || len(lines) == 0 {
			t.Fatalf("%s: %d cells, %d lines drawn", when, len(cells), len(lines))
		}
		if len(lines) > len(cells)/4 {
			t.Errorf("%s: %d lines for %d cells: the lines are not drawn per table", when, len(lines), len(cells))
		}
		off := (cellGap - float32(1)) / 2
		for _, c := range cells {
			below := d.AbsolutePositionForObject(c).Y + c.Size().Height + off
			if below >= layer.Y+rt.grid.layer.Size().Height {
				continue // cut off by the view
			}
			found := false
			for _, l := range lines {
				if l.Size().Width > l.Size().Height && math.Abs(float64(layer.Y+l.Position().Y-below)) < 0.01 {
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("%s: no line under the row of %q (at %v)", when, c.full, below)
			}
		}
	}
	check("at the top")
	v.table.selectKey(model.ItemKey(0, "uuid-0900"))
	if !drawn(w.Content(), "vm-0900") {
		t.Fatal("the selected row is not scrolled into view")
	}
	check("scrolled to a selection")
	// A few pixels: no row comes into view, so no cell is updated.
	before := rt.content.Offset
	rt.content.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, 3)})
	if rt.content.Offset == before {
		t.Fatal("the wheel did not scroll")
	}
	check("scrolled by the wheel")
}

// TestTableGridTakesTheThemesColour: after a theme change the lines have
// the new theme's separator colour, as the cells' own lines had.
func TestTableGridTakesTheThemesColour(t *testing.T) {
	v, _, _ := machinesTab(t, 50, fyne.NewSize(1100, 720))
	rt := v.table.table
	before := theme.Color(theme.ColorNameSeparator)
	test.ApplyTheme(t, test.NewTheme())
	after := theme.Color(theme.ColorNameSeparator)
	if before == after {
		t.Fatal("the test theme has the same separator colour")
	}
	lines := gridLinesShown(rt.grid)
	if len(lines) == 0 {
		t.Fatal("no lines drawn")
	}
	for _, l := range lines {
		if l.FillColor != after {
			t.Fatalf("a line in %v after the theme changed to %v", l.FillColor, after)
		}
	}
}
