package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// startHistory opens the history store and records every snapshot handed to
// the returned function, after passing it on to next. Without a store (in
// use by another Horcrux, unwritable) it says why on stderr and returns
// next alone and a nil store: Horcrux runs on without history. stop writes what is
// buffered and closes the store.
func startHistory(stderr io.Writer, next func(*model.Snapshot)) (onUpdate func(*model.Snapshot), st *history.Store, stop func()) {
	dir, err := history.DefaultDir()
	if err == nil {
		st, err = history.Open(dir, history.Options{})
	}
	if err != nil {
		fmt.Fprintln(stderr, "horcrux: history:", err)
		return next, nil, func() {}
	}
	if n := st.Notice(); n != "" {
		fmt.Fprintln(stderr, "horcrux: history:", n)
	}
	rec := history.NewRecorder(st)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	return func(s *model.Snapshot) {
			if next != nil {
				next(s)
			}
			rec.Update(s)
		}, st, func() {
			cancel()
			<-done
		}
}

// historyPoints is how many buckets `horcrux history` asks for per series
// by default: a wide terminal chart's worth.
const historyPoints = 1000

// historyDoc is the JSON `horcrux history --json` prints (see README).
type historyDoc struct {
	From   time.Time       `json:"from"`
	To     time.Time       `json:"to"`
	Store  string          `json:"store"`
	Series []historySeries `json:"series"`
	Events []history.Event `json:"events,omitempty"`
}

type historySeries struct {
	Item   string          `json:"item"`
	Kind   history.Kind    `json:"kind"`
	Name   string          `json:"name"`
	Metric string          `json:"metric"`
	Tier   string          `json:"tier"`
	Step   float64         `json:"step_seconds"`
	Points []historyPoint  `json:"points"`
	Gaps   []history.Range `json:"gaps"`
}

// historyPoint is one bucket; a gap has count 0 and null figures.
type historyPoint struct {
	Time  time.Time `json:"time"`
	Count uint32    `json:"count"`
	Min   *float64  `json:"min"`
	Max   *float64  `json:"max"`
	Avg   *float64  `json:"avg"`
}

func runHistory(g globals, args []string, stdout, stderr io.Writer) int {
	var since *time.Duration
	var from, to, item, metric *string
	var events, asJSON, asCSV *bool
	var points *int
	fs, code, ok := subcommand("history", &g, args, stderr, func(fs *flag.FlagSet) {
		since = fs.Duration("since", 24*time.Hour, "show the last `DURATION` (24h, 7d as 168h)")
		from = fs.String("from", "", "start `TIME` (RFC 3339, e.g. 2026-11-30T03:00:00Z); with --to instead of --since")
		to = fs.String("to", "", "end `TIME` (RFC 3339); now when only --from is given")
		item = fs.String("item", "", "only the host (\"host\") or the VM or container of this `NAME`, UUID or ID")
		metric = fs.String("metric", "", "only the series named by these comma-separated `METRICS` or patterns (cpu_percent, mem_*, cpu[0-9]*_percent: every core)")
		events = fs.Bool("events", false, "print the events of the range instead of the series")
		asJSON = fs.Bool("json", false, "print JSON (the documented shape)")
		asCSV = fs.Bool("csv", false, "print CSV: one row per bucket (or per event with --events)")
		points = fs.Int("points", historyPoints, "at most `N` buckets per series (the tier that fits is used)")
	})
	if !ok {
		return code
	}
	fail := func(code int, err error) int { fmt.Fprintln(stderr, "horcrux history:", err); return code }
	if fs.NArg() > 0 {
		return fail(2, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	pick, err := metricFilter(*metric)
	if err != nil {
		return fail(2, err)
	}
	if *asJSON && *asCSV {
		return fail(2, errors.New("--json and --csv: choose one"))
	}
	rng, err := historyRange(time.Now(), *since, *from, *to)
	if err != nil {
		return fail(2, err)
	}
	dir, err := history.DefaultDir()
	if err != nil {
		return fail(1, err)
	}
	st, cleanup, err := history.OpenReader(dir)
	if err != nil {
		return fail(1, err)
	}
	defer cleanup()
	defer st.Close()
	doc := historyDoc{From: rng.From, To: rng.To, Store: dir}
	items, err := pickItems(st.Items(), *item)
	if err != nil {
		return fail(1, err)
	}
	if *events {
		evs, err := st.Events(rng.From, rng.To)
		if err != nil {
			return fail(1, err)
		}
		for _, e := range evs {
			if *item == "" || e.Item == items[0].Key || e.Kind == history.EventHorcrux {
				doc.Events = append(doc.Events, e)
			}
		}
	} else {
		for _, it := range items {
			for _, m := range st.MetricsOf(it.Key, it.Kind) {
				if !pick(m) {
					continue
				}
				sr, err := st.Read(history.Query{Item: it.Key, Metric: m, From: rng.From, To: rng.To, Points: *points})
				if err != nil {
					return fail(1, err)
				}
				doc.Series = append(doc.Series, toHistorySeries(it, sr))
			}
		}
		if len(doc.Series) == 0 && len(items) == 1 {
			return fail(1, fmt.Errorf("--metric %q names none of the series of %s: it has %s", *metric, items[0].Name,
				strings.Join(st.MetricsOf(items[0].Key, items[0].Kind), ", ")))
		}
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(doc)
	case *asCSV:
		err = writeHistoryCSV(stdout, doc, *events)
	default:
		err = writeHistoryText(stdout, doc, *events)
	}
	if err != nil {
		return fail(1, err)
	}
	return 0
}

// metricFilter is --metric: which series to print, by name or by a
// path.Match pattern, comma-separated; everything when empty.
func metricFilter(list string) (func(string) bool, error) {
	if strings.TrimSpace(list) == "" {
		return func(string) bool { return true }, nil
	}
	pats := strings.Split(list, ",")
	for i, p := range pats {
		pats[i] = strings.TrimSpace(p)
		if _, err := path.Match(pats[i], ""); err != nil || pats[i] == "" {
			return nil, fmt.Errorf("--metric %q: give metric names or patterns such as mem_* separated by commas", list)
		}
	}
	return func(m string) bool {
		for _, p := range pats {
			if ok, _ := path.Match(p, m); ok {
				return true
			}
		}
		return false
	}, nil
}

// historyRange turns the flags into a range.
func historyRange(now time.Time, since time.Duration, from, to string) (history.Range, error) {
	if from == "" && to != "" {
		return history.Range{}, errors.New("--to needs --from")
	}
	if from == "" {
		if since <= 0 {
			return history.Range{}, fmt.Errorf("--since %s: give a positive duration such as 24h", since)
		}
		return history.Range{From: now.Add(-since), To: now}, nil
	}
	f, err := time.Parse(time.RFC3339, from)
	if err != nil {
		return history.Range{}, fmt.Errorf("--from %q: give a time like 2026-11-30T03:00:00Z", from)
	}
	t := now
	if to != "" {
		if t, err = time.Parse(time.RFC3339, to); err != nil {
			return history.Range{}, fmt.Errorf("--to %q: give a time like 2026-11-30T04:00:00Z", to)
		}
	}
	if !t.After(f) {
		return history.Range{}, fmt.Errorf("--from %s is not before --to %s", from, to)
	}
	return history.Range{From: f, To: t}, nil
}

// pickItems is every item, or the one named by name, UUID or ID (a unique
// prefix of an ID will do).
func pickItems(all []history.Item, name string) ([]history.Item, error) {
	if name == "" {
		return all, nil
	}
	var hits []history.Item
	for _, it := range all {
		id := it.Key[strings.IndexByte(it.Key, '/')+1:]
		if it.Name == name || it.Key == name || id == name || (len(name) >= 6 && strings.HasPrefix(id, name)) {
			hits = append(hits, it)
		}
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("no host, VM or container %q in the history (horcrux history --json lists them)", name)
	case 1:
		return hits, nil
	}
	return nil, fmt.Errorf("%q names %d items (VMs or containers of that name over time): give its UUID or ID", name, len(hits))
}

func toHistorySeries(it history.Item, sr history.Series) historySeries {
	out := historySeries{Item: it.Key, Kind: it.Kind, Name: it.Name, Metric: sr.Metric, Tier: sr.Tier.String(),
		Step: sr.Step.Seconds(), Gaps: sr.Gaps, Points: make([]historyPoint, len(sr.Points))}
	if out.Gaps == nil {
		out.Gaps = []history.Range{}
	}
	for i, p := range sr.Points {
		hp := historyPoint{Time: p.Time, Count: p.Count}
		if p.Count > 0 {
			mn, mx, avg := p.Min, p.Max, p.Avg()
			hp.Min, hp.Max, hp.Avg = &mn, &mx, &avg
		}
		out.Points[i] = hp
	}
	return out
}

func num(p *float64) string {
	if p == nil || math.IsNaN(*p) {
		return ""
	}
	return strconv.FormatFloat(*p, 'g', 6, 64)
}

func writeHistoryCSV(w io.Writer, doc historyDoc, events bool) error {
	cw := csv.NewWriter(w)
	if events {
		cw.Write([]string{"time", "kind", "action", "item", "name", "detail", "exit_code"})
		for _, e := range doc.Events {
			code := ""
			if e.ExitCode != nil {
				code = strconv.Itoa(*e.ExitCode)
			}
			cw.Write([]string{e.Time.UTC().Format(time.RFC3339Nano), string(e.Kind), e.Action, e.Item, e.Name, e.Detail, code})
		}
	} else {
		cw.Write([]string{"time", "item", "name", "metric", "tier", "count", "min", "max", "avg"})
		for _, s := range doc.Series {
			for _, p := range s.Points {
				cw.Write([]string{p.Time.UTC().Format(time.RFC3339), s.Item, s.Name, s.Metric, s.Tier,
					strconv.FormatUint(uint64(p.Count), 10), num(p.Min), num(p.Max), num(p.Avg)})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeHistoryText prints a summary per series (the range's min, average,
// max and its gaps) or the events, one per line.
func writeHistoryText(w io.Writer, doc historyDoc, events bool) error {
	fmt.Fprintf(w, "history %s to %s (%s)\n", doc.From.Local().Format(time.DateTime), doc.To.Local().Format(time.DateTime), doc.Store)
	if events {
		for _, e := range doc.Events {
			line := fmt.Sprintf("%s  %-9s %-10s %s", e.Time.Local().Format(time.DateTime), e.Kind, e.Action, e.Name)
			if e.Detail != "" {
				line += "  (" + e.Detail + ")"
			}
			fmt.Fprintln(w, strings.TrimRight(line, " "))
		}
		if len(doc.Events) == 0 {
			fmt.Fprintln(w, "no events in this range")
		}
		return nil
	}
	for _, s := range doc.Series {
		var all history.Bucket
		for _, p := range s.Points {
			if p.Count > 0 {
				all = mergeSummary(all, p)
			}
		}
		if all.Count == 0 {
			fmt.Fprintf(w, "%-10s %-24s %-26s no samples\n", s.Kind, s.Name, s.Metric)
			continue
		}
		fmt.Fprintf(w, "%-10s %-24s %-26s min %-10s avg %-10s max %-10s %s buckets, %d gaps\n", s.Kind, s.Name, s.Metric,
			num(&all.Min), num(ptr(all.Avg())), num(&all.Max), s.Tier, len(s.Gaps))
	}
	return nil
}

func ptr(v float64) *float64 { return &v }

func mergeSummary(b history.Bucket, p historyPoint) history.Bucket {
	if b.Count == 0 || *p.Min < b.Min {
		b.Min = *p.Min
	}
	if b.Count == 0 || *p.Max > b.Max {
		b.Max = *p.Max
	}
	b.Sum += *p.Avg * float64(p.Count)
	b.Count += p.Count
	return b
}
