package widgets

import (
	"image/color"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
)

var (
	_ desktop.Hoverable = (*Chart)(nil)
	_ fyne.Draggable    = (*Chart)(nil)
	_ fyne.Tappable     = (*Chart)(nil)
)

// pointer is where the mouse is over the plot, in the chart's coordinates.
type pointer struct {
	hover      bool
	x          float32
	dragging   bool
	dragFrom   float32
	plotPos    fyne.Position // the plot's rectangle, as last laid out
	plotSize   fyne.Size
	hoverText  string
	selectFrom float32 // selection being dragged, plot x from and to
	selectTo   float32
}

// fraction is how far across the plot x is, in [0, 1].
func (p *pointer) fraction(x float32) float64 {
	if p.plotSize.Width <= 0 {
		return 1
	}
	return math.Max(0, math.Min(1, float64((x-p.plotPos.X)/p.plotSize.Width)))
}

// TimeAt is the moment at fraction f across a chart of the past, or the
// offset from now (negative) on a live chart, whose End is zero.
func (d *ChartData) TimeAt(f float64) time.Time {
	back := time.Duration((1 - f) * float64(d.Window))
	if d.End.IsZero() {
		return time.Time{}.Add(-back)
	}
	return d.End.Add(-back).Truncate(time.Second)
}

// hoverLabel says the time and every series' value at fraction f.
func (c *Chart) hoverLabel(f float64) string {
	d := &c.data
	var b strings.Builder
	if d.End.IsZero() {
		back := time.Duration((1 - f) * float64(d.Window)).Round(time.Second)
		b.WriteString("-" + windowLabel(back))
	} else {
		at := d.TimeAt(f).In(d.End.Location())
		if d.Window > 24*time.Hour {
			b.WriteString(at.Format("Jan 2 15:04"))
		} else {
			b.WriteString(at.Format("15:04:05"))
		}
	}
	for _, s := range d.Series {
		if len(s.Values) == 0 {
			continue
		}
		v := s.Values[int(math.Round(f*float64(len(s.Values)-1)))]
		b.WriteString("  ")
		if s.Name != "" {
			b.WriteString(s.Name + " ")
		}
		b.WriteString(c.unit.Format(v))
	}
	return b.String()
}

// MouseIn implements desktop.Hoverable.
func (c *Chart) MouseIn(e *desktop.MouseEvent) { c.MouseMoved(e) }

// MouseMoved implements desktop.Hoverable: a line and a label follow the
// pointer with the time and the values under it.
func (c *Chart) MouseMoved(e *desktop.MouseEvent) {
	c.ptr.hover, c.ptr.x = true, e.Position.X
	c.ptr.hoverText = c.hoverLabel(c.ptr.fraction(e.Position.X))
	c.overlayChanged()
}

// MouseOut implements desktop.Hoverable.
func (c *Chart) MouseOut() {
	c.ptr.hover = false
	c.overlayChanged()
}

// Dragged implements fyne.Draggable: dragging across a chart of the past
// selects a range to zoom into.
func (c *Chart) Dragged(e *fyne.DragEvent) {
	if c.OnZoom == nil || c.data.End.IsZero() {
		return
	}
	if !c.ptr.dragging {
		c.ptr.dragging = true
		c.ptr.dragFrom = e.Position.X - e.Dragged.DX
	}
	c.ptr.selectFrom, c.ptr.selectTo = c.ptr.dragFrom, e.Position.X
	c.overlayChanged()
}

// DragEnd implements fyne.Draggable: the range dragged across is handed to
// OnZoom when it is more than a few pixels wide.
func (c *Chart) DragEnd() {
	if !c.ptr.dragging {
		return
	}
	c.ptr.dragging = false
	a, b := c.ptr.fraction(c.ptr.selectFrom), c.ptr.fraction(c.ptr.selectTo)
	c.overlayChanged()
	if a > b {
		a, b = b, a
	}
	if float32(b-a)*c.ptr.plotSize.Width < 4 || c.OnZoom == nil {
		return
	}
	c.OnZoom(c.data.TimeAt(a), c.data.TimeAt(b))
}

// Tapped implements fyne.Tappable: OnTap is told the moment clicked on a
// chart of the past.
func (c *Chart) Tapped(e *fyne.PointEvent) {
	if c.OnTap == nil || c.data.End.IsZero() {
		return
	}
	c.OnTap(c.data.TimeAt(c.ptr.fraction(e.Position.X)))
}

// overlayChanged redraws the hover and selection marks alone: the plot
// underneath is unchanged.
func (c *Chart) overlayChanged() {
	if c.r != nil {
		c.r.layoutPointer()
		for _, o := range []fyne.CanvasObject{c.r.hoverLine, c.r.hoverBg, c.r.hoverText, c.r.selection} {
			o.Refresh()
		}
	}
}

// newPointerObjects makes the hover line and label and the selection.
func (r *chartRenderer) newPointerObjects() {
	r.hoverLine = canvas.NewLine(theme.Color(theme.ColorNameForeground))
	r.hoverLine.StrokeWidth = 1
	r.hoverBg = canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground))
	r.hoverBg.CornerRadius = 3
	r.hoverText = r.small(theme.Color(theme.ColorNameForeground))
	sel := theme.Color(theme.ColorNamePrimary)
	r.selection = canvas.NewRectangle(withAlpha(sel, 0x50))
}

// withAlpha is c at opacity a.
func withAlpha(c color.Color, a uint8) color.Color {
	n := toNRGBA(c)
	n.A = a
	return n
}

// layoutPointer places the hover marks and the selection.
func (r *chartRenderer) layoutPointer() {
	p := &r.c.ptr
	show := p.hover && p.plotSize.Width > 0 && len(r.c.data.Series) > 0
	r.hoverLine.Hidden, r.hoverBg.Hidden, r.hoverText.Hidden = !show, !show, !show
	if show {
		x := min(max(p.x, p.plotPos.X), p.plotPos.X+p.plotSize.Width)
		r.hoverLine.Position1 = fyne.NewPos(x, p.plotPos.Y)
		r.hoverLine.Position2 = fyne.NewPos(x, p.plotPos.Y+p.plotSize.Height)
		r.hoverText.Text = p.hoverText
		m := r.hoverText.MinSize()
		lx := x + 6
		if lx+m.Width > p.plotPos.X+p.plotSize.Width {
			lx = x - 6 - m.Width
		}
		lx = max(lx, p.plotPos.X)
		r.hoverText.Move(fyne.NewPos(lx, p.plotPos.Y+2))
		r.hoverText.Resize(m)
		r.hoverBg.Move(fyne.NewPos(lx-3, p.plotPos.Y+1))
		r.hoverBg.Resize(fyne.NewSize(m.Width+6, m.Height+2))
	}
	r.selection.Hidden = !p.dragging
	if p.dragging {
		a := min(max(min(p.selectFrom, p.selectTo), p.plotPos.X), p.plotPos.X+p.plotSize.Width)
		b := min(max(max(p.selectFrom, p.selectTo), p.plotPos.X), p.plotPos.X+p.plotSize.Width)
		r.selection.Move(fyne.NewPos(a, p.plotPos.Y))
		r.selection.Resize(fyne.NewSize(b-a, p.plotSize.Height))
	}
}
