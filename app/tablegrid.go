package app

import (
	"math"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The separator lines between a table's cells are drawn once per table, a
// line per visible row and column, not two per cell. Every object drawn is
// one draw call, and with software GL (llvmpipe) each draw call of a frame
// keeps Mesa memory: a 1000-row Machines tab drew ~500 separator rectangles
// and held ~20 MB more than without them.

// gridGeom is where a table's cells are: what the lines are drawn from.
type gridGeom struct {
	origin fyne.Position // the top left of the cells' view, in the table
	view   fyne.Size     // the cells' view (the scroller's size)
	offset fyne.Position // how far the cells are scrolled
	widths []float32     // of the columns, in order
	rowH   float32       // of every row
	rows   int
	gap    float32 // between cells (the lines lie in it)
	thick  float32 // of a line
}

// equal reports whether g and o place the same lines.
func (g *gridGeom) equal(o *gridGeom) bool {
	return g.origin == o.origin && g.view == o.view && g.offset == o.offset && slices.Equal(g.widths, o.widths) &&
		g.rowH == o.rowH && g.rows == o.rows && g.gap == o.gap && g.thick == o.thick
}

// gridLine is one line: a thin rectangle, in table coordinates.
type gridLine struct {
	pos  fyne.Position
	size fyne.Size
}

// gridLines are the lines every cell had to its right and below it, in the
// gaps between cells: a vertical line per column down to the last row, a
// horizontal one per row across to the last column, cut to the view.
func gridLines(g gridGeom) []gridLine {
	if g.rows <= 0 || len(g.widths) == 0 || g.rowH <= 0 || g.view.Width <= 0 || g.view.Height <= 0 {
		return nil
	}
	off := (g.gap - g.thick) / 2
	x0, y0 := g.origin.X-g.offset.X, g.origin.Y-g.offset.Y // the first cell's corner
	left, top := g.origin.X, g.origin.Y
	right, bottom := left+g.view.Width, top+g.view.Height
	totalW := float32(0)
	for _, w := range g.widths {
		totalW += w + g.gap
	}
	pitch := g.rowH + g.gap
	var lines []gridLine

	if lo, hi := max(top, y0), min(bottom, y0+float32(g.rows)*pitch); hi > lo {
		x := x0
		for _, w := range g.widths {
			lx := x + w + off
			if lx >= right {
				break
			}
			if lx+g.thick > left {
				lines = append(lines, gridLine{fyne.NewPos(lx, lo), fyne.NewSize(g.thick, hi-lo)})
			}
			x += w + g.gap
		}
	}
	if lo, hi := max(left, x0), min(right, x0+totalW); hi > lo {
		first := max(0, int(math.Floor(float64((top-y0)/pitch)))-1)
		for r := first; r < g.rows; r++ {
			ly := y0 + float32(r)*pitch + g.rowH + off
			if ly >= bottom {
				break
			}
			if ly+g.thick > top {
				lines = append(lines, gridLine{fyne.NewPos(lo, ly), fyne.NewSize(hi-lo, g.thick)})
			}
		}
	}
	return lines
}

// tableGrid draws a table's separator lines over the cells' view, clipped
// to it as the cells are.
type tableGrid struct {
	layer *clipLayer
	box   *fyne.Container // lays nothing out: the lines are placed by hand
	lines []*canvas.Rectangle
	shown gridGeom
}

func newTableGrid() *tableGrid {
	t := &tableGrid{box: container.NewWithoutLayout()}
	t.layer = newClipLayer(t.box)
	return t
}

// clipLayer shows its content cut to its own bounds and takes no events: it
// lies over the cells, which keep their clicks, drags and scrolling.
type clipLayer struct {
	widget.BaseWidget
	content fyne.CanvasObject
}

func newClipLayer(content fyne.CanvasObject) *clipLayer {
	c := &clipLayer{content: content}
	c.ExtendBaseWidget(c)
	return c
}

// CreateRenderer implements fyne.Widget.
func (c *clipLayer) CreateRenderer() fyne.WidgetRenderer { return &clipRenderer{c: c} }

// clipRenderer lays out a clipLayer; its IsClip makes Fyne's painters cut
// what it holds to its bounds, as they do a scroller's.
type clipRenderer struct{ c *clipLayer }

func (r *clipRenderer) Layout(size fyne.Size)        { r.c.content.Resize(size) }
func (r *clipRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (r *clipRenderer) Refresh()                     { r.c.content.Refresh() }
func (r *clipRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.c.content} }
func (r *clipRenderer) Destroy()                     {}

// IsClip marks the renderer as one that clips (fyne's internal/driver.IsClip).
func (r *clipRenderer) IsClip() {}

// show places the lines for g, unless they are placed already; recolor
// brings their colour in line with the theme.
func (t *tableGrid) show(g gridGeom, recolor bool) {
	c := theme.Color(theme.ColorNameSeparator)
	if recolor {
		for _, l := range t.lines {
			if l.FillColor != c {
				l.FillColor = c
				l.Refresh()
			}
		}
	}
	if g.equal(&t.shown) {
		return
	}
	t.shown = g
	t.shown.widths = slices.Clone(g.widths)
	if t.layer.Position() != g.origin || t.layer.Size() != g.view {
		t.layer.Move(g.origin)
		t.layer.Resize(g.view)
	}
	g.origin = fyne.Position{} // the lines are placed in the layer
	want := gridLines(g)
	for len(t.lines) < len(want) {
		l := canvas.NewRectangle(c)
		t.lines = append(t.lines, l)
		t.box.Objects = append(t.box.Objects, l)
	}
	for i, l := range t.lines {
		if i >= len(want) {
			l.Hidden = true
			continue
		}
		l.Hidden = false
		l.Move(want[i].pos)
		l.Resize(want[i].size)
	}
	t.box.Refresh()
}
