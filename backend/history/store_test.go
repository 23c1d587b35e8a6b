package history

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openSim(t testing.TB, dir string, clk *simClock) *Store {
	t.Helper()
	st, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestYear writes a simulated year for the host, VMs and containers and
// reads it back at every tier: values, extremes (the hourly 1 s spike),
// gaps, items, events and the top five.
func TestYear(t *testing.T) {
	vms, cts := 100, 50
	if raceOn || testing.Short() {
		vms, cts = 4, 2
	}
	dir := t.TempDir()
	clk := &simClock{t: simEpoch.Add(-365 * 24 * time.Hour)}
	st := openSim(t, dir, clk)
	fillYear(st, clk, vms, cts)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openSim(t, dir, clk) // read it cold, as another process would
	defer st.Close()
	end := simEpoch

	// 1 s tier: the last hour exactly as sampled (to the quantisation).
	sr, err := st.Read(Query{Item: VMItem(simUUID(1)), Metric: MetricCPU, From: end.Add(-time.Hour), To: end})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Tier != Second || len(sr.Points) != 3600 || len(sr.Gaps) != 0 {
		t.Fatalf("last hour: tier %v, %d points, gaps %v; want 1s, 3600, none", sr.Tier, len(sr.Points), sr.Gaps)
	}
	for _, p := range sr.Points {
		want := simValue(2, MetricCPU, p.Time.Unix())
		if p.Count != 1 || math.Abs(p.Avg()-want) > 110.0/quantSteps {
			t.Fatalf("%s: %+v, want one sample of %v", p.Time, p.Bucket, want)
		}
	}

	// 1 min tier: 30 days, the ten-minute gap kept as a gap.
	sr, err = st.Read(Query{Item: HostItem, Metric: MetricCPU, From: end.Add(-30 * 24 * time.Hour), To: end.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Tier != Minute {
		t.Fatalf("30 days unmerged: tier %v, want 1m", sr.Tier)
	}
	gapFrom := end.Add(-3 * 24 * time.Hour)
	if len(sr.Gaps) != 1 || !sr.Gaps[0].From.Equal(gapFrom) || sr.Gaps[0].To.Sub(sr.Gaps[0].From) != 10*time.Minute {
		t.Fatalf("gaps %v, want one of 10 min at %s", sr.Gaps, gapFrom)
	}
	for _, p := range sr.Points {
		if p.Count == 0 {
			continue
		}
		want := simMinute(0, MetricCPU, p.Time.Unix()/60)
		if p.Count != 60 || math.Abs(p.Max-want.Max) > 110.0*spreadStep/quantSteps || math.Abs(p.Min-want.Min) > 110.0*spreadStep/quantSteps {
			t.Fatalf("%s: %+v, want %+v", p.Time, p.Bucket, want)
		}
	}

	// 30 min tier: a year in 1000 points; every hour's 1 s spike survives
	// as the max, and the day-long gap is a gap, not a line.
	sr, err = st.Read(Query{Item: HostItem, Metric: MetricCPU, From: end.Add(-365 * 24 * time.Hour), To: end, Points: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Tier != HalfHour || len(sr.Points) > 1000 {
		t.Fatalf("a year: tier %v, %d points; want 30m, <= 1000", sr.Tier, len(sr.Points))
	}
	gaps := 0
	for _, p := range sr.Points {
		if p.Count == 0 {
			gaps++
			continue
		}
		if p.Max < 100 {
			t.Fatalf("%s: max %v, the hourly spike of 100 is lost", p.Time, p.Max)
		}
		if p.Min > 40 {
			t.Fatalf("%s: min %v, want the quiet level (< 40)", p.Time, p.Min)
		}
	}
	if gaps == 0 || len(sr.Gaps) == 0 {
		t.Fatal("the day without Horcrux is not a gap at the year zoom")
	}

	// The spike of the last hour, a single second, at the 30 min tier.
	sr, err = st.Read(Query{Item: HostItem, Metric: MetricCPU, From: end.Add(-time.Hour), To: end, Points: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Tier != HalfHour || sr.Points[0].Max < 100 || sr.Points[0].Count != 1800 {
		t.Fatalf("last hour at 30 min: %+v, want a full bucket with the 1 s spike as max", sr.Points)
	}

	// Items: all kept with their names; events: started and stopped.
	if got := len(st.Items()); got != 1+vms+cts {
		t.Fatalf("%d items, want %d", got, 1+vms+cts)
	}
	evs, err := st.Events(end.Add(-time.Hour), end.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		if e.Kind == EventHorcrux {
			actions = append(actions, e.Action)
		}
	}
	if strings.Join(actions, ",") != "stopped,started" {
		t.Fatalf("horcrux events %v, want stopped,started", actions)
	}

	// Top five at a moment of the last hour.
	at := end.Add(-30 * time.Minute)
	byCPU, byMem, err := st.Top(at, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(byCPU) != min(5, vms+cts) || len(byMem) != min(5, vms+cts) {
		t.Fatalf("top: %d by CPU, %d by memory", len(byCPU), len(byMem))
	}
	for i := 1; i < len(byCPU); i++ {
		if byCPU[i].Value > byCPU[i-1].Value {
			t.Fatalf("top by CPU not sorted: %+v", byCPU)
		}
	}
}

func TestReopenKeepsFillingChunk(t *testing.T) {
	dir := t.TempDir()
	clk := &simClock{t: simEpoch}
	t0 := simEpoch
	st := openSim(t, dir, clk)
	for i := range 90 {
		clk.Set(t0.Add(time.Duration(i) * time.Second))
		st.Add(HostItem, MetricCPU, clk.Now(), float64(i))
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Restarted 20 s later within the same minute, hour and day.
	st = openSim(t, dir, clk)
	defer st.Close()
	for i := 110; i < 120; i++ {
		clk.Set(t0.Add(time.Duration(i) * time.Second))
		st.Add(HostItem, MetricCPU, clk.Now(), float64(i))
	}
	sr, err := st.Read(Query{Item: HostItem, Metric: MetricCPU, From: t0, To: t0.Add(2 * time.Minute), Points: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Tier != Minute || sr.Points[0].Count != 60 || sr.Points[1].Count != 40 || sr.Points[1].Max != 119 || math.Abs(sr.Points[1].Min-60) > 120.0*spreadStep/quantSteps {
		t.Fatalf("minutes after a restart: %+v", sr.Points)
	}
	sr, _ = st.Read(Query{Item: HostItem, Metric: MetricCPU, From: t0, To: t0.Add(2 * time.Minute)})
	if len(sr.Gaps) != 1 || sr.Gaps[0].From != t0.Add(90*time.Second) || sr.Gaps[0].To != t0.Add(110*time.Second) {
		t.Fatalf("gaps %v, want the 20 s restart", sr.Gaps)
	}
}

func TestSecondProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = Open(dir, Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "runs without history") {
		t.Fatalf("second open: %v, want ErrInUse saying it runs without history", err)
	}
}

func TestDamagedFileMovedAside(t *testing.T) {
	for name, damage := range map[string]func(path string){
		"garbage": func(p string) { os.WriteFile(p, []byte(strings.Repeat("not a store ", 2000)), 0o600) },
		"meta pages": func(p string) {
			f, _ := os.OpenFile(p, os.O_RDWR, 0)
			f.WriteAt(make([]byte, 8192), 0)
			f.Close()
		},
		"truncated": func(p string) { os.Truncate(p, 100) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			clk := &simClock{t: simEpoch}
			st := openSim(t, dir, clk)
			st.Add(HostItem, MetricCPU, simEpoch, 1)
			st.Close()
			damage(filepath.Join(dir, FileName))
			st, err := Open(dir, Options{Now: clk.Now})
			if err != nil {
				t.Fatalf("open after damage: %v", err)
			}
			defer st.Close()
			if !strings.Contains(st.Notice(), "damaged") || !strings.Contains(st.Notice(), "moved to") {
				t.Fatalf("notice %q, want it to say the file was damaged and moved", st.Notice())
			}
			aside, _ := filepath.Glob(filepath.Join(dir, FileName+".damaged-*"))
			if len(aside) != 1 {
				t.Fatalf("files moved aside: %v", aside)
			}
			st.Add(HostItem, MetricCPU, simEpoch.Add(time.Second), 2)
			if err := st.Flush(); err != nil {
				t.Fatalf("the new store does not write: %v", err)
			}
		})
	}
}

func TestNewerVersionMovedAside(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket(bucketMeta)
		return b.Put(keyVersion, []byte("99"))
	})
	db.Close()
	st, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !strings.Contains(st.Notice(), "newer Horcrux") {
		t.Fatalf("notice %q, want it to name a newer Horcrux", st.Notice())
	}
	if aside, _ := filepath.Glob(filepath.Join(dir, FileName+".newer-*")); len(aside) != 1 {
		t.Fatalf("files moved aside: %v", aside)
	}
}

func TestOneCommitPerMinute(t *testing.T) {
	dir := t.TempDir()
	clk := &simClock{t: simEpoch}
	st := openSim(t, dir, clk)
	defer st.Close()
	for i := range 600 {
		now := simEpoch.Add(time.Duration(i) * time.Second)
		clk.Set(now)
		st.AddSnapshot(simSnapshot(now, 3, 2))
		if err := st.Tick(now); err != nil {
			t.Fatal(err)
		}
	}
	// Ten minutes of samples: ten commits (one may fall either side).
	if n := st.commits; n < 9 || n > 11 {
		t.Fatalf("%d commits for 10 minutes of samples", n)
	}
}

// TestDamagedWhileOpen damages the file under an open store: reads and the
// next write return an error saying so instead of panicking.
func TestDamagedWhileOpen(t *testing.T) {
	dir := t.TempDir()
	clk := &simClock{t: simEpoch}
	st := openSim(t, dir, clk)
	for i := range 120 {
		st.Add(HostItem, MetricCPU, simEpoch.Add(time.Duration(i)*time.Second), float64(i))
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	page := int64(os.Getpagesize())
	f.WriteAt([]byte(strings.Repeat("\xff", int(fi.Size()-2*page))), 2*page)
	f.Close()
	_, err = st.Read(Query{Item: HostItem, Metric: MetricCPU, From: simEpoch, To: simEpoch.Add(time.Hour), Points: 2})
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("read of a damaged file: %v, want an error saying it is damaged", err)
	}
	st.db.Close() // Close would try to write into the damaged file
}

// TestDayChunksBesideWeekChunks: a store written when 30 min chunks were a
// day long reads on with week-long ones: the old day's buckets and the new
// week's both show, neither blanks the other.
func TestDayChunksBesideWeekChunks(t *testing.T) {
	dir := t.TempDir()
	week := HalfHour.chunkStart(simEpoch.Unix())
	clk := &simClock{t: time.Unix(week, 0).Add(3 * 24 * time.Hour)} // Thursday of that chunk's week
	st := openSim(t, dir, clk)
	defer st.Close()
	// Today's samples go into the week's chunk.
	for range 3600 {
		at := clk.Now().Add(time.Second)
		clk.Set(at)
		st.Add(HostItem, MetricCPU, at, 50)
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	// Monday's buckets as a day-long chunk of the old layout.
	day := make([]Bucket, 48)
	for i := range day {
		day[i] = Bucket{Min: 10, Max: 10, Sum: 10 * 1800, Count: 1800}
	}
	monday := week + 24*3600
	err := st.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(tierBuckets[HalfHour]).Put(chunkKey(st.series[seriesName{HostItem, MetricCPU}].id, monday), encodeChunk(nil, 0, day))
	})
	if err != nil {
		t.Fatal(err)
	}
	sr, err := st.Read(Query{Item: HostItem, Metric: MetricCPU, From: time.Unix(week, 0), To: clk.Now(), Points: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Tier != HalfHour {
		t.Fatalf("tier %v", sr.Tier)
	}
	var old, fresh int
	for _, p := range sr.Points {
		switch {
		case p.Count == 0:
		case p.Avg() == 10 && p.Time.Unix() >= monday && p.Time.Unix() < monday+86400:
			old++
		case math.Abs(p.Avg()-50) < 0.1 && p.Time.Unix() >= week+3*86400:
			fresh++
		default:
			t.Errorf("unexpected bucket %+v", p)
		}
	}
	if old != 48 || fresh < 2 {
		t.Errorf("%d buckets from the day-long chunk (want 48), %d from the week's (want 2 or 3)", old, fresh)
	}
}

// TestOpenChunkHoldsWhatWasWritten checks that the week-long 30 min chunk
// filling in memory holds the buckets written, not the week, and that its
// buckets read back the same before and after a restart and when the
// clock goes back before its first bucket.
func TestOpenChunkHoldsWhatWasWritten(t *testing.T) {
	dir := t.TempDir()
	t0 := simEpoch.Add(3*24*time.Hour + time.Hour)
	clk := &simClock{t: t0}
	st := openSim(t, dir, clk)
	add := func(from time.Time, secs int) {
		for i := range secs {
			clk.Set(from.Add(time.Duration(i) * time.Second))
			st.Add(HostItem, MetricCPU, clk.Now(), 1)
		}
	}
	held := func(when string, first, n int) {
		t.Helper()
		oc := st.series[seriesName{HostItem, MetricCPU}].open[HalfHour]
		if oc.first != first || len(oc.slots) != n || cap(oc.slots) > 8 {
			t.Fatalf("%s: open chunk from bucket %d, %d buckets (cap %d); want from %d, %d", when, oc.first, len(oc.slots), cap(oc.slots), first, n)
		}
	}
	counts := func(when string, from time.Time, want ...uint32) {
		t.Helper()
		sr, err := st.Read(Query{Item: HostItem, Metric: MetricCPU, From: from, To: from.Add(time.Duration(len(want)) * 30 * time.Minute), Points: len(want)})
		if err != nil {
			t.Fatal(err)
		}
		var got []uint32
		for _, p := range sr.Points {
			got = append(got, p.Count)
		}
		if sr.Tier != HalfHour || !slices.Equal(got, want) {
			t.Fatalf("%s: %s buckets counted %v, want %v", when, sr.Tier, got, want)
		}
	}
	first := HalfHour.slotOf(t0.Unix())
	add(t0, 3600)
	held("two buckets written", first, 2)
	counts("two buckets written", t0, 1800, 1800)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openSim(t, dir, clk)
	defer st.Close()
	add(t0.Add(90*time.Minute), 60)
	held("after a restart", first, 4)
	counts("after a restart", t0, 1800, 1800, 0, 60)
	add(t0.Add(-time.Hour), 10)
	held("the clock gone back", first-2, 6)
	counts("the clock gone back", t0.Add(-time.Hour), 10, 0, 1800, 1800, 0, 60)
}
