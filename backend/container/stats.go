package container

import (
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/rate"
)

// cpuPercent is the share of one core a container used between two CPU
// readings, as `docker stats` computes it: its CPU time over the host's CPU
// time, times the online CPUs. It reports false when there is no earlier
// reading (the first frame of a stream) or a counter went backwards.
func cpuPercent(prev, cur container.CPUStats) (float64, bool) {
	online := float64(cur.OnlineCPUs)
	if online == 0 { // engines before API 1.27 only sent the per-CPU list
		online = float64(len(cur.CPUUsage.PercpuUsage))
	}
	if online == 0 || prev.SystemUsage == 0 ||
		cur.SystemUsage < prev.SystemUsage || cur.CPUUsage.TotalUsage < prev.CPUUsage.TotalUsage {
		return 0, false
	}
	// Subtract as integers first: system_cpu_usage is ~1e16 ns on a
	// long-running host, past float64's exact integers.
	dCPU := float64(cur.CPUUsage.TotalUsage - prev.CPUUsage.TotalUsage)
	dSys := float64(cur.SystemUsage - prev.SystemUsage)
	share, ok := rate.Percent(0, dCPU, 0, dSys)
	if !ok {
		return 0, false
	}
	return share * online, true
}

// memUsage is the memory a container uses without the page cache it could
// drop, as `docker stats` shows it: usage minus inactive file pages
// (cgroup v1 total_inactive_file, v2 inactive_file; old v1 engines without
// the total_ keys: cache).
func memUsage(m container.MemoryStats) uint64 {
	cache, ok := m.Stats["total_inactive_file"] // cgroup v1
	if !ok {
		cache, ok = m.Stats["inactive_file"] // cgroup v2
	}
	if !ok {
		cache = m.Stats["cache"]
	}
	if cache < m.Usage {
		return m.Usage - cache
	}
	return m.Usage
}

// blkioBytes sums the bytes read and written on every block device. Ops are
// "Read"/"Write" on cgroup v1 and "read"/"write" on v2; v1's "Total",
// "Sync" and "Async" rows repeat the same bytes and are skipped.
func blkioBytes(b container.BlkioStats) (read, write uint64) {
	for _, e := range b.IoServiceBytesRecursive {
		switch {
		case strings.EqualFold(e.Op, "read"):
			read += e.Value
		case strings.EqualFold(e.Op, "write"):
			write += e.Value
		}
	}
	return read, write
}

// netBytes sums received and sent bytes over every interface.
func netBytes(nets map[string]container.NetworkStats) (rx, tx uint64) {
	for _, n := range nets {
		rx += n.RxBytes
		tx += n.TxBytes
	}
	return rx, tx
}

// counters are the cumulative byte counts of one frame, kept to turn the
// next frame into rates.
type counters struct {
	read         time.Time
	netRx, netTx uint64
	blkRd, blkWr uint64
	valid        bool
}

// figures are the latest numbers of one container's stats stream.
type figures struct {
	cpu           float64
	cpuOK         bool
	mem, memLimit uint64
	memOK         bool
	pids          uint64
	netRx, netTx  float64
	blkRd, blkWr  float64
	netOK, blkOK  bool
	valid         bool // a frame with data has arrived
}

// figuresOf turns one stats frame and the counters of the frame before it
// into figures, and returns the counters to keep for the next frame.
// An empty frame (the engine's answer for a stopped container) yields
// invalid figures and resets the counters.
func figuresOf(f *container.StatsResponse, prev counters) (figures, counters) {
	if f.Read.IsZero() {
		return figures{}, counters{}
	}
	var fig figures
	fig.valid = true
	fig.cpu, fig.cpuOK = cpuPercent(f.PreCPUStats, f.CPUStats)
	if f.MemoryStats.Usage != 0 || f.MemoryStats.Limit != 0 {
		fig.mem, fig.memLimit, fig.memOK = memUsage(f.MemoryStats), f.MemoryStats.Limit, true
	}
	fig.pids = f.PidsStats.Current

	cur := counters{read: f.Read, valid: true}
	cur.netRx, cur.netTx = netBytes(f.Networks)
	cur.blkRd, cur.blkWr = blkioBytes(f.BlkioStats)
	if prev.valid {
		elapsed := f.Read.Sub(prev.read)
		fig.netRx, fig.netTx, fig.netOK = rate.Pair(prev.netRx, cur.netRx, prev.netTx, cur.netTx, elapsed)
		fig.blkRd, fig.blkWr, fig.blkOK = rate.Pair(prev.blkRd, cur.blkRd, prev.blkWr, cur.blkWr, elapsed)
	}
	return fig, cur
}

// fill copies the figures into a model.Container's optional fields.
func (fig figures) fill(c *model.Container) {
	if !fig.valid {
		return
	}
	if fig.cpuOK {
		c.CPUPercent = ptr(fig.cpu)
	}
	if fig.memOK {
		c.MemUsageBytes = ptr(fig.mem)
		c.MemLimitBytes = ptr(fig.memLimit)
	}
	c.PIDs = ptr(fig.pids)
	if fig.netOK {
		c.NetRxBps, c.NetTxBps = ptr(fig.netRx), ptr(fig.netTx)
	}
	if fig.blkOK {
		c.BlockReadBps, c.BlockWriteBps = ptr(fig.blkRd), ptr(fig.blkWr)
	}
}

func ptr[T any](v T) *T { return &v }

// resetFrame empties a frame before the next decode while keeping the maps'
// and slices' storage: encoding/json fills existing maps and slices in place,
// and it leaves fields absent from the JSON untouched, even inside reused
// slice elements, so those are zeroed too.
func resetFrame(f *container.StatsResponse) {
	mem, nets := f.MemoryStats.Stats, f.Networks
	clear(mem)
	clear(nets)
	percpu, prePercpu := f.CPUStats.CPUUsage.PercpuUsage[:0], f.PreCPUStats.CPUUsage.PercpuUsage[:0]
	b := f.BlkioStats
	*f = container.StatsResponse{}
	f.MemoryStats.Stats, f.Networks = mem, nets
	f.CPUStats.CPUUsage.PercpuUsage, f.PreCPUStats.CPUUsage.PercpuUsage = percpu, prePercpu
	f.BlkioStats = container.BlkioStats{
		IoServiceBytesRecursive: emptied(b.IoServiceBytesRecursive),
		IoServicedRecursive:     emptied(b.IoServicedRecursive),
		IoQueuedRecursive:       emptied(b.IoQueuedRecursive),
		IoServiceTimeRecursive:  emptied(b.IoServiceTimeRecursive),
		IoWaitTimeRecursive:     emptied(b.IoWaitTimeRecursive),
		IoMergedRecursive:       emptied(b.IoMergedRecursive),
		IoTimeRecursive:         emptied(b.IoTimeRecursive),
		SectorsRecursive:        emptied(b.SectorsRecursive),
	}
}

func emptied(s []container.BlkioStatEntry) []container.BlkioStatEntry {
	clear(s[:cap(s)])
	return s[:0]
}
