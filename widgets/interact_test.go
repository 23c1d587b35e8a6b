package widgets

import (
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// pastDay is a day of two series ending at 12:00 UTC, one value an hour.
func pastDay() ChartData {
	return ChartData{
		Window: 24 * time.Hour,
		End:    time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
		Series: []Series{
			{Name: "rx", Color: blue, Values: ramp(25, func(i int) float64 { return float64(i) * 1024 })},
			{Name: "tx", Color: orange, Values: ramp(25, func(i int) float64 { return 512 })},
		},
	}
}

// plotX is the x of fraction f across c's plot.
func plotX(c *Chart, f float32) float32 { return c.ptr.plotPos.X + f*c.ptr.plotSize.Width }

func TestChartHoverShowsTimeAndValues(t *testing.T) {
	test.NewTempApp(t)
	c := NewChart("Network", UnitBytesPerSec)
	c.SetData(pastDay())
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(420, 200))
	// Half way across a day ending at 12:00 is midnight, the 13th value.
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(plotX(c, 0.5), 60)}})
	if got, want := c.r.hoverText.Text, "00:00:00  rx 12 KiB/s  tx 512 B/s"; got != want {
		t.Errorf("hover label %q, want %q", got, want)
	}
	test.AssertImageMatches(t, "chart_hover.png", w.Canvas().Capture())
	c.MouseOut()
	if c.r.hoverText.Visible() {
		t.Error("the hover label stays after the pointer left")
	}
}

func TestChartDragZoomsAndTapPicksAMoment(t *testing.T) {
	test.NewTempApp(t)
	c := NewChart("Network", UnitBytesPerSec)
	c.SetData(pastDay())
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(420, 200))
	var from, to, at time.Time
	c.OnZoom = func(f, t time.Time) { from, to = f, t }
	c.OnTap = func(t time.Time) { at = t }

	// Drag right to left from 3/4 (06:00) to 1/4 (18:00 the day before).
	x0, x1 := plotX(c, 0.75), plotX(c, 0.25)
	for i := 1; i <= 4; i++ {
		x := x0 + (x1-x0)*float32(i)/4
		c.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, 80)}, Dragged: fyne.Delta{DX: (x1 - x0) / 4}})
	}
	if !c.r.selection.Visible() {
		t.Error("no selection shown while dragging")
	}
	c.DragEnd()
	near := func(got, want time.Time) bool { return math.Abs(got.Sub(want).Minutes()) < 10 }
	if !near(from, time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)) || !near(to, time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("zoomed to %v .. %v, want about 18:00 .. 06:00", from, to)
	}
	if c.r.selection.Visible() {
		t.Error("the selection stays after the drag")
	}

	c.Tapped(&fyne.PointEvent{Position: fyne.NewPos(plotX(c, 1), 80)})
	if !at.Equal(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("tap at the right edge picked %v, want 12:00", at)
	}

	// A live chart has no times to zoom to.
	from = time.Time{}
	c.SetData(ChartData{Window: time.Minute, Series: pastDay().Series})
	c.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x1, 80)}, Dragged: fyne.Delta{DX: -50}})
	c.DragEnd()
	if !from.IsZero() {
		t.Errorf("a drag on a live chart zoomed to %v", from)
	}
}
