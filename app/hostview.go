package app

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/plural"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// Windows are the chart time windows offered, in the chooser's order.
var windowChoices = []struct {
	label string
	d     time.Duration
}{
	{"1 min", time.Minute},
	{"10 min", 10 * time.Minute},
	{"1 h", time.Hour},
	{"24 h", 24 * time.Hour},
	{"7 d", 7 * 24 * time.Hour},
	{"30 d", 30 * 24 * time.Hour},
	{"1 y", 365 * 24 * time.Hour},
}

// palette colours series in a fixed order so a series keeps its colour.
var palette = []color.NRGBA{
	{0x3d, 0x9c, 0xf0, 0xff}, // blue
	{0xf5, 0x9e, 0x2a, 0xff}, // orange
	{0x4c, 0xc2, 0x6b, 0xff}, // green
	{0xd9, 0x5f, 0xd0, 0xff}, // magenta
	{0xe8, 0x4d, 0x4d, 0xff}, // red
	{0x2b, 0xc4, 0xc4, 0xff}, // teal
	{0xc9, 0xc0, 0x3a, 0xff}, // olive
	{0x9a, 0x7b, 0xf0, 0xff}, // violet
}

func colorOf(i int) color.Color { return palette[i%len(palette)] }

// hostView is the Host tab: a header, the window chooser and six charts.
type hostView struct {
	root     fyne.CanvasObject
	top      *fyne.Container // header and status; relaid out when the status shows or hides
	diagnose *widget.Button  // next to the status, while something is unavailable
	header   *widget.Label
	status   *widget.Label
	bar      *rangeBar // the window chooser and Live
	cpu      *widgets.Chart
	cores    *widgets.Chart
	mem      *widgets.Chart
	load     *widgets.Chart
	disk     *widgets.Chart
	net      *widgets.Chart
	grid     *fyne.Container // the six charts, as exported
	lists    *hostLists      // the Processes and Filesystems sub-tabs

	seen  model.Versions // of the snapshot last rendered
	fresh bool           // something was rendered

	window   time.Duration   // shown; beyond liveWindow the charts come from the store
	lastLive time.Duration   // the live window Live goes back to
	zoomEnd  time.Time       // end of a range zoomed into; zero for one ending now
	pastAt   time.Time       // when the shown past was read; zero while none is
	below    *fyne.Container // the events of the shown past and the clicked moment
	events   *widget.Label
	moment   *widget.Label
}

// past reports whether the charts show the store's past rather than the
// collector's live window.
func (v *hostView) past() bool { return v.window > liveWindow || !v.zoomEnd.IsZero() }

// chosen is the window picked in the chooser, or 0 while a range dragged
// across a chart is shown.
func (v *hostView) chosen() time.Duration {
	if v.zoomEnd.IsZero() {
		return v.window
	}
	return 0
}

// charts are the six charts in the grid's order.
func (v *hostView) charts() []*widgets.Chart {
	return []*widgets.Chart{v.cpu, v.cores, v.mem, v.load, v.disk, v.net}
}

// newHostView builds the Host tab; onWindow is told when the user picks
// another time window, and onCSV and onPNG (when set) export the charts.
func newHostView(window time.Duration, onWindow func(time.Duration), onCSV, onPNG func()) *hostView {
	v := &hostView{
		header: widget.NewLabel("Measuring the host…"),
		status: widget.NewLabel(""),
		cpu:    widgets.NewChart("CPU", widgets.UnitPercent),
		cores:  widgets.NewChart("CPU per core", widgets.UnitPercent),
		mem:    widgets.NewChart("Memory and swap", widgets.UnitBytes),
		load:   widgets.NewChart("Load average", widgets.UnitNumber),
		disk:   widgets.NewChart("Disk I/O", widgets.UnitBytesPerSec),
		net:    widgets.NewChart("Network I/O", widgets.UnitBytesPerSec),
	}
	v.window, v.lastLive = window, collectorWindow(window)
	if window > liveWindow {
		v.lastLive = windowChoices[0].d
	}
	v.header.TextStyle.Bold = true
	v.status.Importance = widget.WarningImportance
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Hide()

	v.bar = newRangeBar(window, v.past(), onWindow, func() { onWindow(v.lastLive) })
	right := v.bar.box
	if onCSV != nil && onPNG != nil {
		var export *widget.Button
		export = widget.NewButtonWithIcon("Export", theme.DownloadIcon(), func() {
			menu := fyne.NewMenu("", fyne.NewMenuItem("Charts as CSV…", onCSV), fyne.NewMenuItem("Charts as PNG…", onPNG))
			c := fyne.CurrentApp().Driver().CanvasForObject(export)
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(export).AddXY(0, export.Size().Height)
			widget.ShowPopUpMenuAtPosition(menu, c, pos)
		})
		right.Add(export)
	}
	top := container.NewBorder(nil, nil, v.header, right)
	v.grid = container.NewGridWithColumns(2, v.cpu, v.cores, v.mem, v.load, v.disk, v.net)
	v.diagnose = widget.NewButtonWithIcon("Diagnose", theme.HelpIcon(), nil)
	v.diagnose.Hide()
	v.top = container.NewVBox(top, container.NewBorder(nil, nil, nil, v.diagnose, v.status))
	v.events = widget.NewLabel("")
	v.events.Wrapping = fyne.TextWrapWord
	v.moment = widget.NewLabel("Click a chart for the top VMs and containers at that moment.")
	v.moment.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(container.NewGridWithColumns(2, v.events, v.moment))
	scroll.SetMinSize(fyne.NewSize(0, 130))
	v.below = container.NewStack(scroll)
	v.below.Hidden = !v.past()
	v.lists = newHostLists(container.NewBorder(nil, v.below, nil, nil, v.grid))
	v.lists.onSub = func(sub int) { // the window and Export are the charts'
		if right.Hidden != (sub != subCharts) {
			right.Hidden = sub != subCharts
			top.Refresh()
		}
	}
	v.root = container.NewBorder(v.top, nil, nil, nil, v.lists.tabs)
	return v
}

func windowLabel(d time.Duration) string {
	for _, c := range windowChoices {
		if c.d == d {
			return c.label
		}
	}
	return windowChoices[0].label
}

// render shows s: the header and problems when the host figures changed,
// the charts when their data did; nothing otherwise. It runs on the UI
// goroutine.
func (v *hostView) render(s *model.Snapshot) {
	if !v.fresh || s.Versions.Host != v.seen.Host {
		v.header.SetText(hostHeader(&s.Host))
		msg := hostProblems(s)
		if msg != v.status.Text || (msg != "") != v.status.Visible() {
			v.status.SetText(msg)
			v.status.Hidden = msg == ""
			v.diagnose.Hidden = msg == "" || v.diagnose.OnTapped == nil
			v.top.Refresh()
			v.root.Refresh()
		}
	}
	if !v.past() && s.Charts != nil && (!v.fresh || s.Versions.Charts != v.seen.Charts) {
		v.setCharts(hostChartData(s))
	}
	v.seen, v.fresh = s.Versions, true
	v.lists.memTotal = s.Host.MemTotal
	v.lists.tick(time.Now()) // the process or filesystem list, when shown and due
}

// setCharts shows d in the six charts.
func (v *hostView) setCharts(d hostCharts) {
	v.cpu.SetData(d.cpu)
	v.cores.SetData(d.cores)
	v.mem.SetData(d.mem)
	v.load.SetData(d.load)
	v.disk.SetData(d.disk)
	v.net.SetData(d.net)
}

// showPast shows what was read from the store for a window beyond the
// live hour, or why nothing could be; at is when it was read.
func (v *hostView) showPast(p pastHost, err error, at time.Time) {
	v.pastAt = at
	if err != nil {
		note := widgets.ChartData{Note: "history unavailable: " + err.Error()}
		p.charts = hostCharts{note, note, note, note, note, note}
		v.events.SetText("")
	} else if len(p.events) == 0 {
		v.events.SetText("No events in this range.")
	} else {
		v.events.SetText("Events in this range:\n" + strings.TrimRight(eventLines(p.events, ""), "\n"))
	}
	v.setCharts(p.charts)
	v.showMode()
}

// showMode shows Live and the events panel while the past is shown.
func (v *hostView) showMode() {
	past := v.past()
	relayout := v.bar.show(v.chosen(), past)
	if past == v.below.Hidden {
		v.below.Hidden, relayout = !past, true
	}
	if relayout {
		v.root.Refresh()
	}
}

// hostHeader is the one-line summary above the charts.
func hostHeader(h *model.HostStats) string {
	var parts []string
	if h.Hostname != "" {
		parts = append(parts, h.Hostname)
	}
	if h.Has(model.PartCPU) && len(h.CPUPerCorePercent) > 0 {
		n := len(h.CPUPerCorePercent)
		parts = append(parts, fmt.Sprintf("%d CPU%s", n, map[bool]string{true: "s"}[n != 1]))
	}
	if h.Has(model.PartMemory) && h.MemTotal > 0 {
		parts = append(parts, widgets.FormatBytes(float64(h.MemTotal))+" memory")
	}
	if h.Has(model.PartUptime) && h.UptimeSeconds > 0 {
		parts = append(parts, "up "+formatUptime(time.Duration(h.UptimeSeconds)*time.Second))
	}
	if len(parts) == 0 {
		return "Measuring the host…"
	}
	return strings.Join(parts, " · ")
}

// hostProblems lists, in words, what the host figures lack and why. Parts
// waiting for their second sample are not problems.
func hostProblems(s *model.Snapshot) string {
	var msgs []string
	if s.HostIsLate() {
		msgs = append(msgs, s.HostLate.Reason)
	}
	failed := s.Host.Failed()
	parts := make([]string, 0, len(failed))
	for p, why := range failed {
		parts = append(parts, fmt.Sprintf("%s unavailable: %s", p, why))
	}
	sort.Strings(parts)
	return strings.Join(append(msgs, parts...), "\n")
}

func formatUptime(d time.Duration) string {
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m := d/time.Hour, (d%time.Hour)/time.Minute
	if days > 0 {
		return fmt.Sprintf("%dd %dh %dm", days, h, m)
	}
	if h > 0 {
		return fmt.Sprintf("%dh %dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}

// hostCharts is what the six host charts show for one snapshot.
type hostCharts struct {
	cpu, cores, mem, load, disk, net widgets.ChartData
}

// hostChartData turns a snapshot into chart data; a pure function of it.
func hostChartData(s *model.Snapshot) hostCharts {
	c := s.Charts
	note := func(p model.Part) string {
		if gap, ok := s.Host.Missing[p]; ok && !gap.Settling {
			return "unavailable"
		}
		return ""
	}
	series := func(names []string, vals ...[]float64) []widgets.Series {
		out := make([]widgets.Series, len(vals))
		for i, v := range vals {
			out[i] = widgets.Series{Name: names[i], Values: v, Color: colorOf(i)}
		}
		return out
	}
	var d hostCharts
	d.cpu = widgets.ChartData{Window: c.Window, Note: note(model.PartCPU),
		Series: series([]string{"total"}, c.CPU)}

	d.cores = coresChart(c.Window, c.PerCore, note(model.PartCPU))
	d.mem = memoryChart(c.Window, c.MemTotal, max(c.MemTotal, c.SwapTotal), c.MemUsed, c.MemFree, c.SwapUsed)
	d.mem.Note = note(model.PartMemory)
	d.load = widgets.ChartData{Window: c.Window, Note: note(model.PartLoad), Ref: float64(len(s.Host.CPUPerCorePercent)),
		Series: series([]string{"1m", "5m", "15m"}, c.Load1, c.Load5, c.Load15)}
	d.disk = widgets.ChartData{Window: c.Window, Note: note(model.PartDisk),
		Series: series([]string{"read", "write"}, c.DiskRead, c.DiskWrite)}
	d.net = widgets.ChartData{Window: c.Window, Note: note(model.PartNet),
		Series: series([]string{"rx", "tx"}, c.NetRx, c.NetTx)}
	// The live charts end at the snapshot's time: their axes get round
	// clock ticks, and a drag or click reaches into the store like a chart
	// of the past.
	for _, cd := range []*widgets.ChartData{&d.cpu, &d.cores, &d.mem, &d.load, &d.disk, &d.net} {
		cd.End = s.Time
	}
	return d
}

// coresChart is one line per core, named as the kernel names them; with
// more than four, the note names the busiest at the end instead of a label
// each.
func coresChart(window time.Duration, perCore [][]float64, note string) widgets.ChartData {
	cores := make([]widgets.Series, len(perCore))
	for i, v := range perCore {
		cores[i] = widgets.Series{Name: fmt.Sprintf("cpu%d", i), Values: v, Color: colorOf(i)}
	}
	d := widgets.ChartData{Window: window, Series: cores, Note: note}
	if len(cores) > 4 && d.Note == "" {
		busiest, at := -1, 0.0
		for i, s := range cores {
			if len(s.Values) == 0 {
				continue
			}
			if v := s.Values[len(s.Values)-1]; v == v && (busiest < 0 || v > at) {
				busiest, at = i, v
			}
		}
		d.Note = plural.Count(len(cores), "core")
		if busiest >= 0 {
			d.Note += fmt.Sprintf(", busiest cpu%d %.0f %%", busiest, at)
		}
	}
	return d
}

// memoryChart stacks memory used, cache and buffers (what the kernel gives
// back on demand: the rest of total, neither used nor free) and free, with
// swap used as a line, on a scale up to scale (the larger of memory and
// swap).
func memoryChart(window time.Duration, total, scale float64, used, free, swap []float64) widgets.ChartData {
	cache := make([]float64, len(used))
	for i := range used {
		cache[i] = math.NaN()
		if i < len(free) && total > 0 {
			cache[i] = max(0, total-used[i]-free[i]) // NaN stays NaN
		}
	}
	if len(free) != len(used) {
		free = nil
	}
	return memoryStack(window, scale, used, cache, free, swap)
}

// memoryStack is the memory chart of used, cache and free, stacked up to
// total, and swap.
func memoryStack(window time.Duration, total float64, used, cache, free, swap []float64) widgets.ChartData {
	return widgets.ChartData{Window: window, Max: total, Stack: 3, Series: []widgets.Series{
		{Name: "used", Values: used, Color: colorOf(0)},
		{Name: "cache", Values: cache, Color: colorOf(1)},
		{Name: "free", Values: free, Color: colorOf(2)},
		{Name: "swap", Values: swap, Color: colorOf(4)},
	}}
}
