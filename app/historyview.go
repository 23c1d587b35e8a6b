package app

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// liveWindow is the longest window the collector's in-memory charts cover;
// longer windows are read from the history store.
const liveWindow = time.Hour

// collectorWindow is the window the collector keeps for a chosen one.
func collectorWindow(d time.Duration) time.Duration { return min(d, liveWindow) }

// historyReader is the part of the history store the past charts read.
type historyReader interface {
	Read(history.Query) (history.Series, error)
	Events(from, to time.Time) ([]history.Event, error)
	MetricsOf(key string, kind history.Kind) []string
}

// pastHost is what the host charts show for a stretch of the past.
type pastHost struct {
	charts hostCharts
	events []history.Event
}

// hostFacts are the figures of the live host the past charts are drawn
// against: the memory scale and the load's core-count line.
type hostFacts struct {
	memTotal float64 // the larger of memory and swap, as the live chart
	cores    int
}

// readPastHost reads the host's series for (end-window, end] from the store
// in at most points buckets each, with the events of that stretch as
// markers. Buckets without samples are gaps (NaN). It does file I/O: call
// it off the UI goroutine.
func readPastHost(h historyReader, end time.Time, window time.Duration, points int, facts hostFacts) (pastHost, error) {
	from := end.Add(-window)
	read := func(metric string) ([]float64, error) {
		sr, err := h.Read(history.Query{Item: history.HostItem, Metric: metric, From: from, To: end, Points: points})
		if err != nil {
			return nil, fmt.Errorf("reading the host's %s history: %w", metric, err)
		}
		return bucketValues(sr.Points), nil
	}
	metrics := h.MetricsOf(history.HostItem, history.KindHost)
	vals := make(map[string][]float64, len(metrics))
	var perCore [][]float64
	for _, m := range metrics {
		v, err := read(m)
		if err != nil {
			return pastHost{}, err
		}
		vals[m] = v
		if c, ok := history.CoreOf(m); ok {
			for len(perCore) <= c {
				perCore = append(perCore, nil) // a core never stored is an empty line
			}
			perCore[c] = v
		}
	}
	evs, err := h.Events(from, end)
	if err != nil {
		return pastHost{}, fmt.Errorf("reading the events of that time: %w", err)
	}
	marks := make([]time.Time, len(evs))
	for i, e := range evs {
		marks[i] = e.Time
	}
	series := func(names []string, ms ...string) []widgets.Series {
		out := make([]widgets.Series, len(ms))
		for i, m := range ms {
			out[i] = widgets.Series{Name: names[i], Values: vals[m], Color: colorOf(i)}
		}
		return out
	}
	chart := func(s []widgets.Series) widgets.ChartData {
		return widgets.ChartData{Window: window, End: end, Markers: marks, Series: s}
	}
	var p pastHost
	p.events = evs
	p.charts.cpu = chart(series([]string{"total"}, history.MetricCPU))
	note := ""
	if len(perCore) == 0 {
		note = "no per-core figures stored for this time"
	}
	p.charts.cores = coresChart(window, perCore, note)
	p.charts.cores.End, p.charts.cores.Markers = end, marks
	p.charts.mem = memoryStack(window, facts.memTotal, vals[history.MetricMem], vals[history.MetricMemCache],
		vals[history.MetricMemFree], vals[history.MetricSwap])
	p.charts.mem.End, p.charts.mem.Markers = end, marks
	p.charts.load = chart(series([]string{"1m", "5m", "15m"}, history.MetricLoad1, history.MetricLoad5, history.MetricLoad15))
	p.charts.load.Ref = float64(facts.cores)
	p.charts.disk = chart(series([]string{"read", "write"}, history.MetricDiskRead, history.MetricDiskWrite))
	p.charts.net = chart(series([]string{"rx", "tx"}, history.MetricNetRx, history.MetricNetTx))
	return p, nil
}

// bucketValues is each bucket's average, NaN where nothing was sampled so
// the chart draws a gap.
func bucketValues(pts []history.Point) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = math.NaN()
		if p.Count > 0 {
			out[i] = p.Avg()
		}
	}
	return out
}

// momentReader is the part of the history store a clicked moment reads.
type momentReader interface {
	historyReader
	Top(at time.Time, n int) (byCPU, byMem []history.Ranked, err error)
}

// momentAround is how far either side of a clicked moment its events go.
const momentAround = 10 * time.Minute

// describeMoment says, in lines, which five VMs and containers used the
// most CPU and memory at a moment and what happened around it. It does
// file I/O: call it off the UI goroutine.
func describeMoment(h momentReader, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "At %s\n", at.Local().Format("Jan 2 15:04:05"))
	byCPU, byMem, err := h.Top(at, 5)
	if err != nil {
		fmt.Fprintf(&b, "The top VMs and containers could not be read: %v\n", err)
	} else {
		rank := func(title string, rs []history.Ranked, unit widgets.Unit) {
			b.WriteString(title + ":")
			if len(rs) == 0 {
				b.WriteString(" none recorded")
			}
			b.WriteString("\n")
			for _, r := range rs {
				fmt.Fprintf(&b, "  %s %s  %s (peak %s)\n", r.Item.Kind, r.Item.Name, unit.Format(r.Value), unit.Format(r.Peak))
			}
		}
		rank("Most CPU", byCPU, widgets.UnitPercent)
		rank("Most memory", byMem, widgets.UnitBytes)
	}
	evs, err := h.Events(at.Add(-momentAround), at.Add(momentAround))
	switch {
	case err != nil:
		fmt.Fprintf(&b, "The events around it could not be read: %v\n", err)
	case len(evs) == 0:
		fmt.Fprintf(&b, "No events within %s.\n", windowLabel(momentAround))
	default:
		fmt.Fprintf(&b, "Events within %s:\n", windowLabel(momentAround))
		b.WriteString(eventLines(evs, "  "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// eventLines lists events one a line, oldest first.
func eventLines(evs []history.Event, indent string) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%s%s  %s %s", indent, e.Time.Local().Format("Jan 2 15:04:05"), e.Kind, e.Action)
		if e.Name != "" {
			b.WriteString(" " + e.Name)
		}
		if e.ExitCode != nil {
			fmt.Fprintf(&b, " (exit %d)", *e.ExitCode)
		}
		if e.Detail != "" {
			b.WriteString(": " + e.Detail)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// readPastItem reads one VM's or container's series for (end-window, end]
// into the live charts' shape, with the item's events as markers. It does
// file I/O: call it off the UI goroutine.
func readPastItem(h historyReader, key string, specs []chartSpec, end time.Time, window time.Duration, points int) ([]widgets.ChartData, error) {
	from := end.Add(-window)
	ic := &model.ItemCharts{ID: key, Window: window}
	for _, m := range []struct {
		metric string
		dst    *[]float64
	}{
		{history.MetricCPU, &ic.CPU}, {history.MetricMem, &ic.Mem},
		{history.MetricDiskRead, &ic.DiskRead}, {history.MetricDiskWrite, &ic.DiskWrite},
		{history.MetricNetRx, &ic.NetRx}, {history.MetricNetTx, &ic.NetTx},
	} {
		sr, err := h.Read(history.Query{Item: key, Metric: m.metric, From: from, To: end, Points: points})
		if err != nil {
			return nil, fmt.Errorf("reading the %s history of %s: %w", m.metric, key, err)
		}
		*m.dst = bucketValues(sr.Points)
	}
	evs, err := h.Events(from, end)
	if err != nil {
		return nil, fmt.Errorf("reading the events of that time: %w", err)
	}
	var marks []time.Time
	for _, e := range evs {
		if e.Item == key {
			marks = append(marks, e.Time)
		}
	}
	out := chartData(specs, ic)
	for i := range out {
		out[i].End, out[i].Markers = end, marks
	}
	return out, nil
}

// pastItem is what a resource tab's charts of the past were last read for.
type pastItem struct {
	key    string // store key of the selected item; "" while live
	end    time.Time
	window time.Duration
	at     time.Time // when it was read
}

// syncPastItem keeps a tab's selected item's charts on the window's chart
// range while it shows the past (24 h and longer, or a range zoomed into on
// any chart): it reads them on a job when the item or the range changed, or
// a live-ending range is due for a refresh.
func syncPastItem[S, T any](w *window, t *resourceTab[S, T], p *pastItem) {
	r, selected := t.table.selectedItem()
	if w.history == nil || !w.host.past() || !selected {
		p.key = ""
		return
	}
	key := t.kind.storeKey(t.kind.id(&r.it))
	d, end, now := w.host.window, w.host.zoomEnd, time.Now()
	live := end.IsZero()
	if live {
		end = now
	}
	if key == p.key && d == p.window && (live && now.Sub(p.at) < pastRefresh(d) || !live && end.Equal(p.end)) {
		return
	}
	*p = pastItem{key: key, end: end, window: d, at: now}
	want := *p
	h, specs := w.history, t.kind.charts
	w.jobs.Go(func(context.Context) {
		data, err := readPastItem(h, key, specs, end, d, pastPoints)
		fyne.Do(func() {
			if *p != want {
				return // another item or range was asked for since
			}
			if err != nil {
				data = make([]widgets.ChartData, len(specs))
				for i := range data {
					data[i].Note = "history unavailable: " + err.Error()
				}
			}
			t.showCharts(data)
			t.pastShown = true
		})
	})
}
