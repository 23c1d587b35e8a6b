package widgets

import (
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// TestChartShadesOnlyItsPlot: every repaint of the window shades each
// object's area again (in software, most of the CPU at rest), so a chart
// holds no shape or line of its own: the plot raster carries the
// background and the grid, and the rest is text.
func TestChartShadesOnlyItsPlot(t *testing.T) {
	test.NewTempApp(t)
	c := NewChart("CPU", UnitPercent)
	c.SetData(ChartData{Window: time.Minute, Series: []Series{{Name: "total", Color: blue, Values: ramp(60, func(i int) float64 { return float64(i) })}}})
	w := test.NewWindow(c)
	defer w.Close()
	w.Resize(fyne.NewSize(400, 200))

	r := test.TempWidgetRenderer(t, c).(*chartRenderer)
	for _, o := range r.Objects() {
		if !o.Visible() {
			continue // the hover marks, shown only under the pointer
		}
		switch o.(type) {
		case *canvas.Raster, *canvas.Text:
		default:
			t.Errorf("the chart paints a %T of %v on every repaint", o, o.Size())
		}
	}

	// The raster's corners are the background and its top row the grid.
	size := r.raster.Size()
	img := r.raster.Generator(int(size.Width), int(size.Height)).(*image.RGBA)
	bg := toNRGBA(theme.Color(theme.ColorNameInputBackground))
	if got := img.RGBAAt(img.Rect.Dx()-1, img.Rect.Dy()/4); got.R != bg.R || got.G != bg.G || got.B != bg.B || got.A != 0xff {
		t.Errorf("plot background %v, want the theme's input background %v", got, bg)
	}
	grid := toNRGBA(theme.Color(theme.ColorNameSeparator))
	if got := img.RGBAAt(img.Rect.Dx()/2, 0); got == img.RGBAAt(img.Rect.Dx()-1, img.Rect.Dy()/4) && grid != bg {
		t.Errorf("no grid line on the plot's top row: %v", got)
	}
}
