package host

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func reading(at time.Duration, mod func(*Reading)) *Reading {
	sec := at.Seconds()
	r := &Reading{
		Time:     t0.Add(at),
		Hostname: "box",
		// Two idle cores whose clocks tick on with the wall clock.
		CPU:      CPUTime{Busy: 100, Total: 1000 + 200*sec},
		PerCore:  []CPUTime{{Busy: 50, Total: 500 + 100*sec}, {Busy: 50, Total: 500 + 100*sec}},
		MemTotal: 8 << 30, MemUsed: 2 << 30, MemAvailable: 6 << 30,
		SwapTotal: 1 << 30, SwapUsed: 1 << 20,
		Load1: 0.5, Load5: 0.25, Load15: 0.125,
		DiskReadBytes: 1000, DiskWriteBytes: 2000,
		NetRxBytes: 10_000, NetTxBytes: 20_000,
		UptimeSeconds: 3600,
	}
	if mod != nil {
		mod(r)
	}
	return r
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name        string
		prev, cur   *Reading
		wantMissing []model.Part
		wantFailed  []model.Part // missing for a reason other than settling
		check       func(t *testing.T, s model.HostStats)
	}{
		{
			name:        "first sample has gauges but no rates",
			cur:         reading(0, nil),
			wantMissing: []model.Part{model.PartCPU, model.PartDisk, model.PartNet},
			check: func(t *testing.T, s model.HostStats) {
				if s.MemTotal != 8<<30 || s.Load1 != 0.5 || s.UptimeSeconds != 3600 {
					t.Errorf("gauges not copied: %+v", s)
				}
			},
		},
		{
			name: "rates over two seconds",
			prev: reading(0, nil),
			cur: reading(2*time.Second, func(r *Reading) {
				r.CPU = CPUTime{Busy: 150, Total: 1200}
				r.PerCore = []CPUTime{{Busy: 50, Total: 600}, {Busy: 100, Total: 600}}
				r.DiskReadBytes, r.DiskWriteBytes = 3000, 2000
				r.NetRxBytes, r.NetTxBytes = 12_048, 20_512
			}),
			check: func(t *testing.T, s model.HostStats) {
				want := map[string][2]float64{
					"cpu":    {s.CPUPercent, 25},
					"core0":  {s.CPUPerCorePercent[0], 0},
					"core1":  {s.CPUPerCorePercent[1], 50},
					"dread":  {s.DiskReadBps, 1000},
					"dwrite": {s.DiskWriteBps, 0},
					"rx":     {s.NetRxBps, 1024},
					"tx":     {s.NetTxBps, 256},
				}
				for k, v := range want {
					if math.Abs(v[0]-v[1]) > 1e-9 {
						t.Errorf("%s = %v, want %v", k, v[0], v[1])
					}
				}
			},
		},
		{
			name:        "net counter reset is not a huge rate",
			prev:        reading(0, nil),
			cur:         reading(time.Second, func(r *Reading) { r.NetRxBytes = 5 }),
			wantMissing: []model.Part{model.PartNet},
		},
		{
			name:        "core hot-plugged",
			prev:        reading(0, nil),
			cur:         reading(time.Second, func(r *Reading) { r.PerCore = append(r.PerCore, CPUTime{}) }),
			wantMissing: []model.Part{model.PartCPU},
		},
		{
			name: "failed part reported, others kept",
			prev: reading(0, nil),
			cur: reading(time.Second, func(r *Reading) {
				r.Errs = map[model.Part]error{model.PartMemory: errors.New("open /proc/meminfo: permission denied")}
				r.MemTotal = 0
			}),
			wantMissing: []model.Part{model.PartMemory},
			wantFailed:  []model.Part{model.PartMemory},
			check: func(t *testing.T, s model.HostStats) {
				if !strings.Contains(s.Missing[model.PartMemory].Reason, "permission denied") {
					t.Errorf("reason lost: %q", s.Missing[model.PartMemory].Reason)
				}
			},
		},
		{
			name:        "previous sample failed disk",
			prev:        reading(0, func(r *Reading) { r.Errs = map[model.Part]error{model.PartDisk: errors.New("boom")} }),
			cur:         reading(time.Second, nil),
			wantMissing: []model.Part{model.PartDisk},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Compute(tt.prev, tt.cur)
			for _, p := range []model.Part{model.PartCPU, model.PartMemory, model.PartSwap, model.PartLoad, model.PartDisk, model.PartNet, model.PartUptime} {
				want := false
				for _, m := range tt.wantMissing {
					want = want || m == p
				}
				if s.Has(p) == want {
					t.Errorf("part %s: missing=%v, want %v (%v)", p, !s.Has(p), want, s.Missing)
				}
			}
			// Settling gaps (first sample, counter reset) are not problems.
			failed := s.Failed()
			if len(failed) != len(tt.wantFailed) {
				t.Errorf("failed parts %v, want %v", failed, tt.wantFailed)
			}
			for _, p := range tt.wantFailed {
				if _, ok := failed[p]; !ok {
					t.Errorf("part %s not reported as failed: %v", p, failed)
				}
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestStatsJSONNullsMissingParts(t *testing.T) {
	s := Compute(nil, reading(0, func(r *Reading) {
		r.Errs = map[model.Part]error{model.PartLoad: errors.New("no loadavg")}
	}))
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"cpu_percent", "load1", "load15", "disk_read_bytes_per_sec", "net_tx_bytes_per_sec"} {
		if v, ok := m[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if m["mem_total_bytes"] != float64(8<<30) || m["hostname"] != "box" {
		t.Errorf("measured fields wrong: %s", b)
	}
	errs, _ := m["errors"].(map[string]any)
	if errs["load"] != "no loadavg" || errs["cpu"] != firstSample {
		t.Errorf("errors = %v", m["errors"])
	}
}

type fakeReader []*Reading

func (f *fakeReader) Read(context.Context) Reading {
	r := (*f)[0]
	*f = (*f)[1:]
	return *r
}

func TestSamplerKeepsPrevious(t *testing.T) {
	f := fakeReader{reading(0, nil), reading(time.Second, func(r *Reading) { r.DiskReadBytes += 4096 })}
	s := NewSampler(&f)
	if first := s.Sample(context.Background()); first.Has(model.PartDisk) {
		t.Fatal("first sample claims a disk rate")
	}
	if second := s.Sample(context.Background()); !second.Has(model.PartDisk) || second.DiskReadBps != 4096 {
		t.Fatalf("second sample disk = %v (%v)", second.DiskReadBps, second.Missing)
	}
}
