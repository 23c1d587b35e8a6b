package app

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// simDay records a day of host snapshots ending at now through the real
// store: one a minute, then one a second for the last quarter hour. CPU is
// 10 plus the hours since the start; four cores at 0, 10, 20, 30 %; memory
// 8 GiB of which 2 used, 1 free and so 5 cache.
func simDay(t *testing.T, st *history.Store, now time.Time) time.Time {
	start := now.Add(-24 * time.Hour).Truncate(time.Minute)
	v := uint64(0)
	for ts := start; ts.Before(now); {
		v++
		st.AddSnapshot(&model.Snapshot{Time: ts, Versions: model.Versions{Host: v}, Host: model.HostStats{Time: ts,
			CPUPercent: 10 + ts.Sub(start).Hours(), CPUPerCorePercent: []float64{0, 10, 20, 30},
			MemTotal: 8 << 30, MemUsed: 2 << 30, MemFree: 1 << 30}})
		if now.Sub(ts) > 15*time.Minute {
			ts = ts.Add(time.Minute)
		} else {
			ts = ts.Add(time.Second)
		}
	}
	return start
}

// readCSV parses an export into its header and rows by column name.
func readCSV(t *testing.T, b []byte) (head []string, rows []map[string]string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("CSV: %v, %d records:\n%s", err, len(recs), b)
	}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = r[i]
		}
		rows = append(rows, m)
	}
	return recs[0], rows
}

// TestExportShownRange: Export CSV writes the range the charts show, read
// from the store at the tier shown: a day at 30 min with avg, min, max and
// count, a zoomed range at 1 min, a live 10 min at 1 s with one value a
// series; every host series (each core, the memory split) is a column.
func TestExportShownRange(t *testing.T) {
	st := openStore(t)
	now := time.Now()
	start := simDay(t, st, now)
	w := testWindow(t)
	w.history = st
	w.tabs.SelectIndex(int(tabHost))
	w.apply(fakeSnapshot(4, nil))

	export := func() (time.Time, time.Time, []string, []map[string]string) {
		t.Helper()
		from, to, points := w.shownRange(now)
		var b bytes.Buffer
		if err := writeRangeCSV(&b, st, from, to, points); err != nil {
			t.Fatal(err)
		}
		head, rows := readCSV(t, b.Bytes())
		return from, to, head, rows
	}
	at := func(row map[string]string) time.Time {
		ts, err := time.Parse(time.RFC3339, row["time"])
		if err != nil {
			t.Fatalf("row time %q: %v", row["time"], err)
		}
		return ts
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("cell %q: %v", s, err)
		}
		return v
	}

	// The 24 h window: 30 min buckets, every one summarised.
	w.host.bar.chooser.SetSelected("24 h")
	w.jobs.wg.Wait()
	from, to, head, rows := export()
	if !to.Equal(now) || to.Sub(from) != 24*time.Hour {
		t.Fatalf("24 h range %v to %v", from, to)
	}
	for _, c := range []string{"cpu_percent_avg", "cpu_percent_min", "cpu_percent_max", "cpu_percent_count", "cpu3_percent_avg", "mem_cache_bytes_avg", "mem_free_bytes_max"} {
		if !strings.Contains(","+strings.Join(head, ",")+",", ","+c+",") {
			t.Errorf("24 h export lacks column %s: %v", c, head)
		}
	}
	halves := int((to.Unix() - from.Truncate(30*time.Minute).Unix() + 1799) / 1800) // 49 but on the half hour
	if len(rows) != halves || at(rows[0]).After(from) || !at(rows[len(rows)-1]).Before(to) || at(rows[1]).Sub(at(rows[0])) != 30*time.Minute {
		t.Fatalf("24 h export: %d rows from %s to %s", len(rows), rows[0]["time"], rows[len(rows)-1]["time"])
	}
	mid := rows[24] // a full half hour: 30 one-minute samples
	if num(mid["cpu_percent_count"]) != 30 || num(mid["cpu_percent_max"])-num(mid["cpu_percent_min"]) < 0.4 {
		t.Errorf("a half hour: %v", mid)
	}
	if got, want := num(mid["cpu_percent_avg"]), 10+at(mid).Add(15*time.Minute).Sub(start).Hours(); math.Abs(got-want) > 0.1 {
		t.Errorf("a half hour averages %v, want %v", got, want)
	}
	if num(mid["mem_cache_bytes_avg"]) != 5<<30 || num(mid["cpu3_percent_max"]) != 30 {
		t.Errorf("cache %s, cpu3 max %s", mid["mem_cache_bytes_avg"], mid["cpu3_percent_max"])
	}

	// A range dragged across a chart: 1 min buckets of that range only.
	zf, zt := now.Add(-3*time.Hour), now.Add(-time.Hour)
	w.zoomPast(zf, zt)
	w.jobs.wg.Wait()
	from, to, _, rows = export()
	// Every minute the range touches, the first one from its start.
	minutes := int((zt.Unix() - zf.Truncate(time.Minute).Unix() + 59) / 60)
	if !from.Equal(zf) || !to.Equal(zt) || len(rows) != minutes || at(rows[0]).After(zf) || !at(rows[len(rows)-1]).Before(zt) {
		t.Fatalf("zoomed export %v to %v: %d rows from %s to %s", from, to, len(rows), rows[0]["time"], rows[len(rows)-1]["time"])
	}
	if r := rows[60]; num(r["cpu_percent_count"]) != 1 || num(r["mem_free_bytes_avg"]) != 1<<30 || num(r["cpu1_percent_min"]) != 10 {
		t.Errorf("a zoomed minute: %v", r)
	}
	if name := rangeFileName(from, to); name != "horcrux-host-"+zf.Local().Format("20060102-150405")+"-to-"+zt.Local().Format("20060102-150405")+".csv" {
		t.Errorf("file name %q does not say the range", name)
	}

	// The live 10 min: every second, one value a series.
	w.host.bar.chooser.SetSelected("10 min")
	from, to, head, rows = export()
	if to.Sub(from) != 10*time.Minute || len(rows) != 600 || head[1] != "cpu_percent" || strings.Contains(strings.Join(head, ","), "_avg") {
		t.Fatalf("live 10 min: %v to %v, %d rows, head %v", from, to, len(rows), head)
	}
	last := rows[len(rows)-2] // the newest whole second
	if last["cpu_percent"] == "" || num(last["cpu2_percent"]) != 20 || num(last["mem_bytes"]) != 2<<30 {
		t.Errorf("the latest second: %v", last)
	}
}
