package app

import (
	"math"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// openStore is a history store of the test's own on the real clock.
func openStore(t *testing.T) *history.Store {
	t.Helper()
	st, err := history.Open(t.TempDir(), history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// measured counts the buckets with samples, each of which must show about
// want.
func measured(t *testing.T, values []float64, want float64) int {
	t.Helper()
	n := 0
	for _, v := range values {
		if v == v {
			n++
			if math.Abs(v-want) > 0.5 {
				t.Fatalf("a bucket shows %v, want %v", v, want)
			}
		}
	}
	return n
}

// TestReadPastHost reads a day of host history from a real store: values
// per bucket, the stretch without samples as a gap, events as markers.
func TestReadPastHost(t *testing.T) {
	end := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	now := end
	st, err := history.Open(t.TempDir(), history.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := end.Add(-24 * time.Hour)
	for ts := start; ts.Before(end); ts = ts.Add(time.Minute) {
		h := ts.Sub(start).Hours()
		if h >= 6 && h < 8 {
			continue // Horcrux was not running
		}
		now = ts
		st.Add(history.HostItem, history.MetricCPU, ts, 10+h)
		st.Add(history.HostItem, history.MetricLoad1, ts, 1)
		st.Add(history.HostItem, history.MetricMem, ts, 3<<30)
		st.Add(history.HostItem, history.MetricMemCache, ts, 4<<30)
		st.Add(history.HostItem, history.MetricMemFree, ts, 1<<30)
		for c := range 6 {
			st.Add(history.HostItem, history.MetricCore(c), ts, float64(10*c))
		}
	}
	now = end
	st.Record(history.Event{Time: start.Add(3 * time.Hour), Kind: history.EventVM, Action: "started", Name: "web"})
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}

	p, err := readPastHost(st, end, 24*time.Hour, 24, hostFacts{memTotal: 8 << 30, cores: 4})
	if err != nil {
		t.Fatal(err)
	}
	cpu := p.charts.cpu.Series[0].Values
	if len(cpu) != 24 {
		t.Fatalf("%d CPU buckets, want 24 (one an hour)", len(cpu))
	}
	for i, v := range cpu {
		switch {
		case i == 6 || i == 7:
			if !math.IsNaN(v) {
				t.Errorf("hour %d had no samples but shows %v", i, v)
			}
		case math.Abs(v-(10+float64(i)+59.0/120)) > 0.5:
			t.Errorf("hour %d averages %v, want about %v", i, v, 10.5+float64(i))
		}
	}
	if !p.charts.cpu.End.Equal(end) || p.charts.cpu.Window != 24*time.Hour {
		t.Errorf("chart covers %v up to %v", p.charts.cpu.Window, p.charts.cpu.End)
	}
	if len(p.events) != 1 || len(p.charts.load.Markers) != 1 || !p.charts.load.Markers[0].Equal(start.Add(3*time.Hour)) {
		t.Errorf("events %v, markers %v; want the VM start at 03:00", p.events, p.charts.load.Markers)
	}
	if p.charts.load.Ref != 4 || p.charts.mem.Max != 8<<30 {
		t.Errorf("load line at %v, memory scale %v", p.charts.load.Ref, p.charts.mem.Max)
	}
	// The zoomed charts show what the live ones do: each core, and memory
	// stacked as used, cache and free.
	cores := p.charts.cores
	if len(cores.Series) != 6 || cores.Series[5].Name != "cpu5" || cores.Series[5].Values[3] != 50 || !math.IsNaN(cores.Series[5].Values[6]) {
		t.Errorf("per-core chart %+v", cores.Series)
	}
	if !strings.HasPrefix(cores.Note, "6 cores, busiest cpu5") || len(cores.Markers) != 1 {
		t.Errorf("per-core note %q, markers %v", cores.Note, cores.Markers)
	}
	mem := p.charts.mem
	var names []string
	for _, s := range mem.Series {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "used,cache,free,swap" || mem.Stack != 3 || mem.Series[1].Values[0] != 4<<30 || mem.Series[2].Values[0] != 1<<30 {
		t.Errorf("memory chart: series %v, stack %d, first cache %v, free %v", names, mem.Stack, mem.Series[1].Values[0], mem.Series[2].Values[0])
	}

	// A store from before per-core figures were kept says so.
	empty, err := history.Open(t.TempDir(), history.Options{Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if p, err := readPastHost(empty, end, time.Hour, 60, hostFacts{}); err != nil || p.charts.cores.Note == "" {
		t.Errorf("no per-core history: note %q, %v", p.charts.cores.Note, err)
	}
}

// TestWindowShowsThePast: choosing 24 h reads the host charts from the
// store on a job; going back to 1 min shows the live charts again.
func TestWindowShowsThePast(t *testing.T) {
	st := openStore(t)
	now := time.Now()
	vm := history.VMItem("00000000-0000-4000-8000-000000000001")
	for ts := now.Add(-3 * time.Hour); ts.Before(now); ts = ts.Add(time.Minute) {
		st.Add(history.HostItem, history.MetricCPU, ts, 33)
		st.SeeItem(vm, history.KindVM, "web", "qemu:///system", ts)
		st.Add(vm, history.MetricCPU, ts, 12)
		st.Add(vm, history.MetricMem, ts, 1<<30)
	}
	st.Record(history.Event{Time: now.Add(-2 * time.Hour), Kind: history.EventVM, Action: "started", Item: vm, Name: "web"})
	w := testWindow(t)
	w.history = st
	w.tabs.SelectIndex(int(tabHost))
	w.apply(fakeSnapshot(2, nil))

	w.host.bar.chooser.SetSelected("24 h")
	w.jobs.wg.Wait() // the read; the test driver runs fyne.Do at once
	d := w.host.cpu.Data()
	if d.End.IsZero() || d.Window != 24*time.Hour || len(d.Series) != 1 {
		t.Fatalf("24 h chart: end %v, window %v, %d series", d.End, d.Window, len(d.Series))
	}
	seen := measured(t, d.Series[0].Values, 33)
	if seen == 0 || seen == len(d.Series[0].Values) {
		t.Errorf("%d of %d buckets measured, want the last 3 h only", seen, len(d.Series[0].Values))
	}
	if got := w.host.load.Data().Ref; got != 2 {
		t.Errorf("load line at %v, want the 2 cores", got)
	}
	if !w.host.bar.live.Visible() || !w.host.below.Visible() || !strings.Contains(w.host.events.Text, "vm started web") {
		t.Errorf("past mode: Live shown %v, events panel shown %v: %q", w.host.bar.live.Visible(), w.host.below.Visible(), w.host.events.Text)
	}
	if got := d.Markers; len(got) == 0 || !got[0].Equal(now.Add(-2*time.Hour)) {
		t.Errorf("markers %v, want the VM start first", got)
	}

	// A click on the charts names the busiest VMs then and the events around.
	w.host.cpu.OnTap(now.Add(-2*time.Hour + 5*time.Minute))
	w.jobs.wg.Wait()
	for _, want := range []string{"Most CPU:\n  vm web  12.0 %", "Most memory:\n  vm web  1 GiB", "vm started web"} {
		if !strings.Contains(w.host.moment.Text, want) {
			t.Errorf("moment %q lacks %q", w.host.moment.Text, want)
		}
	}

	// Dragging across a chart zooms into that range, which stays put.
	from, to := now.Add(-150*time.Minute), now.Add(-90*time.Minute)
	w.host.load.OnZoom(from, to)
	w.jobs.wg.Wait()
	if d := w.host.cpu.Data(); !d.End.Equal(to) || d.Window != time.Hour {
		t.Errorf("zoomed chart ends %v after %v, want %v after 1 h", d.End, d.Window, to)
	}
	w.host.pastAt = now.Add(-time.Hour)
	w.apply(hostTick(fakeSnapshot(2, nil)))
	if d := w.host.cpu.Data(); !d.End.Equal(to) {
		t.Errorf("a snapshot moved the zoomed range to %v", d.End)
	}
	test.Tap(w.host.bar.live)
	// The live charts end at the snapshot's time (fakeSnapshot's).
	liveEnd := fakeSnapshot(2, nil).Time
	if d := w.host.cpu.Data(); !d.End.Equal(liveEnd) || d.Window != time.Minute || w.host.below.Visible() {
		t.Errorf("Live: end %v, window %v, events panel shown %v", d.End, d.Window, w.host.below.Visible())
	}
	// A click on a live chart shows the moment too.
	w.host.cpu.OnTap(now.Add(-2*time.Hour + 5*time.Minute))
	w.jobs.wg.Wait()
	if !w.host.below.Visible() || !strings.Contains(w.host.moment.Text, "vm web") {
		t.Errorf("a click on a live chart: panel shown %v, %q", w.host.below.Visible(), w.host.moment.Text)
	}
	w.host.bar.chooser.SetSelected("24 h")
	w.jobs.wg.Wait()

	// A new snapshot does not replace the past with the live hour.
	w.apply(hostTick(fakeSnapshot(2, nil)))
	if w.host.cpu.Data().Window != 24*time.Hour {
		t.Error("a live snapshot replaced the 24 h chart")
	}

	w.host.bar.chooser.SetSelected("1 min")
	if d := w.host.cpu.Data(); !d.End.Equal(liveEnd) || d.Window != time.Minute {
		t.Errorf("back to 1 min: end %v, window %v", d.End, d.Window)
	}
}

// TestSelectedItemChartsNamed: a selected VM's charts are titled with its
// name, and a VM has a memory chart.
func TestSelectedItemChartsNamed(t *testing.T) {
	w := testWindow(t)
	machines := w.views[tabMachines].(withSessions).view.(*resourceTab[model.VMSection, model.Machine])
	w.tabs.SelectIndex(int(tabMachines))
	s := manyVMs(3)
	w.apply(s)
	machines.table.selectKey(model.ItemKey(0, "uuid-0001"))
	charted := *s
	charted.Versions.VMCharts++
	charted.VMCharts = &model.ItemCharts{ID: model.ItemKey(0, "uuid-0001"), Window: time.Minute,
		CPU: []float64{1, 2}, Mem: []float64{1 << 30, 1 << 30}, DiskRead: []float64{0, 0}, DiskWrite: []float64{0, 0},
		NetRx: []float64{0, 0}, NetTx: []float64{0, 0}}
	w.apply(&charted)
	var titles []string
	for _, c := range machines.charts {
		titles = append(titles, c.Title())
	}
	if got := strings.Join(titles, "|"); got != "vm-0001 · CPU (of one core)|vm-0001 · Memory|vm-0001 · Disk I/O|vm-0001 · Network I/O|vm-0001 · Guest filesystems (% used)" {
		t.Errorf("chart titles %q", got)
	}
	if d := machines.charts[1].Data(); len(d.Series) != 1 || d.Series[0].Values[1] != 1<<30 {
		t.Errorf("memory chart %+v", d)
	}
}

// TestSelectedVMShowsThePast: with the Host tab on 24 h, the selected VM's
// charts come from the store, titled with its name, and a live snapshot
// does not replace them.
func TestSelectedVMShowsThePast(t *testing.T) {
	st := openStore(t)
	now := time.Now()
	key := history.VMItem("uuid-0001")
	for ts := now.Add(-5 * time.Hour); ts.Before(now); ts = ts.Add(time.Minute) {
		st.Add(key, history.MetricCPU, ts, 42)
		st.Add(key, history.MetricMem, ts, 2<<30)
	}
	w := testWindow(t)
	w.history = st
	w.tabs.SelectIndex(int(tabHost))
	w.apply(manyVMs(3))
	w.host.bar.chooser.SetSelected("24 h")
	w.jobs.wg.Wait()

	w.tabs.SelectIndex(int(tabMachines))
	w.vmTab.table.selectKey(model.ItemKey(0, "uuid-0001"))
	w.renderVisible()
	w.jobs.wg.Wait()
	cpu := w.vmTab.charts[0].Data()
	if cpu.End.IsZero() || cpu.Window != 24*time.Hour || len(cpu.Series) != 1 {
		t.Fatalf("VM CPU chart: end %v, window %v, %d series", cpu.End, cpu.Window, len(cpu.Series))
	}
	if measured(t, cpu.Series[0].Values, 42) == 0 {
		t.Error("no recorded bucket shown")
	}
	if got := w.vmTab.charts[1].Title(); got != "vm-0001 · Memory" {
		t.Errorf("memory chart titled %q", got)
	}
	live := hostTick(manyVMs(3))
	live.Versions.VMCharts++
	live.VMCharts = &model.ItemCharts{ID: model.ItemKey(0, "uuid-0001"), Window: time.Minute, CPU: []float64{1, 2}}
	w.apply(live)
	if w.vmTab.charts[0].Data().Window != 24*time.Hour {
		t.Error("a live snapshot replaced the VM's 24 h chart")
	}
}

// TestSelectedVMZooms: the Machines tab has the window chooser and Live
// above the selected VM's charts; a window of the past, a range dragged
// across a VM chart and Live work there as on the Host tab, on the VM's
// own series and events, and the Host tab follows.
func TestSelectedVMZooms(t *testing.T) {
	st := openStore(t)
	now := time.Now()
	key := history.VMItem("uuid-0001")
	for ts := now.Add(-5 * time.Hour); ts.Before(now); ts = ts.Add(time.Minute) {
		v := 10.0
		if ts.Before(now.Add(-3 * time.Hour)) {
			v = 70
		}
		st.Add(key, history.MetricCPU, ts, v)
		st.Add(history.VMItem("uuid-0002"), history.MetricCPU, ts, 99)
	}
	started := now.Add(-3 * time.Hour)
	st.Record(history.Event{Time: started, Kind: history.EventVM, Action: "resumed", Item: key, Name: "vm-0001"})
	st.Record(history.Event{Time: now.Add(-4 * time.Hour), Kind: history.EventVM, Action: "started", Item: history.VMItem("uuid-0002"), Name: "vm-0002"})
	w := testWindow(t)
	w.history = st
	w.tabs.SelectIndex(int(tabMachines))
	w.apply(manyVMs(3))
	w.vmTab.table.selectKey(model.ItemKey(0, "uuid-0001"))
	live := hostTick(manyVMs(3))
	live.Versions.VMCharts++
	live.VMCharts = &model.ItemCharts{ID: model.ItemKey(0, "uuid-0001"), Window: time.Minute, CPU: []float64{1, 2}}
	w.apply(live)
	if !w.vmTab.detail.Visible() || w.vmTab.bar.live.Visible() || w.vmTab.charts[0].Data().Window != time.Minute {
		t.Fatalf("live VM charts: shown %v, Live shown %v", w.vmTab.detail.Visible(), w.vmTab.bar.live.Visible())
	}

	w.vmTab.bar.chooser.SetSelected("24 h")
	w.jobs.wg.Wait()
	cpu := w.vmTab.charts[0].Data()
	if cpu.Window != 24*time.Hour || cpu.End.IsZero() || !w.vmTab.bar.live.Visible() {
		t.Fatalf("24 h on the Machines tab: window %v, end %v, Live shown %v", cpu.Window, cpu.End, w.vmTab.bar.live.Visible())
	}
	if w.host.bar.chooser.Selected != "24 h" || w.ctTab.bar.chooser.Selected != "24 h" || !w.host.bar.live.Visible() || !w.ctTab.bar.live.Visible() {
		t.Errorf("the other bars show %q and %q", w.host.bar.chooser.Selected, w.ctTab.bar.chooser.Selected)
	}
	if len(cpu.Markers) != 1 || !cpu.Markers[0].Equal(started) {
		t.Errorf("markers %v, want the VM's own event only", cpu.Markers)
	}

	// A drag across the VM's CPU chart zooms into the busy hours.
	from, to := now.Add(-5*time.Hour), now.Add(-4*time.Hour)
	w.vmTab.charts[0].OnZoom(from, to)
	w.jobs.wg.Wait()
	cpu = w.vmTab.charts[0].Data()
	if !cpu.End.Equal(to) || cpu.Window != time.Hour {
		t.Fatalf("zoomed VM chart ends %v after %v, want %v after 1 h", cpu.End, cpu.Window, to)
	}
	seen := measured(t, cpu.Series[0].Values, 70)
	if seen == 0 || w.vmTab.bar.chooser.Selected != "24 h" {
		t.Errorf("%d buckets, chooser %q", seen, w.vmTab.bar.chooser.Selected)
	}
	// The Host tab shows the same range once shown (read then, not before).
	if w.host.cpu.Data().End.Equal(to) {
		t.Error("the host's range was read while the Machines tab was shown")
	}
	w.tabs.SelectIndex(int(tabHost))
	w.jobs.wg.Wait()
	if d := w.host.cpu.Data(); !d.End.Equal(to) || d.Window != time.Hour {
		t.Errorf("Host tab after the VM's zoom: ends %v after %v", d.End, d.Window)
	}
	w.tabs.SelectIndex(int(tabMachines))
	// Live goes back to the live charts, on every tab.
	test.Tap(w.vmTab.bar.live)
	if d := w.vmTab.charts[0].Data(); d.Window != time.Minute || w.vmTab.bar.live.Visible() || w.host.bar.live.Visible() {
		t.Errorf("Live: VM chart %v, Live still shown %v/%v", d.Window, w.vmTab.bar.live.Visible(), w.host.bar.live.Visible())
	}
}
