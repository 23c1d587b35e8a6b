package history

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// simClock is a settable clock for tests and benchmarks.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// simEpoch is the simulated "now" of the year-long tests: a whole day.
var simEpoch = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// hash01 is a deterministic pseudo-random number in [0, 1) for (a, b).
func hash01(a, b int64) float64 {
	x := uint64(a)*0x9E3779B97F4A7C15 ^ uint64(b)*0xBF58476D1CE4E5B9
	x ^= x >> 31
	x *= 0x94D049BB133111EB
	x ^= x >> 29
	return float64(x>>11) / (1 << 53)
}

// simValue is a plausible figure of series idx at second sec: a daily swing,
// a little noise, and an hourly one-second spike (what the coarse tiers must
// keep). Half the series are often idle (zero), as network figures are.
func simValue(idx int, metric string, sec int64) float64 {
	if c, ok := CoreOf(metric); ok {
		idx += 7 * (c + 1) // each core its own phase, noise and spike
	}
	if metric == MetricMemFree {
		idx += 3 // not the same curve as used
	}
	day := 2 * math.Pi * float64(sec%86400) / 86400
	base := 20 + 15*math.Sin(day+float64(idx))
	noise := 2 * hash01(int64(idx), sec)
	v := base + noise
	if sec%3600 == int64(idx%3600) {
		v = 100 + float64(idx%7) // the spike
	}
	switch metric {
	case MetricMem, MetricMemCache, MetricMemFree:
		return float64(1<<30) + float64(1<<28)*math.Sin(day/7+float64(idx)) + float64(int64(hash01(int64(idx), sec/60)*1e6))
	case MetricNetRx, MetricNetTx:
		if idx%2 == 0 {
			return 0
		}
		return v * 1000
	}
	return v
}

// simMinute is the bucket simValue's seconds of one minute make, built
// cheaply: the spike minute has its spike as max.
func simMinute(idx int, metric string, minute int64) Bucket {
	var b Bucket
	for _, s := range []int64{0, 17, 31, 59} {
		b.add(simValue(idx, metric, minute*60+s))
	}
	if sp := minute*60 - minute*60%3600 + int64(idx%3600); sp/60 == minute {
		b.add(simValue(idx, metric, sp))
	}
	// Scale to a full minute of samples: min and max as seen, average kept.
	b.Sum = b.Sum / float64(b.Count) * 60
	b.Count = 60
	return b
}

// simSnapshot is a snapshot at t with the host, vms VMs and cts containers.
func simSnapshot(t time.Time, vms, cts int) *model.Snapshot {
	sec := t.Unix()
	f := func(i int, m string) *float64 { v := simValue(i, m, sec); return &v }
	s := &model.Snapshot{Time: t, Host: model.HostStats{
		Time: t, Hostname: "simhost",
		CPUPercent: simValue(0, MetricCPU, sec), CPUPerCorePercent: make([]float64, simCores),
		MemTotal: 4 << 30, MemUsed: uint64(simValue(0, MetricMem, sec)), MemFree: uint64(simValue(0, MetricMemFree, sec)),
		SwapUsed: 0, Load1: simValue(0, MetricLoad1, sec) / 10, Load5: 1, Load15: 1,
		DiskReadBps: simValue(0, MetricDiskRead, sec), DiskWriteBps: simValue(0, MetricDiskWrite, sec),
		NetRxBps: simValue(0, MetricNetRx, sec), NetTxBps: simValue(0, MetricNetTx, sec),
	}}
	for i := range s.Host.CPUPerCorePercent {
		s.Host.CPUPerCorePercent[i] = simValue(0, MetricCore(i), sec)
	}
	vs := model.VMSection{URI: "qemu:///system", Availability: model.Availability{State: model.Up}}
	for i := range vms {
		idx := 1 + i
		vs.Items = append(vs.Items, model.Machine{Name: fmt.Sprintf("vm%03d", i), UUID: simUUID(i), State: model.VMRunning,
			MemoryBytes: uint64(simValue(idx, MetricMem, sec)), CPUPercent: f(idx, MetricCPU),
			DiskReadBps: f(idx, MetricDiskRead), DiskWriteBps: f(idx, MetricDiskWrite), NetRxBps: f(idx, MetricNetRx), NetTxBps: f(idx, MetricNetTx)})
	}
	cs := model.ContainerSection{Host: "unix:///run/docker.sock", Availability: model.Availability{State: model.Up}}
	for i := range cts {
		idx := 1000 + i
		mem := uint64(simValue(idx, MetricMem, sec))
		cs.Items = append(cs.Items, model.Container{ID: simCID(i), Name: fmt.Sprintf("ct%02d", i), State: "running",
			CPUPercent: f(idx, MetricCPU), MemUsageBytes: &mem, BlockReadBps: f(idx, MetricDiskRead), BlockWriteBps: f(idx, MetricDiskWrite),
			NetRxBps: f(idx, MetricNetRx), NetTxBps: f(idx, MetricNetTx)})
	}
	s.Versions = model.Versions{Host: uint64(sec), VMs: uint64(sec), Containers: uint64(sec)}
	s.VMs = []model.VMSection{vs}
	s.Containers = []model.ContainerSection{cs}
	return s
}

// simCores is how many cores the simulated host has: its per-core series.
const simCores = 8

// simMetrics are the series of item ki of simItems: the host's include its
// cores.
func simMetrics(ki, vms int) (Kind, []string) {
	switch {
	case ki == 0:
		ms := Metrics(KindHost)
		for c := range simCores {
			ms = append(ms, MetricCore(c))
		}
		return KindHost, ms
	case ki <= vms:
		return KindVM, Metrics(KindVM)
	}
	return KindContainer, Metrics(KindContainer)
}

func simUUID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }
func simCID(i int) string  { return fmt.Sprintf("%064x", i+1) }

// simItems lists the series the simulation writes, with the index simValue
// takes for each.
func simItems(vms, cts int) (keys []string, idx []int) {
	keys, idx = append(keys, HostItem), append(idx, 0)
	for i := range vms {
		keys, idx = append(keys, VMItem(simUUID(i))), append(idx, 1+i)
	}
	for i := range cts {
		keys, idx = append(keys, ContainerItem(simCID(i))), append(idx, 1000+i)
	}
	return keys, idx
}

// simGap is the stretch of the simulated year when "Horcrux was not
// running": a day, 200 days before the end, and ten minutes 3 days before.
func simGap(sec int64) bool {
	end := simEpoch.Unix()
	return (sec >= end-200*86400 && sec < end-199*86400) || (sec >= end-3*86400 && sec < end-3*86400+600)
}

// fillYear writes a year ending at simEpoch through the store's real code:
// 30 min buckets up to 30 days back, 1 min buckets up to an hour back,
// then every second of the last hour as snapshots. Snapshots for the last
// hour carry the host and vms/cts items. Returns the number of series.
func fillYear(st *Store, clk *simClock, vms, cts int) int {
	keys, idx := simItems(vms, cts)
	end := simEpoch.Unix()
	start := end - 365*86400
	n := 0
	clk.Set(time.Unix(end-30*86400, 0))
	for ki, key := range keys {
		kind, metrics := simMetrics(ki, vms)
		for _, m := range metrics {
			n++
			for sec := start; sec < end-30*86400; sec += 1800 {
				if simGap(sec) {
					continue
				}
				var b Bucket
				for mm := int64(0); mm < 30; mm += 10 {
					b.merge(simMinute(idx[ki], m, sec/60+mm))
				}
				st.Merge(key, m, HalfHour, time.Unix(sec, 0), b)
			}
		}
		st.SeeItem(key, kind, key, "", time.Unix(start, 0))
		if err := st.Flush(); err != nil {
			panic(err)
		}
	}
	for day := end - 30*86400; day < end-3600; day += 86400 {
		clk.Set(time.Unix(day, 0))
		for ki, key := range keys {
			_, metrics := simMetrics(ki, vms)
			for _, m := range metrics {
				for sec := day; sec < min(day+86400, end-3600); sec += 60 {
					if !simGap(sec) {
						st.Merge(key, m, Minute, time.Unix(sec, 0), simMinute(idx[ki], m, sec/60))
					}
				}
			}
		}
		if err := st.Flush(); err != nil {
			panic(err)
		}
	}
	for sec := end - 3600; sec < end; sec++ {
		clk.Set(time.Unix(sec, 0))
		st.AddSnapshot(simSnapshot(time.Unix(sec, 0), vms, cts))
		if err := st.Tick(time.Unix(sec, 0)); err != nil {
			panic(err)
		}
	}
	clk.Set(time.Unix(end, 0))
	return n
}
