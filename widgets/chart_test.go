package widgets

import (
	"image/color"
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

var (
	blue   = color.NRGBA{0x33, 0x99, 0xff, 0xff}
	orange = color.NRGBA{0xff, 0x99, 0x33, 0xff}
)

func ramp(n int, f func(i int) float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

func TestChartRendering(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		unit Unit
		data ChartData
	}{
		{"cpu", UnitPercent, ChartData{
			Window: time.Minute,
			Series: []Series{{Name: "total", Color: blue, Values: ramp(60, func(i int) float64 { return 50 + 40*math.Sin(float64(i)/6) })}},
		}},
		{"network", UnitBytesPerSec, ChartData{
			Window: 10 * time.Minute,
			Series: []Series{
				{Name: "rx", Color: blue, Values: ramp(120, func(i int) float64 { return float64(i * 20 << 10) })},
				{Name: "tx", Color: orange, Values: ramp(120, func(i int) float64 { return float64((120 - i) * 5 << 10) })},
			},
		}},
		{"gap-and-missing-now", UnitNumber, ChartData{
			Window: time.Hour,
			Series: []Series{{Name: "load1", Color: blue, Values: []float64{nan, nan, 1, 1.5, nan, nan, 2, 2.5, 0.5, nan}}},
		}},
		{"past-day-events-load-ref", UnitNumber, ChartData{
			Window:  24 * time.Hour,
			End:     time.Date(2026, 11, 30, 22, 37, 0, 0, time.UTC),
			Markers: []time.Time{time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 15, 30, 0, 0, time.UTC)},
			Ref:     2,
			Series: []Series{{Name: "1m", Color: blue, Values: ramp(96, func(i int) float64 {
				if i >= 30 && i < 40 {
					return nan // Horcrux was not running
				}
				return 1.2 + math.Sin(float64(i)/8)
			})}},
		}},
		{"memory-stacked", UnitBytes, ChartData{
			Window: 10 * time.Minute, Max: 16 << 30, Stack: 3,
			Series: []Series{
				{Name: "used", Color: blue, Values: ramp(60, func(i int) float64 { return float64(4<<30) + float64(i)*(64<<20) })},
				{Name: "cache", Color: orange, Values: ramp(60, func(i int) float64 {
					if i >= 20 && i < 25 {
						return nan
					}
					return 6 << 30
				})},
				{Name: "free", Color: color.NRGBA{0x4c, 0xc2, 0x6b, 0xff}, Values: ramp(60, func(i int) float64 { return float64(6<<30) - float64(i)*(64<<20) })},
			},
		}},
		{"unavailable", UnitBytesPerSec, ChartData{
			Window: time.Minute,
			Note:   "disk: open /proc/diskstats: permission denied",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			c := NewChart("Chart "+tt.name, tt.unit)
			c.SetData(tt.data)
			w := test.NewTempWindow(t, c)
			w.Resize(fyne.NewSize(420, 200))
			test.AssertRendersToMarkup(t, "chart_"+tt.name+".xml", w.Canvas())
			test.AssertImageMatches(t, "chart_"+tt.name+".png", w.Canvas().Capture())
		})
	}
}

func TestChartCurrentValueIsNewestSample(t *testing.T) {
	test.NewTempApp(t)
	c := NewChart("CPU", UnitPercent)
	r := test.TempWidgetRenderer(t, c).(*chartRenderer)
	c.SetData(ChartData{Series: []Series{{Name: "total", Values: []float64{10, 20, 42}}}})
	if got := r.values[0].Text; got != "total 42.0 %" {
		t.Fatalf("current value %q", got)
	}
	// A missing newest sample must not be shown as the older value.
	c.SetData(ChartData{Series: []Series{{Name: "total", Values: []float64{10, 20, math.NaN()}}}})
	if got := r.values[0].Text; got != "total —" {
		t.Fatalf("current value with missing sample %q", got)
	}
	if got := r.yLabels[0].Text; got != "100.0 %" {
		t.Fatalf("percent axis top %q", got)
	}
}

func TestPlotLeavesGapsEmpty(t *testing.T) {
	nan := math.NaN()
	img := plot(nil, 100, 50, []Series{{Values: []float64{10, 10, nan, nan, 10, 10}, Color: blue}}, 20, false)
	painted := func(x0, x1 int) bool {
		for x := x0; x <= x1; x++ {
			for y := 0; y < 50; y++ {
				if img.RGBAAt(x, y).A != 0 {
					return true
				}
			}
		}
		return false
	}
	// Values sit at x = 0, 19.8, 39.6, 59.4, 79.2, 99: nothing between 21 and 78.
	if !painted(0, 19) || !painted(80, 99) {
		t.Fatal("measured segments not drawn")
	}
	if painted(22, 77) {
		t.Fatal("a gap was drawn over")
	}
	// 10 of 20 is the middle row.
	if img.RGBAAt(5, 24).A == 0 && img.RGBAAt(5, 25).A == 0 {
		t.Fatal("line not at half height")
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		unit Unit
		v    float64
		want string
	}{
		{UnitPercent, 42.123, "42.1 %"},
		{UnitBytes, 0, "0 B"},
		{UnitBytes, 1023, "1023 B"},
		{UnitBytes, 1536, "1.5 KiB"},
		{UnitBytes, 8 << 30, "8 GiB"},
		{UnitBytes, 150 << 20, "150 MiB"},
		{UnitBytesPerSec, 2.25 * (1 << 20), "2.2 MiB/s"},
		{UnitNumber, 0.5, "0.5"},
		{UnitNumber, 2, "2"},
		{UnitPercent, math.NaN(), "—"},
	}
	for _, tt := range tests {
		if got := tt.unit.Format(tt.v); got != tt.want {
			t.Errorf("Format(%v, %v) = %q, want %q", tt.unit, tt.v, got, tt.want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	tests := []struct {
		v    float64
		unit Unit
		want float64
	}{
		{0.3, UnitNumber, 0.5},
		{1, UnitNumber, 1},
		{1.2, UnitNumber, 2},
		{3, UnitNumber, 5},
		{7, UnitNumber, 10},
		{0, UnitNumber, 1},
		{1500, UnitBytesPerSec, 2048},
		{900, UnitBytesPerSec, 1000},
		{3 << 20, UnitBytes, 5 << 20},
	}
	for _, tt := range tests {
		if got := niceCeil(tt.v, tt.unit); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("niceCeil(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
