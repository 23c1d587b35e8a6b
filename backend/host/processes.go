package host

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// ProcessReader reads the host's busiest processes through gopsutil. CPU
// use is the CPU time a process used between two reads over the time
// between them, so it keeps the last read's times: one owner calls Read.
// A read costs two small files per process (/proc/PID/stat and statm) and
// a third (comm) for the few it lists.
type ProcessReader struct {
	prev   map[int32]float64 // CPU seconds of each process at the last read
	prevAt time.Time
}

// Read lists the top processes by CPU (from the second read on) and by
// resident memory.
func (r *ProcessReader) Read(ctx context.Context, top int) (model.Processes, error) {
	pids, err := process.PidsWithContext(ctx)
	if err != nil {
		return model.Processes{}, err
	}
	now := time.Now()
	out := model.Processes{Time: now}
	cpuNow := make(map[int32]float64, len(pids))
	type sample struct {
		p   *process.Process
		cpu *float64
		rss uint64
	}
	samples := make([]sample, 0, len(pids))
	elapsed := now.Sub(r.prevAt).Seconds()
	for _, pid := range pids {
		if ctx.Err() != nil {
			return model.Processes{}, ctx.Err()
		}
		// Built directly: NewProcess would also read the start time and
		// check the PID, two more reads per process.
		p := &process.Process{Pid: pid}
		t, err := p.TimesWithContext(ctx)
		if err != nil {
			out.Skipped++ // ended since listed
			continue
		}
		m, err := p.MemoryInfoWithContext(ctx)
		if err != nil {
			out.Skipped++
			continue
		}
		s := sample{p: p, rss: m.RSS}
		busy := t.User + t.System
		cpuNow[pid] = busy
		if was, ok := r.prev[pid]; ok && busy >= was && elapsed > 0 {
			pct := (busy - was) / elapsed * 100
			s.cpu = &pct
		}
		samples = append(samples, s)
	}
	out.Count = len(samples)
	name := func(s sample) model.Process {
		n, _ := s.p.NameWithContext(ctx) // "" when it ended meanwhile
		return model.Process{PID: s.p.Pid, Name: n, CPUPercent: s.cpu, RSSBytes: s.rss}
	}
	pick := func(order func(a, b sample) int) []model.Process {
		slices.SortStableFunc(samples, order)
		list := make([]model.Process, 0, top)
		for _, s := range samples[:min(top, len(samples))] {
			list = append(list, name(s))
		}
		return list
	}
	if r.prev != nil {
		out.ByCPU = pick(func(a, b sample) int {
			return cmp.Or(-cmp.Compare(deref(a.cpu), deref(b.cpu)), cmp.Compare(a.p.Pid, b.p.Pid))
		})
	}
	out.ByMemory = pick(func(a, b sample) int { return cmp.Or(-cmp.Compare(a.rss, b.rss), cmp.Compare(a.p.Pid, b.p.Pid)) })
	r.prev, r.prevAt = cpuNow, now
	return out, nil
}

// deref is *p, or -1 for a process first seen in this read (it sorts last).
func deref(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}
