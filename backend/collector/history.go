package collector

import (
	"math"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/ring"
)

// MaxChartPoints bounds the points per series handed to the UI: a chart is
// a few hundred pixels wide, so a longer window is averaged into buckets.
const MaxChartPoints = 600

// hostHistory keeps the host series. It belongs to the collector goroutine.
type hostHistory struct {
	interval time.Duration
	capacity int

	cpu                  *ring.Ring[float64]
	perCore              []*ring.Ring[float64]
	memUsed, swapUsed    *ring.Ring[float64]
	memFree              *ring.Ring[float64]
	memTotal, swapTotal  float64
	load1, load5, load15 *ring.Ring[float64]
	diskR, diskW         *ring.Ring[float64]
	netRx, netTx         *ring.Ring[float64]
}

func newHostHistory(interval, keep time.Duration) *hostHistory {
	n := int(keep / interval)
	if n < 2 {
		n = 2
	}
	r := func() *ring.Ring[float64] { return ring.New[float64](n) }
	return &hostHistory{
		interval: interval, capacity: n,
		cpu: r(), memUsed: r(), memFree: r(), swapUsed: r(),
		load1: r(), load5: r(), load15: r(),
		diskR: r(), diskW: r(), netRx: r(), netTx: r(),
	}
}

// add records one sample; parts the sample lacks are recorded as gaps.
func (h *hostHistory) add(s *model.HostStats) {
	nan := math.NaN()
	pick := func(p model.Part, v float64) float64 {
		if s.Has(p) {
			return v
		}
		return nan
	}
	h.cpu.Push(pick(model.PartCPU, s.CPUPercent))
	if s.Has(model.PartCPU) {
		for len(h.perCore) < len(s.CPUPerCorePercent) {
			// A core seen for the first time has no past: fill it with gaps.
			r := ring.New[float64](h.capacity)
			for range h.cpu.Len() - 1 {
				r.Push(nan)
			}
			h.perCore = append(h.perCore, r)
		}
	}
	for i, r := range h.perCore {
		v := nan
		if s.Has(model.PartCPU) && i < len(s.CPUPerCorePercent) {
			v = s.CPUPerCorePercent[i]
		}
		r.Push(v)
	}
	h.memUsed.Push(pick(model.PartMemory, float64(s.MemUsed)))
	h.memFree.Push(pick(model.PartMemory, float64(s.MemFree)))
	h.swapUsed.Push(pick(model.PartSwap, float64(s.SwapUsed)))
	if s.Has(model.PartMemory) {
		h.memTotal = float64(s.MemTotal)
	}
	if s.Has(model.PartSwap) {
		h.swapTotal = float64(s.SwapTotal)
	}
	h.load1.Push(pick(model.PartLoad, s.Load1))
	h.load5.Push(pick(model.PartLoad, s.Load5))
	h.load15.Push(pick(model.PartLoad, s.Load15))
	h.diskR.Push(pick(model.PartDisk, s.DiskReadBps))
	h.diskW.Push(pick(model.PartDisk, s.DiskWriteBps))
	h.netRx.Push(pick(model.PartNet, s.NetRxBps))
	h.netTx.Push(pick(model.PartNet, s.NetTxBps))
}

// charts copies out the last window, averaged down to at most MaxChartPoints.
func (h *hostHistory) charts(window time.Duration) *model.HostCharts {
	n := int(window / h.interval)
	if n < 2 {
		n = 2
	}
	if n > h.capacity {
		n = h.capacity
	}
	per := (n + MaxChartPoints - 1) / MaxChartPoints
	c := &model.HostCharts{
		Window: window, Step: h.interval * time.Duration(per),
		MemTotal: h.memTotal, SwapTotal: h.swapTotal,
	}
	s := func(r *ring.Ring[float64]) []float64 { return Downsample(r, n, per) }
	c.CPU = s(h.cpu)
	c.PerCore = make([][]float64, len(h.perCore))
	for i, r := range h.perCore {
		c.PerCore[i] = s(r)
	}
	c.MemUsed, c.SwapUsed, c.MemFree = s(h.memUsed), s(h.swapUsed), s(h.memFree)
	c.Load1, c.Load5, c.Load15 = s(h.load1), s(h.load5), s(h.load15)
	c.DiskRead, c.DiskWrite = s(h.diskR), s(h.diskW)
	c.NetRx, c.NetTx = s(h.netRx), s(h.netTx)
	return c
}

// Downsample returns the newest n values of r as n/per points, each the mean
// of per consecutive values, oldest first. A window longer than the history
// is padded at the front with NaN so that time runs the full width; a bucket
// with no measured value is NaN.
func Downsample[T float32 | float64](r *ring.Ring[T], n, per int) []float64 {
	if per < 1 {
		per = 1
	}
	held := r.Tail(make([]T, 0, n), n)
	pad := n - len(held)
	out := make([]float64, 0, (n+per-1)/per)
	for start := 0; start < n; start += per {
		sum, cnt := 0.0, 0
		for i := start; i < start+per && i < n; i++ {
			if i < pad {
				continue
			}
			if v := float64(held[i-pad]); !math.IsNaN(v) {
				sum += v
				cnt++
			}
		}
		if cnt == 0 {
			out = append(out, math.NaN())
		} else {
			out = append(out, sum/float64(cnt))
		}
	}
	return out
}
