package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// TestHistoryCommand writes a store the way the recorder does, then reads
// it with `horcrux history` as JSON, CSV and text, while the store is held
// open by a writer (the command reads a copy).
func TestHistoryCommand(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	dir, _ := history.DefaultDir()
	now := time.Now().Truncate(time.Second)
	st, err := history.Open(dir, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	from := now.Add(-10 * time.Minute)
	st.SeeItem(history.VMItem("u-1"), history.KindVM, "web", "qemu:///system", from)
	for i := range 300 { // five minutes, then a gap
		st.Add(history.VMItem("u-1"), history.MetricCPU, from.Add(time.Duration(i)*time.Second), float64(i%100))
	}
	st.Record(history.Event{Time: from.Add(time.Minute), Kind: history.EventVM, Action: "paused", Item: history.VMItem("u-1"), Name: "web"})
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}

	var out, errb bytes.Buffer
	if code := run([]string{"history", "--since", "15m", "--item", "web", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var doc historyDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var cpu *historySeries
	for i := range doc.Series {
		if doc.Series[i].Metric == history.MetricCPU {
			cpu = &doc.Series[i]
		}
	}
	if cpu == nil || cpu.Name != "web" || cpu.Tier != "1s" {
		t.Fatalf("series: %+v", doc.Series)
	}
	var n uint32
	var peak float64
	for _, p := range cpu.Points {
		n += p.Count
		if p.Max != nil {
			peak = max(peak, *p.Max)
		}
		if p.Count == 0 && p.Avg != nil {
			t.Fatalf("a gap with a value: %+v", p)
		}
	}
	if n != 300 || peak != 99 || len(cpu.Gaps) == 0 {
		t.Fatalf("%d samples, peak %v, gaps %v; want 300, 99, the last five minutes", n, peak, cpu.Gaps)
	}

	out.Reset()
	if code := run([]string{"history", "--since", "15m", "--events", "--csv"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), ",vm,paused,vm/u-1,web,") {
		t.Fatalf("events CSV:\n%s", out.String())
	}

	out.Reset()
	errb.Reset()
	if code := run([]string{"history", "--item", "nosuch"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), `no host, VM or container "nosuch"`) {
		t.Fatalf("unknown item: exit %d, %q", code, errb.String())
	}
}

func TestHistoryRange(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		since    time.Duration
		from, to string
		want     string // From..To, or the error's start
	}{
		{24 * time.Hour, "", "", "2026-11-29T12:00:00Z..2026-11-30T12:00:00Z"},
		{0, "", "", "--since 0s"},
		{time.Hour, "2026-11-30T03:00:00Z", "2026-11-30T04:00:00Z", "2026-11-30T03:00:00Z..2026-11-30T04:00:00Z"},
		{time.Hour, "2026-11-30T03:00:00Z", "", "2026-11-30T03:00:00Z..2026-11-30T12:00:00Z"},
		{time.Hour, "", "2026-11-30T04:00:00Z", "--to needs --from"},
		{time.Hour, "yesterday", "", "--from \"yesterday\""},
		{time.Hour, "2026-11-30T05:00:00Z", "2026-11-30T04:00:00Z", "--from 2026-11-30T05:00:00Z is not before"},
	} {
		r, err := historyRange(now, c.since, c.from, c.to)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = r.From.Format(time.RFC3339) + ".." + r.To.Format(time.RFC3339)
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("historyRange(%s, %q, %q) = %s, want %s", c.since, c.from, c.to, got, c.want)
		}
	}
}

// TestHistoryCommandMetric: --metric picks the host's per-core series and
// its memory split, recorded from snapshots, by name or pattern.
func TestHistoryCommandMetric(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	dir, _ := history.DefaultDir()
	now := time.Now().Truncate(time.Second)
	st, err := history.Open(dir, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		ts := now.Add(time.Duration(i-60) * time.Second)
		st.AddSnapshot(&model.Snapshot{Time: ts, Versions: model.Versions{Host: uint64(i + 1)}, Host: model.HostStats{
			Time: ts, Hostname: "box", CPUPercent: 30, CPUPerCorePercent: []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 11},
			MemTotal: 16 << 30, MemUsed: 6 << 30, MemFree: 2 << 30}})
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"history", "--since", "5m", "--item", "host", "--metric", "cpu[0-9]*_percent, mem_cache_bytes", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var doc historyDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	avg := map[string]float64{}
	for _, s := range doc.Series {
		got = append(got, s.Metric)
		for _, p := range s.Points {
			if p.Avg != nil {
				avg[s.Metric] = *p.Avg
			}
		}
	}
	want := "mem_cache_bytes cpu0_percent cpu1_percent cpu2_percent cpu3_percent cpu4_percent cpu5_percent cpu6_percent cpu7_percent cpu8_percent cpu9_percent cpu10_percent"
	if strings.Join(got, " ") != want {
		t.Fatalf("series %v\nwant %s", got, want)
	}
	if avg["cpu10_percent"] != 11 || avg["cpu9_percent"] != 100 || avg["mem_cache_bytes"] != 8<<30 {
		t.Errorf("averages %v; want cpu10 11, cpu9 100, cache 8 GiB", avg)
	}

	out.Reset()
	if code := run([]string{"history", "--since", "5m", "--item", "host", "--metric", "mem_free_bytes", "--csv"}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), ",host,box,mem_free_bytes,1s,1,2.14748e+09,") {
		t.Fatalf("exit %d, CSV:\n%s", code, out.String())
	}
	errb.Reset()
	if code := run([]string{"history", "--item", "host", "--metric", "nosuch"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "cpu3_percent") {
		t.Fatalf("unknown metric: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"history", "--metric", "cpu["}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--metric") {
		t.Fatalf("bad pattern: exit %d, %q", code, errb.String())
	}
}

// FuzzMetricFilter: any --metric either is refused or picks the names it
// spells out.
func FuzzMetricFilter(f *testing.F) {
	for _, s := range []string{"cpu_percent", "mem_*, cpu[0-9]*_percent", "cpu[", ",", " "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		pick, err := metricFilter(list)
		if err != nil {
			return
		}
		for _, name := range strings.Split(list, ",") {
			if name = strings.TrimSpace(name); !strings.ContainsAny(name, `*?[\`) && !pick(name) {
				t.Fatalf("--metric %q does not pick %q", list, name)
			}
		}
	})
}
