package history

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRecordSecond stores one second of the host, 100 VMs and 50
// containers per op, with the real once-a-minute commit (and its fsyncs)
// to a file on disk. cpu-%-of-core is the process CPU time per second of
// samples: the part-8 figure (target <= 0.5).
func BenchmarkRecordSecond(b *testing.B) {
	dir, err := os.MkdirTemp("/var/tmp", "horcrux-history-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	clk := &simClock{t: simEpoch}
	st, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// Snapshots are built before timing: the collector makes them anyway.
	base := make([]*model.Snapshot, 60)
	for i := range base {
		base[i] = simSnapshot(simEpoch.Add(time.Duration(i)*time.Second), 100, 50)
	}
	// A warm hour first, so every series and open chunk exists.
	for i := range 3600 {
		now := simEpoch.Add(time.Duration(i) * time.Second)
		st.AddSnapshot(shifted(base[i%60], now))
		st.Tick(now)
	}
	commits := st.commits
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		now := simEpoch.Add(time.Duration(3600+i) * time.Second)
		clk.Set(now)
		st.AddSnapshot(shifted(base[i%60], now))
		if err := st.Tick(now); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu)/float64(b.N)/1e7, "cpu-%-of-core")
	b.ReportMetric(float64(st.commits-commits)/(float64(b.N)/60), "commits/min")
	var held int
	for _, sr := range st.series {
		for _, oc := range sr.open {
			held += cap(oc.slots) * int(unsafe.Sizeof(Bucket{}))
		}
	}
	b.ReportMetric(float64(held)/float64(len(st.series))/1024, "open-KB/series")
}

func shifted(s *model.Snapshot, t time.Time) *model.Snapshot {
	c := *s
	c.Time, c.Host.Time = t, t
	sec := uint64(t.Unix())
	c.Versions = model.Versions{Host: sec, VMs: sec, Containers: sec}
	return &c
}

// BenchmarkYear writes the simulated year for the host, 100 VMs and 50
// containers (run it with -benchtime=1x), then reports the bytes on disk
// per series and the cold read times of a 30-day and a 1-year host chart
// and a 30-day VM chart (page cache of the file dropped, store opened by a
// reader as `horcrux history` does),
// each the median of 7 with the range.
func BenchmarkYear(b *testing.B) {
	dir, err := os.MkdirTemp("/var/tmp", "horcrux-history-year-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	clk := &simClock{t: simEpoch.Add(-365 * 24 * time.Hour)}
	st, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	n := fillYear(st, clk, 100, 50)
	b.Logf("filled a year of %d series in %s", n, time.Since(t0).Round(time.Second))
	// Two years of retention hold twice the 30 min buckets; the year's
	// other tiers are at their steady size already.
	var pay int64
	var perTier [numTiers]int64
	st.db.View(func(tx *bolt.Tx) error {
		for tier := range numTiers {
			tx.Bucket(tierBuckets[tier]).ForEach(func(k, v []byte) error {
				perTier[tier] += int64(len(k) + len(v))
				return nil
			})
		}
		return nil
	})
	perTier[HalfHour] *= 2 // the second year
	for tier := range numTiers {
		pay += perTier[tier]
		b.ReportMetric(float64(perTier[tier])/float64(n)/1024, "KB/series("+tier.String()+")")
	}
	st.Close()
	path := filepath.Join(dir, FileName)
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(n)/1024, "file-KB/series(1y,as-written)")
	}
	if err := compact(path); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	b.ReportMetric(float64(fi.Size())/float64(n)/1024, "file-KB/series(1y,compacted)")
	b.ReportMetric(float64(pay)/float64(n)/1024, "KB/series(2y,keys+values)")

	end := simEpoch
	cold := func(q Query) []time.Duration {
		var ds []time.Duration
		for range 7 {
			dropCache(b, path)
			t := time.Now()
			// As `horcrux history` does: a reader, no recorder.
			st, cleanup, err := OpenReader(dir)
			if err != nil {
				b.Fatal(err)
			}
			st.opts.Now = func() time.Time { return end }
			sr, err := st.Read(q)
			if err != nil || len(sr.Points) == 0 {
				b.Fatal(err, len(sr.Points))
			}
			ds = append(ds, time.Since(t))
			st.Close()
			cleanup()
		}
		slices.Sort(ds)
		return ds
	}
	report := func(name string, q Query) {
		ds := cold(q)
		b.ReportMetric(float64(ds[3].Microseconds())/1000, name+"-ms-median")
		b.ReportMetric(float64(ds[0].Microseconds())/1000, name+"-ms-min")
		b.ReportMetric(float64(ds[6].Microseconds())/1000, name+"-ms-max")
	}
	month, year := 30*24*time.Hour, 365*24*time.Hour
	report("host30d@1500pts", Query{Item: HostItem, Metric: MetricCPU, From: end.Add(-month), To: end, Points: 1500})
	report("host30d@1min", Query{Item: HostItem, Metric: MetricCPU, From: end.Add(-month + time.Hour), To: end})
	report("host1y@1500pts", Query{Item: HostItem, Metric: MetricCPU, From: end.Add(-year), To: end, Points: 1500})
	report("vm30d@1500pts", Query{Item: VMItem(simUUID(42)), Metric: MetricCPU, From: end.Add(-month), To: end, Points: 1500})
}

// dropCache evicts the file from the page cache, so the next read is cold.
func dropCache(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	unix.Fdatasync(int(f.Fd()))
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		b.Fatal(err)
	}
}

// compact rewrites the file without its free pages, as the steady state
// after retention would be.
func compact(path string) error {
	src, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := bolt.Open(path+".compact", 0o600, nil)
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, src, 1<<20); err != nil {
		dst.Close()
		return err
	}
	dst.Close()
	src.Close()
	return os.Rename(path+".compact", path)
}
