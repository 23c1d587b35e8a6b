// Package widgets holds Horcrux's custom Fyne widgets.
package widgets

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Series is one line of a chart: evenly spaced values, oldest first, NaN
// where nothing was measured.
type Series struct {
	Name   string
	Values []float64
	Color  color.Color
}

// ChartData is what a chart shows at one moment. The chart keeps the slices
// and never changes them; callers hand over fresh ones.
type ChartData struct {
	Series []Series
	Window time.Duration // time covered from the left edge to now
	Max    float64       // top of the scale; 0 picks a round number above the data
	// Note replaces the current values when set, to say why there are none.
	Note string
	// End is the time at the right edge for a chart of the past; zero for a
	// live chart ending now. With End set the time axis has round ticks.
	End time.Time
	// Markers are moments (events) drawn as dashed vertical lines; they need End.
	Markers []time.Time
	// Stack is how many leading series are drawn each on top of the ones
	// before it (memory used, cache, free); the first one's current value
	// then says its share of Max. The rest are plain lines (swap).
	Stack int
	// Ref, when above 0, is drawn as a dashed horizontal line (the core
	// count on a load chart) and kept on the scale.
	Ref float64
}

// Chart draws live line series with a title, a value axis with units, a
// time axis and the current value of each series.
type Chart struct {
	widget.BaseWidget

	title     string
	unit      Unit
	data      ChartData
	refreshes int // redraws asked for by SetData

	// OnZoom, when set, is handed the range the user drags across on a
	// chart of the past.
	OnZoom func(from, to time.Time)
	// OnTap, when set, is handed the moment the user clicks on a chart of
	// the past.
	OnTap func(at time.Time)

	ptr pointer        // hover and drag state
	r   *chartRenderer // the renderer, so the pointer marks redraw alone
}

// NewChart returns an empty chart whose values are formatted in unit.
func NewChart(title string, unit Unit) *Chart {
	c := &Chart{title: title, unit: unit}
	c.ExtendBaseWidget(c)
	return c
}

// SetData replaces what the chart shows and redraws it, unless d is what
// it already shows (the same slices: callers hand over fresh ones for new
// data). Call it on the UI goroutine.
func (c *Chart) SetData(d ChartData) {
	if sameData(&c.data, &d) {
		return
	}
	c.data = d
	c.refreshes++
	c.Refresh()
}

// SetTitle changes the chart's title (a selected VM's name) and redraws
// the title alone.
func (c *Chart) SetTitle(title string) {
	if title == c.title {
		return
	}
	c.title = title
	if c.r != nil {
		c.r.title.Text = title
		c.r.title.Refresh()
		c.r.Layout(c.Size())
	}
}

// Title is the chart's title.
func (c *Chart) Title() string { return c.title }

// Refreshes counts the redraws SetData asked for, so tests and benchmarks
// can tell that unchanged data costs nothing.
func (c *Chart) Refreshes() int { return c.refreshes }

// sameData reports whether b shows exactly what a does: same settings and
// the very same series slices.
func sameData(a, b *ChartData) bool {
	if a.Window != b.Window || a.Max != b.Max || a.Note != b.Note || len(a.Series) != len(b.Series) ||
		!a.End.Equal(b.End) || a.Ref != b.Ref || a.Stack != b.Stack || len(a.Markers) != len(b.Markers) ||
		len(a.Markers) > 0 && &a.Markers[0] != &b.Markers[0] {
		return false
	}
	for i := range a.Series {
		x, y := &a.Series[i], &b.Series[i]
		if x.Name != y.Name || x.Color != y.Color || len(x.Values) != len(y.Values) ||
			len(x.Values) > 0 && &x.Values[0] != &y.Values[0] {
			return false
		}
	}
	return len(a.Series) > 0
}

// Data returns what the chart shows.
func (c *Chart) Data() ChartData { return c.data }

// Copy is a new chart showing what c shows, without its hover or drag
// marks: drawn off screen, it is what an export writes.
func (c *Chart) Copy() *Chart {
	n := NewChart(c.title, c.unit)
	n.data = c.data
	return n
}

// scaleMax is the value at the top of the plot.
func (c *Chart) scaleMax() float64 {
	if c.data.Max > 0 {
		return c.data.Max
	}
	if c.unit == UnitPercent {
		return 100
	}
	peak := c.data.Ref
	series := stacked(c.data.Series, c.data.Stack)
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) && v > peak {
				peak = v
			}
		}
	}
	if peak == 0 && (c.unit == UnitBytes || c.unit == UnitBytesPerSec) {
		return 1024
	}
	return niceCeil(peak, c.unit)
}

// lastValue is the newest measured value of s, or NaN when the newest
// sample is missing: an old value would pass for a current one.
func lastValue(s Series) float64 {
	if len(s.Values) == 0 {
		return math.NaN()
	}
	return s.Values[len(s.Values)-1]
}

// CreateRenderer implements fyne.Widget.
func (c *Chart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	r.title = canvas.NewText(c.title, theme.Color(theme.ColorNameForeground))
	r.title.TextStyle.Bold = true
	r.raster = canvas.NewRaster(func(w, h int) image.Image {
		// The plot area carries the background and the grid, and the rest
		// of the chart none: a shape under the whole chart and three line
		// objects cost full-area passes of the GPU (in software, llvmpipe:
		// most of the window's CPU at rest) on every repaint.
		r.img = background(r.img, w, h, theme.Color(theme.ColorNameInputBackground))
		if h >= 2 {
			grid := toNRGBA(theme.Color(theme.ColorNameSeparator))
			for _, y := range []int{0, (h - 1) / 2, h - 1} {
				hline(r.img, y, grid)
			}
		}
		s, top := c.data.Series, c.scaleMax()
		if n := min(c.data.Stack, len(s)); n > 0 {
			drawStacked(r.img, w, h, stack(s[:n]), top)
			drawSeries(r.img, w, h, s[n:], top, false)
		} else if w >= 2 && h >= 2 && top > 0 {
			drawSeries(r.img, w, h, s, top, len(s) == 1)
		}
		r.overlay(w, h)
		return r.img
	})
	for i := range r.yLabels {
		r.yLabels[i] = r.small(theme.Color(theme.ColorNamePlaceHolder))
		r.yLabels[i].Alignment = fyne.TextAlignTrailing
	}
	r.xLeft = r.small(theme.Color(theme.ColorNamePlaceHolder))
	r.xRight = r.small(theme.Color(theme.ColorNamePlaceHolder))
	r.xRight.Alignment = fyne.TextAlignTrailing
	r.newPointerObjects()
	c.r = r
	r.update()
	return r
}

type chartRenderer struct {
	c       *Chart
	title   *canvas.Text
	values  []*canvas.Text // one per series, in its colour
	raster  *canvas.Raster
	img     *image.RGBA     // reused by the raster between updates
	yLabels [3]*canvas.Text // top, middle, bottom
	xLeft   *canvas.Text
	xRight  *canvas.Text
	ticks   []time.Time    // round times on the axis of a chart of the past
	tickLbl []*canvas.Text // their labels
	objects []fyne.CanvasObject

	hoverLine *canvas.Line
	hoverBg   *canvas.Rectangle
	hoverText *canvas.Text
	selection *canvas.Rectangle
}

// maxTicks is how many time ticks fit a plot w wide without labels touching.
func maxTicks(w float32) int { return max(2, int(w/70)) }

// overlay draws the tick lines, the markers and the reference line over the
// plotted series.
func (r *chartRenderer) overlay(w, h int) {
	d := r.c.data
	if w < 2 || h < 2 {
		return
	}
	if !d.End.IsZero() && d.Window > 0 {
		grid := toNRGBA(theme.Color(theme.ColorNameSeparator))
		for _, t := range r.ticks {
			x := int(math.Round(xOf(t, d.End, d.Window, w)))
			for y := 0; y < h; y++ {
				blend(r.img, x, y, grid, 1)
			}
		}
		mark := toNRGBA(theme.Color(theme.ColorNameWarning))
		for _, t := range d.Markers {
			if x := xOf(t, d.End, d.Window, w); x >= 0 && x <= float64(w-1) {
				vdash(r.img, x, mark)
			}
		}
	}
	if top := r.c.scaleMax(); d.Ref > 0 && top > 0 {
		hdash(r.img, float64(h-1)-math.Min(d.Ref/top, 1)*float64(h-1), toNRGBA(theme.Color(theme.ColorNameForeground)))
	}
}

func (r *chartRenderer) small(c color.Color) *canvas.Text {
	t := canvas.NewText("", c)
	t.TextSize = theme.CaptionTextSize()
	return t
}

const chartPad = 6

func (r *chartRenderer) MinSize() fyne.Size {
	return fyne.NewSize(240, 140)
}

func (r *chartRenderer) Layout(size fyne.Size) {
	th := r.title.MinSize()
	r.title.Move(fyne.NewPos(chartPad, chartPad))
	r.title.Resize(th)

	// Current values sit right-aligned on the title row, last series
	// rightmost; when they would run into the title they take a row of
	// their own under it.
	valuesW := float32(0)
	for _, v := range r.values {
		valuesW += v.MinSize().Width + chartPad*2
	}
	valuesY := float32(chartPad)
	if chartPad+th.Width+chartPad*2+valuesW > size.Width {
		valuesY += th.Height
	}
	x := size.Width - chartPad
	for i := len(r.values) - 1; i >= 0; i-- {
		m := r.values[i].MinSize()
		x -= m.Width
		r.values[i].Move(fyne.NewPos(x, valuesY+(th.Height-m.Height)/2))
		r.values[i].Resize(m)
		x -= chartPad * 2
	}

	labelW := float32(0)
	for _, l := range r.yLabels {
		labelW = max(labelW, l.MinSize().Width)
	}
	xh := r.xLeft.MinSize().Height
	top := valuesY + th.Height + chartPad
	left := chartPad + labelW + chartPad
	right := size.Width - chartPad
	bottom := size.Height - chartPad - xh
	if bottom < top+10 {
		bottom = top + 10
	}
	r.raster.Move(fyne.NewPos(left, top))
	r.raster.Resize(fyne.NewSize(right-left, bottom-top))
	r.c.ptr.plotPos, r.c.ptr.plotSize = fyne.NewPos(left, top), fyne.NewSize(right-left, bottom-top)
	r.layoutPointer()
	for i := range r.yLabels {
		y := top + (bottom-top)*float32(i)/2
		lh := r.yLabels[i].MinSize().Height
		r.yLabels[i].Move(fyne.NewPos(chartPad, y-lh/2))
		r.yLabels[i].Resize(fyne.NewSize(labelW, lh))
	}
	r.xLeft.Move(fyne.NewPos(left, bottom))
	r.xLeft.Resize(r.xLeft.MinSize())
	if d := r.c.data; !d.End.IsZero() && d.Window > 0 {
		if n := len(r.tickLbl); r.setTicks(right-left) != n {
			r.collect()
		}
		for i, t := range r.ticks {
			m := r.tickLbl[i].MinSize()
			x := left + float32(xOf(t, d.End, d.Window, int(right-left)))
			r.tickLbl[i].Move(fyne.NewPos(min(max(x-m.Width/2, left), right-m.Width), bottom))
			r.tickLbl[i].Resize(m)
		}
	}
	rm := r.xRight.MinSize()
	r.xRight.Move(fyne.NewPos(right-rm.Width, bottom))
	r.xRight.Resize(rm)
}

// update brings the texts and colours in line with the chart's data.
func (r *chartRenderer) update() {
	d := r.c.data
	top := r.c.scaleMax()
	for i, v := range []float64{top, top / 2, 0} {
		r.yLabels[i].Text = r.c.unit.Format(v)
	}
	r.xLeft.Text = "-" + windowLabel(d.Window)
	r.xRight.Text = "now"
	past := !d.End.IsZero() && d.Window > 0
	r.xLeft.Hidden, r.xRight.Hidden = past, past
	if past {
		r.setTicks(r.raster.Size().Width)
	} else {
		r.ticks, r.tickLbl = nil, nil
	}

	want := len(d.Series)
	if d.Note != "" {
		want = 1
	}
	for len(r.values) < want {
		r.values = append(r.values, r.small(theme.Color(theme.ColorNameForeground)))
	}
	r.values = r.values[:want]
	if d.Note != "" {
		r.values[0].Text = d.Note
		r.values[0].Color = theme.Color(theme.ColorNamePlaceHolder)
	} else {
		for i, s := range d.Series {
			v := r.c.unit.Format(lastValue(s))
			if last := lastValue(s); i == 0 && d.Stack > 0 && d.Max > 0 && !math.IsNaN(last) {
				v += fmt.Sprintf(" %.0f %%", last/d.Max*100)
			}
			if s.Name != "" {
				v = s.Name + " " + v
			}
			r.values[i].Text = v
			r.values[i].Color = s.Color
		}
	}

	r.collect()
}

// collect lists the renderer's objects in drawing order.
func (r *chartRenderer) collect() {
	r.objects = r.objects[:0]
	r.objects = append(r.objects, r.raster, r.title)
	for _, v := range r.values {
		r.objects = append(r.objects, v)
	}
	for _, l := range r.yLabels {
		r.objects = append(r.objects, l)
	}
	r.objects = append(r.objects, r.xLeft, r.xRight)
	for _, l := range r.tickLbl {
		r.objects = append(r.objects, l)
	}
	r.objects = append(r.objects, r.selection, r.hoverLine, r.hoverBg, r.hoverText)
}

// setTicks places round time ticks on an axis w wide and labels them; it
// returns how many.
func (r *chartRenderer) setTicks(w float32) int {
	d := r.c.data
	r.ticks = timeTicks(d.End.Add(-d.Window), d.End, maxTicks(w))
	for len(r.tickLbl) < len(r.ticks) {
		r.tickLbl = append(r.tickLbl, r.small(theme.Color(theme.ColorNamePlaceHolder)))
	}
	r.tickLbl = r.tickLbl[:len(r.ticks)]
	for i, t := range r.ticks {
		r.tickLbl[i].Text = tickLabel(t, d.Window)
	}
	return len(r.ticks)
}

func (r *chartRenderer) Refresh() {
	r.title.Text = r.c.title
	r.title.Color = theme.Color(theme.ColorNameForeground)
	r.update()
	r.Layout(r.c.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *chartRenderer) Destroy() {}

// windowLabel names a time window the way the window chooser does.
func windowLabel(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 s"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d d", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	default:
		return fmt.Sprintf("%d s", d/time.Second)
	}
}
