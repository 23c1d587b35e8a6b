package container

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func loadFrame(t testing.TB, name string) *container.StatsResponse {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "stats", name))
	if err != nil {
		t.Fatal(err)
	}
	var f container.StatsResponse
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &f
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// TestFramePayloads checks every figure of whole frames as cgroup v1 and v2
// engines send them.
func TestFramePayloads(t *testing.T) {
	tests := []struct {
		file        string
		cpu         float64
		cpuOK       bool
		mem, limit  uint64
		read, write uint64
		rx, tx      uint64
		pids        uint64
	}{
		// v1: Δcpu 0.5 s of Δsystem 2 s on 2 CPUs; 100 MiB minus 20 MiB total_inactive_file
		// (not the 40 MiB cache); Read/Write summed over two devices, Sync/Async/Total skipped.
		{"v1.json", 50, true, 83886080, 2147483648, 4097000, 8194000, 1300, 2040, 12},
		// Old v1 engine: no online_cpus (4 per-CPU entries) and no total_ keys: cache is dropped.
		{"v1_cache_only.json", 100, true, 41943040, 8589934592, 0, 0, 0, 0, 4},
		// v2: 8 CPUs, three cores busy; 200 MiB minus 50 MiB inactive_file (not the 80 MiB "file");
		// lower-case ops.
		{"v2.json", 300, true, 157286400, 536870912, 1049088, 2097152, 5000, 6000, 3},
		// The first frame of a stream has no previous CPU reading: no CPU figure yet.
		{"v1_first_frame.json", 0, false, 18448384, 25276514304, 0, 0, 0, 0, 6},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := loadFrame(t, tt.file)
			cpu, ok := cpuPercent(f.PreCPUStats, f.CPUStats)
			if ok != tt.cpuOK || !near(cpu, tt.cpu) {
				t.Errorf("cpuPercent = %v, %v; want %v, %v", cpu, ok, tt.cpu, tt.cpuOK)
			}
			if got := memUsage(f.MemoryStats); got != tt.mem {
				t.Errorf("memUsage = %d; want %d", got, tt.mem)
			}
			if f.MemoryStats.Limit != tt.limit {
				t.Errorf("limit = %d; want %d", f.MemoryStats.Limit, tt.limit)
			}
			if r, w := blkioBytes(f.BlkioStats); r != tt.read || w != tt.write {
				t.Errorf("blkioBytes = %d, %d; want %d, %d", r, w, tt.read, tt.write)
			}
			if rx, tx := netBytes(f.Networks); rx != tt.rx || tx != tt.tx {
				t.Errorf("netBytes = %d, %d; want %d, %d", rx, tx, tt.rx, tt.tx)
			}

			fig, cur := figuresOf(f, counters{})
			var c model.Container
			fig.fill(&c)
			if (c.CPUPercent != nil) != tt.cpuOK || (tt.cpuOK && !near(*c.CPUPercent, tt.cpu)) {
				t.Errorf("CPUPercent = %v; want %v (set %v)", c.CPUPercent, tt.cpu, tt.cpuOK)
			}
			if c.MemUsageBytes == nil || *c.MemUsageBytes != tt.mem || c.MemLimitBytes == nil || *c.MemLimitBytes != tt.limit {
				t.Errorf("memory = %v / %v; want %d / %d", c.MemUsageBytes, c.MemLimitBytes, tt.mem, tt.limit)
			}
			if c.PIDs == nil || *c.PIDs != tt.pids {
				t.Errorf("PIDs = %v; want %d", c.PIDs, tt.pids)
			}
			if c.NetRxBps != nil || c.BlockReadBps != nil {
				t.Errorf("rates from a single frame: net %v, block %v; want nil", c.NetRxBps, c.BlockReadBps)
			}
			if !cur.valid || !cur.read.Equal(f.Read) {
				t.Errorf("counters = %+v; want valid at %v", cur, f.Read)
			}
		})
	}
}

func TestCPUPercent(t *testing.T) {
	cpu := func(total, system uint64, online uint32, percpu int) container.CPUStats {
		s := container.CPUStats{SystemUsage: system, OnlineCPUs: online}
		s.CPUUsage.TotalUsage = total
		s.CPUUsage.PercpuUsage = make([]uint64, percpu)
		return s
	}
	tests := []struct {
		name      string
		prev, cur container.CPUStats
		want      float64
		ok        bool
	}{
		{"idle", cpu(100, 1000, 2, 0), cpu(100, 3000, 2, 0), 0, true},
		{"one of two cores busy", cpu(0, 1e12, 2, 0), cpu(1e9, 1e12+2e9, 2, 0), 100, true},
		{"both cores busy", cpu(0, 1e12, 2, 0), cpu(2e9, 1e12+2e9, 2, 0), 200, true},
		{"online from per-CPU list", cpu(0, 1e12, 0, 4), cpu(1e9, 1e12+4e9, 0, 4), 100, true},
		{"large system counter keeps precision", cpu(7e15, 9_000_000_000_000_000_000, 16, 0),
			cpu(7e15+1, 9_000_000_000_000_000_016, 16, 0), 100, true},
		{"first frame", container.CPUStats{}, cpu(5e8, 1e12, 2, 0), 0, false},
		{"system did not move", cpu(0, 1000, 2, 0), cpu(10, 1000, 2, 0), 0, false},
		{"container restarted", cpu(5e9, 1000, 2, 0), cpu(1e6, 3000, 2, 0), 0, false},
		{"no CPU count", cpu(0, 1000, 0, 0), cpu(10, 2000, 0, 0), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cpuPercent(tt.prev, tt.cur)
			if ok != tt.ok || !near(got, tt.want) {
				t.Fatalf("cpuPercent = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMemUsage(t *testing.T) {
	tests := []struct {
		name  string
		usage uint64
		stats map[string]uint64
		want  uint64
	}{
		{"v1 prefers total_inactive_file over cache", 1000, map[string]uint64{"total_inactive_file": 100, "inactive_file": 50, "cache": 400}, 900},
		{"v2 inactive_file", 1000, map[string]uint64{"inactive_file": 300, "file": 600}, 700},
		{"old v1 cache", 1000, map[string]uint64{"cache": 250}, 750},
		{"no stats", 1000, nil, 1000},
		{"inactive above usage is ignored", 1000, map[string]uint64{"total_inactive_file": 2000}, 1000},
		{"all inactive", 1000, map[string]uint64{"inactive_file": 1000}, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := memUsage(container.MemoryStats{Usage: tt.usage, Stats: tt.stats}); got != tt.want {
				t.Fatalf("memUsage = %d; want %d", got, tt.want)
			}
		})
	}
}

func TestBlkioAndNetSums(t *testing.T) {
	e := func(op string, v uint64) container.BlkioStatEntry {
		return container.BlkioStatEntry{Major: 8, Op: op, Value: v}
	}
	tests := []struct {
		name        string
		entries     []container.BlkioStatEntry
		read, write uint64
	}{
		{"none", nil, 0, 0},
		{"v1 ops skip totals", []container.BlkioStatEntry{e("Read", 10), e("Write", 20), e("Sync", 25), e("Async", 5), e("Total", 30)}, 10, 20},
		{"v2 ops", []container.BlkioStatEntry{e("read", 7), e("write", 9), e("read", 1)}, 8, 9},
		{"discard is neither", []container.BlkioStatEntry{e("discard", 99)}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w := blkioBytes(container.BlkioStats{IoServiceBytesRecursive: tt.entries})
			if r != tt.read || w != tt.write {
				t.Fatalf("blkioBytes = %d, %d; want %d, %d", r, w, tt.read, tt.write)
			}
		})
	}

	nets := map[string]container.NetworkStats{
		"eth0": {RxBytes: 100, TxBytes: 1},
		"eth1": {RxBytes: 20, TxBytes: 2},
		"wg0":  {RxBytes: 3, TxBytes: 300},
	}
	if rx, tx := netBytes(nets); rx != 123 || tx != 303 {
		t.Fatalf("netBytes = %d, %d; want 123, 303", rx, tx)
	}
	if rx, tx := netBytes(nil); rx != 0 || tx != 0 {
		t.Fatalf("netBytes(nil) = %d, %d; want 0, 0", rx, tx)
	}
}

// TestRatesBetweenFrames follows two frames 2 s apart (by their read stamps).
func TestRatesBetweenFrames(t *testing.T) {
	_, c1 := figuresOf(loadFrame(t, "v1.json"), counters{})
	fig, c2 := figuresOf(loadFrame(t, "v1_next.json"), c1)
	var c model.Container
	fig.fill(&c)
	want := map[string]struct {
		got  *float64
		want float64
	}{
		"cpu":      {c.CPUPercent, 100},    // Δcpu 2 s of Δsystem 4 s on 2 CPUs
		"net rx":   {c.NetRxBps, 2000},     // 4000 B in 2 s
		"net tx":   {c.NetTxBps, 0},        // unchanged
		"blk read": {c.BlockReadBps, 4096}, // 8192 B in 2 s
		"blk wrt":  {c.BlockWriteBps, 0},   // unchanged
	}
	for name, w := range want {
		if w.got == nil || !near(*w.got, w.want) {
			t.Errorf("%s = %v; want %v", name, w.got, w.want)
		}
	}

	// A counter going backwards (a device or interface vanished) gives no
	// rate for that pair rather than a huge or negative one.
	back := c2
	back.netRx += 1 << 40
	back.blkWr += 1 << 40
	fig, _ = figuresOf(loadFrame(t, "v1_next.json"), counters{read: c1.read, netRx: back.netRx, blkWr: back.blkWr, valid: true})
	c = model.Container{}
	fig.fill(&c)
	if c.NetRxBps != nil || c.BlockWriteBps != nil {
		t.Errorf("rates after a counter reset = net %v, block %v; want nil", c.NetRxBps, c.BlockWriteBps)
	}

	// Same read stamp twice: no time passed, no rate.
	fig, _ = figuresOf(loadFrame(t, "v1.json"), c1)
	c = model.Container{}
	fig.fill(&c)
	if c.NetRxBps != nil {
		t.Errorf("rate with no elapsed time = %v; want nil", *c.NetRxBps)
	}
}

func TestStoppedFrameHasNoFigures(t *testing.T) {
	_, prev := figuresOf(loadFrame(t, "v1.json"), counters{})
	fig, cur := figuresOf(loadFrame(t, "stopped.json"), prev)
	var c model.Container
	fig.fill(&c)
	if c.CPUPercent != nil || c.MemUsageBytes != nil || c.PIDs != nil || cur.valid {
		t.Fatalf("figures of an empty frame: %+v, counters %+v; want none", c, cur)
	}
}

// TestResetFrameReuse decodes frames of different shapes into one value and
// checks nothing of an earlier frame leaks into a later one.
func TestResetFrameReuse(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "stats", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	stream := bytes.Join([][]byte{read("v1.json"), read("v2.json"), read("v1_cache_only.json")}, nil)
	dec := json.NewDecoder(bytes.NewReader(stream))
	var f container.StatsResponse
	for _, name := range []string{"v1.json", "v2.json", "v1_cache_only.json"} {
		resetFrame(&f)
		if err := dec.Decode(&f); err != nil {
			t.Fatal(err)
		}
		fresh := loadFrame(t, name)
		if a, b := memUsage(f.MemoryStats), memUsage(fresh.MemoryStats); a != b {
			t.Errorf("%s: reused memUsage %d, fresh %d", name, a, b)
		}
		if len(f.MemoryStats.Stats) != len(fresh.MemoryStats.Stats) {
			t.Errorf("%s: reused has %d memory keys, fresh %d", name, len(f.MemoryStats.Stats), len(fresh.MemoryStats.Stats))
		}
		ar, aw := blkioBytes(f.BlkioStats)
		br, bw := blkioBytes(fresh.BlkioStats)
		if ar != br || aw != bw {
			t.Errorf("%s: reused blkio %d/%d, fresh %d/%d", name, ar, aw, br, bw)
		}
		arx, atx := netBytes(f.Networks)
		brx, btx := netBytes(fresh.Networks)
		if arx != brx || atx != btx || len(f.Networks) != len(fresh.Networks) {
			t.Errorf("%s: reused net %d/%d (%d ifs), fresh %d/%d (%d ifs)", name, arx, atx, len(f.Networks), brx, btx, len(fresh.Networks))
		}
		if f.CPUStats.OnlineCPUs != fresh.CPUStats.OnlineCPUs || f.PidsStats != fresh.PidsStats {
			t.Errorf("%s: reused cpu/pids %d/%+v, fresh %d/%+v", name, f.CPUStats.OnlineCPUs, f.PidsStats, fresh.CPUStats.OnlineCPUs, fresh.PidsStats)
		}
	}
}

// BenchmarkDecodeFrame measures the client cost of one v1 frame from a
// stream, the work each stats stream does once per engine tick.
func BenchmarkDecodeFrame(b *testing.B) {
	one, err := os.ReadFile(filepath.Join("testdata", "stats", "v1.json"))
	if err != nil {
		b.Fatal(err)
	}
	dec := json.NewDecoder(&cycle{data: one})
	var f container.StatsResponse
	var prev counters
	b.ReportAllocs()
	b.SetBytes(int64(len(one)))
	for b.Loop() {
		resetFrame(&f)
		if err := dec.Decode(&f); err != nil {
			b.Fatal(err)
		}
		_, prev = figuresOf(&f, prev)
	}
}

// cycle reads data over and over, like an endless stats stream.
type cycle struct {
	data []byte
	off  int
}

func (c *cycle) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}
