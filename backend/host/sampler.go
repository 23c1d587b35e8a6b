package host

import (
	"context"
	"fmt"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/rate"
)

// firstSample is why rate parts are empty until a second reading exists.
const firstSample = "measuring: rates need a second sample"

// Sampler turns successive Readings into HostStats. It keeps the previous
// reading, so it belongs to one goroutine.
type Sampler struct {
	r    Reader
	prev *Reading
}

// NewSampler returns a Sampler reading from r.
func NewSampler(r Reader) *Sampler { return &Sampler{r: r} }

// Sample reads the host once and returns the figures, with rates measured
// since the previous call.
func (s *Sampler) Sample(ctx context.Context) model.HostStats {
	cur := s.r.Read(ctx)
	st := Compute(s.prev, &cur)
	s.prev = &cur
	return st
}

// Compute derives HostStats from the current reading and the previous one (nil
// for the first). Gauges come from cur alone; rates need both readings and
// are missing when either lacks the part or the counters went backwards.
func Compute(prev, cur *Reading) model.HostStats {
	st := model.HostStats{
		Time:          cur.Time,
		Hostname:      cur.Hostname,
		MemTotal:      cur.MemTotal,
		MemUsed:       cur.MemUsed,
		MemAvailable:  cur.MemAvailable,
		MemFree:       cur.MemFree,
		SwapTotal:     cur.SwapTotal,
		SwapUsed:      cur.SwapUsed,
		Load1:         cur.Load1,
		Load5:         cur.Load5,
		Load15:        cur.Load15,
		UptimeSeconds: cur.UptimeSeconds,
	}
	gap := func(p model.Part, why string, settling bool) {
		if st.Missing == nil {
			st.Missing = make(map[model.Part]model.Gap)
		}
		st.Missing[p] = model.Gap{Reason: why, Settling: settling}
	}
	// A rate that waits for its second sample is settling, not failing.
	settle := func(p model.Part, why string) { gap(p, why, true) }
	for p, err := range cur.Errs {
		gap(p, err.Error(), false)
	}
	rateReady := func(p model.Part) bool {
		if _, failed := cur.Errs[p]; failed {
			return false
		}
		if prev == nil {
			settle(p, firstSample)
			return false
		}
		if err, failed := prev.Errs[p]; failed {
			settle(p, fmt.Sprintf("measuring: previous sample failed: %v", err))
			return false
		}
		return true
	}
	if rateReady(model.PartCPU) {
		if pct, ok := cpuPercents(prev, cur); ok {
			st.CPUPercent, st.CPUPerCorePercent = pct[0], pct[1:]
		} else {
			settle(model.PartCPU, "CPU counters went backwards; measuring again")
		}
	}
	if rateReady(model.PartDisk) {
		dt := cur.Time.Sub(prev.Time)
		if r, w, ok := rate.Pair(prev.DiskReadBytes, cur.DiskReadBytes, prev.DiskWriteBytes, cur.DiskWriteBytes, dt); ok {
			st.DiskReadBps, st.DiskWriteBps = r, w
		} else {
			settle(model.PartDisk, fmt.Sprintf("disk counters reset over %.1fs; measuring again", dt.Seconds()))
		}
	}
	if rateReady(model.PartNet) {
		dt := cur.Time.Sub(prev.Time)
		if rx, tx, ok := rate.Pair(prev.NetRxBytes, cur.NetRxBytes, prev.NetTxBytes, cur.NetTxBytes, dt); ok {
			st.NetRxBps, st.NetTxBps = rx, tx
		} else {
			settle(model.PartNet, fmt.Sprintf("network counters reset over %.1fs (an interface went away?); measuring again", dt.Seconds()))
		}
	}
	return st
}

// cpuPercents returns total then per-core busy percentages; false if the
// core count changed or any counter went backwards.
func cpuPercents(prev, cur *Reading) ([]float64, bool) {
	if len(prev.PerCore) != len(cur.PerCore) {
		return nil, false
	}
	out := make([]float64, 0, 1+len(cur.PerCore))
	p, ok := rate.Percent(prev.CPU.Busy, cur.CPU.Busy, prev.CPU.Total, cur.CPU.Total)
	if !ok {
		return nil, false
	}
	out = append(out, p)
	for i := range cur.PerCore {
		a, b := prev.PerCore[i], cur.PerCore[i]
		p, ok := rate.Percent(a.Busy, b.Busy, a.Total, b.Total)
		if !ok {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}
