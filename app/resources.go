package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// row is one item of a resource tab with the host it is listed on.
type row[T any] struct {
	it    T
	host  int    // position of its host among the snapshot's sections
	where string // that host's address, for the Host column
}

// resourceKind is what the generic resource tab needs to know about one
// kind of item (machines, containers) and the sections that list them.
type resourceKind[S, T any] struct {
	hostTitle string                          // the Host column's title
	noun      string                          // what one item is called ("machine")
	table     string                          // the table's name in the preferences
	items     func(*S) []T                    // a section's items
	where     func(*S) string                 // a section's host address
	status    func(*S) (line string, ok bool) // one host's state line; ok when nothing needs attention
	id, name  func(*T) string                 // an item's stable ID and its name for people
	columns   []column[row[T]]                // the table, without the Host column
	charts    []chartSpec                     // the selected item's charts
	actions   []action[row[T]]                // the buttons
	sections  func(*model.Snapshot) ([]S, uint64)
	history   func(*model.Snapshot) (*model.ItemCharts, uint64)
	storeKey  func(id string) string // the item's key in the history store
}

// chartSpec is one chart of a selected item.
type chartSpec struct {
	title  string
	unit   widgets.Unit
	series func(*model.ItemCharts) []widgets.Series
	max    func(*model.ItemCharts) float64 // nil: scaled to the data
}

// rowsOf lists the items of every host.
func rowsOf[S, T any](k *resourceKind[S, T], secs []S) []row[T] {
	n := 0
	for i := range secs {
		n += len(k.items(&secs[i]))
	}
	rows := make([]row[T], 0, n)
	for i := range secs {
		where := k.where(&secs[i])
		for _, it := range k.items(&secs[i]) {
			rows = append(rows, row[T]{it: it, host: i, where: where})
		}
	}
	return rows
}

// statusOf is the text above the table, one line per host; ok is false
// when any host needs attention.
func statusOf[S, T any](k *resourceKind[S, T], secs []S) (text string, ok bool) {
	lines := make([]string, len(secs))
	ok = true
	for i := range secs {
		var fine bool
		lines[i], fine = k.status(&secs[i])
		ok = ok && fine
	}
	return strings.Join(lines, "\n"), ok
}

// columnsFor is the table's columns; with several hosts the first names the host.
func columnsFor[S, T any](k *resourceKind[S, T], hosts int) []column[row[T]] {
	if hosts < 2 {
		return k.columns
	}
	host := column[row[T]]{title: k.hostTitle, width: 150, text: func(r *row[T]) string { return r.where }}
	return append([]column[row[T]]{host}, k.columns...)
}

// chartData is what the charts show for one item's history; nil without one.
func chartData(specs []chartSpec, c *model.ItemCharts) []widgets.ChartData {
	if c == nil {
		return nil
	}
	out := make([]widgets.ChartData, len(specs))
	for i, s := range specs {
		out[i] = widgets.ChartData{Window: c.Window, Series: s.series(c)}
		if s.max != nil {
			out[i].Max = s.max(c)
		}
	}
	return out
}

// pair is a read/write or rx/tx pair of series.
func pair(a, b string, x, y []float64) []widgets.Series {
	return []widgets.Series{{Name: a, Values: x, Color: colorOf(0)}, {Name: b, Values: y, Color: colorOf(1)}}
}

// one is a single series.
func one(name string, v []float64, color int) []widgets.Series {
	return []widgets.Series{{Name: name, Values: v, Color: colorOf(color)}}
}

// resourceTab is a Machines or Containers tab: the generic view of one
// kind, brought up to date only with the parts of a snapshot it shows.
type resourceTab[S, T any] struct {
	*resourceView[row[T]]
	kind *resourceKind[S, T]

	hosts           int // columns are laid out for this many hosts
	listed, charted uint64
	fresh           bool // something was shown
	ok              bool // every host was fine at the last list
	// past, when it returns true, keeps the live charts off: the selected
	// item's charts show a stretch read from the history store.
	past func() bool
	// pastShown: the charts show the past, so the live ones are drawn
	// again as soon as past turns false.
	pastShown bool
	bar       *rangeBar // nil until the window adds one
}

func newResourceTab[S, T any](win fyne.Window, j *jobs, k *resourceKind[S, T], onSelect func(string)) *resourceTab[S, T] {
	charts := make([]*widgets.Chart, len(k.charts))
	for i, c := range k.charts {
		charts[i] = widgets.NewChart(c.title, c.unit)
	}
	key := func(r *row[T]) string { return model.ItemKey(r.host, k.id(&r.it)) }
	name := func(r *row[T]) string { return k.name(&r.it) }
	v := newResourceView(win, j, columnsFor(k, 1), key, name, k.actions, charts, onSelect)
	v.noun = k.noun
	// The columns hidden, shown and resized are remembered.
	prefs := fyne.CurrentApp().Preferences()
	v.table.layout = loadTableLayout(prefs, k.table)
	v.table.applyLayout()
	v.table.onLayout = func(l tableLayout) { saveTableLayout(prefs, k.table, l) }
	// The host is searchable ("host:far") even with one host and no Host column.
	v.table.fields = func(r *row[T]) []filterField { return []filterField{{"host", r.where}} }
	return &resourceTab[S, T]{resourceView: v, kind: k, hosts: 1}
}

// render shows s; it does nothing when neither the list nor the selected
// item's history changed since the last call. It runs on the UI goroutine.
func (t *resourceTab[S, T]) render(s *model.Snapshot) {
	secs, listed := t.kind.sections(s)
	hist, charted := t.kind.history(s)
	live := t.past == nil || !t.past()
	if t.fresh && listed == t.listed && charted == t.charted && !(t.pastShown && live) {
		if !t.ok { // the retry countdown and the silence go on
			if text, _ := statusOf(t.kind, secs); text != t.state.Text {
				t.state.SetText(text)
				t.root.Refresh()
			}
		}
		return
	}
	if !t.fresh || listed != t.listed {
		if n := max(len(secs), 1); n != t.hosts {
			t.hosts = n
			t.table.setColumns(columnsFor(t.kind, n))
		}
		text, ok := statusOf(t.kind, secs)
		t.ok = ok
		t.showList(ok, text, rowsOf(t.kind, secs))
	}
	if (!t.fresh || charted != t.charted || t.pastShown) && live {
		t.pastShown = false
		data := chartData(t.kind.charts, hist)
		for i := range data {
			data[i].End = s.Time // round clock ticks on the live charts too
		}
		t.showCharts(data)
	}
	t.listed, t.charted, t.fresh = listed, charted, true
}

// setRange puts bar above the charts, every chart zooming with onZoom.
func (t *resourceTab[S, T]) setRange(bar *rangeBar, onZoom func(from, to time.Time)) {
	t.bar = bar
	t.chartBar.Add(bar.box)
	for _, c := range t.charts {
		c.OnZoom = onZoom
	}
}

// lifecycle is a button acting on the selected row.
func lifecycle[T any](label string, icon fyne.Resource, confirm string, applies func(*T) bool, run func(context.Context, *T) error) action[T] {
	return action[T]{label: label, icon: icon, confirm: confirm, applies: applies, run: run}
}

// opening marks a as the action Enter runs; it opens something, so it acts
// on one item at a time.
func opening[T any](a action[T]) action[T] {
	a.opens, a.single = true, true
	return a
}

// oneAtATime marks a as acting on one item only: it opens something.
func oneAtATime[T any](a action[T]) action[T] {
	a.single = true
	return a
}

// removing marks a as the action Delete runs (after its confirm).
func removing[T any](a action[T]) action[T] {
	a.removes = true
	return a
}

// errHostGone is an action on a row whose host was removed meanwhile.
var errHostGone = errors.New("its host was removed in Settings")

// hostAt is the host at position i of the current list.
func hostAt[H any](hosts []H, i int) (H, error) {
	if i < 0 || i >= len(hosts) {
		var zero H
		return zero, errHostGone
	}
	return hosts[i], nil
}
