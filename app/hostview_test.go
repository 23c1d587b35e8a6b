package app

import (
	"math"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// fakeSnapshot is a snapshot of a host with the given cores, a minute of
// history, and the listed parts missing.
func fakeSnapshot(cores int, missing map[model.Part]model.Gap) *model.Snapshot {
	series := func(f func(i int) float64) []float64 {
		v := make([]float64, 60)
		for i := range v {
			v[i] = f(i)
		}
		return v
	}
	per := make([][]float64, cores)
	pct := make([]float64, cores)
	for c := range per {
		per[c] = series(func(i int) float64 { return float64((i*7 + c*13) % 100) })
		pct[c] = per[c][59]
	}
	return &model.Snapshot{
		Time: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
		Host: model.HostStats{
			Hostname: "box", CPUPercent: 42, CPUPerCorePercent: pct,
			MemTotal: 16 << 30, MemUsed: 4 << 30, UptimeSeconds: 90061, Missing: missing,
		},
		Charts: &model.HostCharts{
			Window: time.Minute, Step: time.Second,
			CPU:      series(func(i int) float64 { return 40 + 20*math.Sin(float64(i)/5) }),
			PerCore:  per,
			MemUsed:  series(func(i int) float64 { return float64(4 << 30) }),
			MemFree:  series(func(i int) float64 { return float64(8<<30) - float64(i)*(32<<20) }),
			SwapUsed: series(func(i int) float64 { return 0 }),
			MemTotal: 16 << 30,
			Load1:    series(func(i int) float64 { return 1 }), Load5: series(func(i int) float64 { return 0.5 }),
			Load15:   series(func(i int) float64 { return 0.25 }),
			DiskRead: series(func(i int) float64 { return float64(i << 20) }), DiskWrite: series(func(i int) float64 { return 0 }),
			NetRx: series(func(i int) float64 { return 1 << 10 }), NetTx: series(func(i int) float64 { return 1 << 9 }),
		},
	}
}

func TestHostChartData(t *testing.T) {
	d := hostChartData(fakeSnapshot(2, map[model.Part]model.Gap{
		model.PartDisk: {Reason: "open /proc/diskstats: permission denied"},
		model.PartNet:  {Reason: "measuring: rates need a second sample", Settling: true},
	}))
	if d.disk.Note != "unavailable" {
		t.Errorf("a failed disk part is not flagged: %q", d.disk.Note)
	}
	if d.net.Note != "" {
		t.Errorf("a part waiting for its second sample is flagged: %q", d.net.Note)
	}
	if len(d.cores.Series) != 2 || d.cores.Series[1].Name != "cpu1" || d.cores.Note != "" {
		t.Errorf("per-core series: %+v", d.cores)
	}
	if d.mem.Max != 16<<30 {
		t.Errorf("memory scale %v, want the memory total", d.mem.Max)
	}

	// Cache and buffers are the rest of the memory, not of a larger swap.
	big := fakeSnapshot(2, nil)
	big.Charts.SwapTotal = 32 << 30
	bd := hostChartData(big)
	if bd.mem.Max != 32<<30 || bd.mem.Series[1].Name != "cache" || bd.mem.Series[1].Values[0] != 4<<30 {
		t.Errorf("with 32 GiB of swap: scale %v, %s %v; want 32 GiB, cache 16 - 4 used - 8 free = 4 GiB",
			bd.mem.Max, bd.mem.Series[1].Name, bd.mem.Series[1].Values[0])
	}

	many := hostChartData(fakeSnapshot(16, nil))
	if !strings.HasPrefix(many.cores.Note, "16 cores, busiest cpu") {
		t.Errorf("16-core note %q", many.cores.Note)
	}
}

func TestHostProblems(t *testing.T) {
	s := fakeSnapshot(1, map[model.Part]model.Gap{
		model.PartLoad: {Reason: "no /proc/loadavg"},
		model.PartCPU:  {Reason: "measuring: rates need a second sample", Settling: true},
		// A counter reset is settling too, whatever its words.
		model.PartDisk: {Reason: "disk counters reset over 1.0s", Settling: true},
	})
	s.HostLate = model.Availability{State: model.NotAnswering, Reason: "host figures are 5s old: the last sample has not returned"}
	got := hostProblems(s)
	want := "host figures are 5s old: the last sample has not returned\nload unavailable: no /proc/loadavg"
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
	// CPU figures are still being measured, so no CPU count yet.
	if got := hostHeader(&s.Host); got != "box · 16 GiB memory · up 1d 1h 1m" {
		t.Errorf("header %q", got)
	}
	if got := hostHeader(&fakeSnapshot(1, nil).Host); got != "box · 1 CPU · 16 GiB memory · up 1d 1h 1m" {
		t.Errorf("header %q", got)
	}
}

func TestHostViewRenders(t *testing.T) {
	test.NewTempApp(t)
	var picked time.Duration
	v := newHostView(time.Minute, func(d time.Duration) { picked = d }, nil, nil)
	w := test.NewTempWindow(t, v.root)
	w.Resize(fyne.NewSize(1000, 700))
	v.render(fakeSnapshot(2, map[model.Part]model.Gap{model.PartSwap: {Reason: "no /proc/swaps"}}))
	test.AssertImageMatches(t, "hostview.png", w.Canvas().Capture())
	if !v.status.Visible() || !strings.Contains(v.status.Text, "swap unavailable") {
		t.Errorf("missing swap not shown: %q", v.status.Text)
	}
	v.bar.chooser.SetSelected("1 h")
	if picked != time.Hour {
		t.Errorf("window choice not passed on: %v", picked)
	}
}

// benchHostView is a Host tab in a window of the default size, and a
// snapshot to show in it.
func benchHostView(b *testing.B) (*hostView, fyne.Window, *model.Snapshot) {
	test.NewTempApp(b)
	v := newHostView(time.Minute, func(time.Duration) {}, nil, nil)
	w := test.NewTempWindow(b, v.root)
	w.Resize(fyne.NewSize(1100, 720))
	return v, w, fakeSnapshot(2, nil)
}

// BenchmarkHostViewUpdate is the UI-thread cost of one snapshot: texts,
// layout and chart data, without GL painting.
func BenchmarkHostViewUpdate(b *testing.B) {
	v, _, _ := benchHostView(b)
	snaps := newHostSamples()
	for b.Loop() {
		v.render(snaps.next())
	}
}

// hostSamples alternates two snapshots whose host figures and chart data
// differ, numbered as the collector does, so every render has work to do.
type hostSamples struct {
	pair [2]*model.Snapshot
	n    uint64
}

func newHostSamples() *hostSamples {
	return &hostSamples{pair: [2]*model.Snapshot{fakeSnapshot(2, nil), fakeSnapshot(2, nil)}}
}

func (h *hostSamples) next() *model.Snapshot {
	h.n++
	s := *h.pair[h.n%2]
	s.Versions.Host, s.Versions.Charts = h.n, h.n
	return &s
}

// BenchmarkHostViewPaint adds a full software render of the window, an upper
// bound of the painting a GL driver does per update.
func BenchmarkHostViewPaint(b *testing.B) {
	v, w, _ := benchHostView(b)
	snaps := newHostSamples()
	for b.Loop() {
		v.render(snaps.next())
		w.Canvas().Capture()
	}
}
