package collector

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/ring"
)

// ItemKeep is the most history kept per VM and per container.
const ItemKeep = 10 * time.Minute

// itemBudget caps the values held for all items of one kind (4 bytes each,
// so 4 MB). Up to ~130 items get the full ItemKeep; with more, new items get
// shorter rings, never under minItemPoints: 1000 VMs keep about 3 minutes.
const (
	itemBudget    = 1 << 20
	minItemPoints = 60
)

// itemSeries indexes the rings of one item.
const (
	seriesCPU = iota
	seriesMem
	seriesDiskRead
	seriesDiskWrite
	seriesNetRx
	seriesNetTx
	seriesCount
)

// itemHistory keeps float32 rings per item, keyed by ID. It belongs to the
// collector goroutine.
type itemHistory struct {
	interval time.Duration
	capacity int
	withMem  bool
	items    map[string]*[seriesCount]*ring.Ring[float32]
	// fs holds each VM's guest filesystem use by mount point, at most
	// maxFSSeries per VM, as long as the VM's other rings.
	fs map[string]map[string]*ring.Ring[float32]
}

// maxFSSeries caps the guest filesystems charted per VM: a guest with
// hundreds of mounts (containers inside) would eat the item budget.
const maxFSSeries = 8

func newItemHistory(interval time.Duration, withMem bool) *itemHistory {
	n := max(int(ItemKeep/interval), 2)
	return &itemHistory{interval: interval, capacity: n, withMem: withMem,
		items: make(map[string]*[seriesCount]*ring.Ring[float32]), fs: make(map[string]map[string]*ring.Ring[float32])}
}

// record pushes one refresh: vals[id] holds the figures of each item seen.
// Items not seen any more are dropped with their history.
func (h *itemHistory) record(vals map[string][seriesCount]float64) {
	for id := range h.items {
		if _, ok := vals[id]; !ok {
			delete(h.items, id)
		}
	}
	series := seriesCount
	if !h.withMem {
		series--
	}
	points := min(h.capacity, max(itemBudget/(series*max(len(vals), 1)), minItemPoints))
	for id, v := range vals {
		rs, ok := h.items[id]
		if !ok {
			rs = new([seriesCount]*ring.Ring[float32])
			for i := range rs {
				if i == seriesMem && !h.withMem {
					continue
				}
				rs[i] = ring.New[float32](points)
			}
			h.items[id] = rs
		}
		for i, r := range rs {
			if r != nil {
				r.Push(float32(v[i]))
			}
		}
	}
}

// recordFS pushes one refresh of guest filesystem use: vals[id][mount] is a
// percent. It follows record, whose items it keeps rings for; a mount not
// in vals this time gets NaN (facts missing, or unmounted).
func (h *itemHistory) recordFS(vals map[string]map[string]float64) {
	for id := range h.fs {
		if _, ok := h.items[id]; !ok {
			delete(h.fs, id)
		}
	}
	for id, mounts := range vals {
		rs, ok := h.items[id]
		if !ok {
			continue
		}
		fs := h.fs[id]
		for _, m := range slices.Sorted(maps.Keys(mounts)) {
			if _, ok := fs[m]; ok || len(fs) >= maxFSSeries {
				continue
			}
			if fs == nil {
				fs = make(map[string]*ring.Ring[float32])
				h.fs[id] = fs
			}
			fs[m] = ring.New[float32](rs[seriesCPU].Cap())
		}
	}
	for id, fs := range h.fs {
		for m, r := range fs {
			v, ok := vals[id][m]
			if !ok {
				v = math.NaN()
			}
			r.Push(float32(v))
		}
	}
}

// reset forgets every item's history.
func (h *itemHistory) reset() { clear(h.items); clear(h.fs) }

// charts returns the history of id over window, or nil if id is unknown.
func (h *itemHistory) charts(id string, window time.Duration) *model.ItemCharts {
	rs, ok := h.items[id]
	if !ok {
		return nil
	}
	n := min(max(int(window/h.interval), 2), rs[seriesCPU].Cap())
	per := (n + MaxChartPoints - 1) / MaxChartPoints
	c := &model.ItemCharts{ID: id, Window: time.Duration(n) * h.interval, Step: h.interval * time.Duration(per)}
	out := [seriesCount]*[]float64{&c.CPU, &c.Mem, &c.DiskRead, &c.DiskWrite, &c.NetRx, &c.NetTx}
	for i, r := range rs {
		if r != nil {
			*out[i] = Downsample(r, n, per)
		}
	}
	if fs := h.fs[id]; len(fs) > 0 {
		c.GuestFS = make([]model.NamedSeries, 0, len(fs))
		for _, m := range slices.Sorted(maps.Keys(fs)) {
			c.GuestFS = append(c.GuestFS, model.NamedSeries{Name: m, Values: Downsample(fs[m], n, per)})
		}
	}
	return c
}

func orNaN[T float64 | uint64](p *T) float64 {
	if p == nil {
		return math.NaN()
	}
	return float64(*p)
}

// vmFigures picks the charted figures of each machine of one host.
func vmFigures(host int, s *model.VMSection) map[string][seriesCount]float64 {
	m := make(map[string][seriesCount]float64, len(s.Items))
	for i := range s.Items {
		it := &s.Items[i]
		m[model.ItemKey(host, it.UUID)] = [seriesCount]float64{
			seriesCPU: orNaN(it.CPUPercent), seriesMem: vmMemory(it),
			seriesDiskRead: orNaN(it.DiskReadBps), seriesDiskWrite: orNaN(it.DiskWriteBps),
			seriesNetRx: orNaN(it.NetRxBps), seriesNetTx: orNaN(it.NetTxBps),
		}
	}
	return m
}

// vmFSFigures picks each machine's guest filesystem use in percent by
// mount point, for the machines whose agent answered.
func vmFSFigures(host int, s *model.VMSection) map[string]map[string]float64 {
	m := make(map[string]map[string]float64)
	for i := range s.Items {
		g := s.Items[i].Guest
		if g == nil || len(g.FileSystems) == 0 {
			continue
		}
		mounts := make(map[string]float64, len(g.FileSystems))
		for _, f := range g.FileSystems {
			if f.TotalBytes > 0 {
				mounts[f.Mount] = f.UsedPercent()
			}
		}
		m[model.ItemKey(host, s.Items[i].UUID)] = mounts
	}
	return m
}

// containerFigures picks the charted figures of each container of one host.
func containerFigures(host int, s *model.ContainerSection) map[string][seriesCount]float64 {
	m := make(map[string][seriesCount]float64, len(s.Items))
	for i := range s.Items {
		it := &s.Items[i]
		m[model.ItemKey(host, it.ID)] = [seriesCount]float64{
			seriesCPU: orNaN(it.CPUPercent), seriesMem: orNaN(it.MemUsageBytes),
			seriesDiskRead: orNaN(it.BlockReadBps), seriesDiskWrite: orNaN(it.BlockWriteBps),
			seriesNetRx: orNaN(it.NetRxBps), seriesNetTx: orNaN(it.NetTxBps),
		}
	}
	return m
}

// vmMemory is a machine's memory (the balloon size when known), NaN when
// it is not running: a shut-off machine holds none.
func vmMemory(m *model.Machine) float64 {
	if m.MemoryBytes == 0 || m.State != model.VMRunning && m.State != model.VMPaused {
		return math.NaN()
	}
	return float64(m.MemoryBytes)
}
