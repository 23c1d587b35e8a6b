package history

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is what an item is.
type Kind string

// The kinds of item the store records.
const (
	KindHost      Kind = "host"
	KindVM        Kind = "vm"
	KindContainer Kind = "container"
)

// HostItem is the key of the host's own series.
const HostItem = "host"

// VMItem is the key of a VM's series: its UUID, stable across renames.
func VMItem(uuid string) string { return "vm/" + uuid }

// ContainerItem is the key of a container's series: its engine ID.
func ContainerItem(id string) string { return "container/" + id }

// Item is what the store knows of one host, VM or container, kept after the
// item is gone so deleted machines and containers stay browsable.
type Item struct {
	Key   string    `json:"key"`
	Kind  Kind      `json:"kind"`
	Name  string    `json:"name"`  // last name seen
	Where string    `json:"where"` // the libvirt URI or engine address it was seen through
	First time.Time `json:"first"` // first sample
	Last  time.Time `json:"last"`  // latest sample
}

// The metric names of the series, as the CLI and JSON show them.
const (
	MetricCPU       = "cpu_percent"
	MetricMem       = "mem_bytes"
	MetricMemCache  = "mem_cache_bytes" // host: cache and buffers, what the kernel gives back on demand
	MetricMemFree   = "mem_free_bytes"  // host: neither used nor cache or buffers
	MetricSwap      = "swap_used_bytes"
	MetricLoad1     = "load1"
	MetricLoad5     = "load5"
	MetricLoad15    = "load15"
	MetricDiskRead  = "disk_read_bytes_per_sec"
	MetricDiskWrite = "disk_write_bytes_per_sec"
	MetricNetRx     = "net_rx_bytes_per_sec"
	MetricNetTx     = "net_tx_bytes_per_sec"
)

// Metrics lists the series each kind has, in display order.
func Metrics(k Kind) []string {
	switch k {
	case KindHost:
		return []string{MetricCPU, MetricMem, MetricMemCache, MetricMemFree, MetricSwap, MetricLoad1, MetricLoad5, MetricLoad15,
			MetricDiskRead, MetricDiskWrite, MetricNetRx, MetricNetTx}
	case KindVM, KindContainer:
		return []string{MetricCPU, MetricMem, MetricDiskRead, MetricDiskWrite, MetricNetRx, MetricNetTx}
	}
	return nil
}

// MetricCore is the series of the host's core i (from 0), named as the
// kernel and the live charts name cores: "cpu0_percent".
func MetricCore(i int) string { return "cpu" + strconv.Itoa(i) + "_percent" }

// CoreOf is the core a MetricCore series is of; ok is false for any other
// metric.
func CoreOf(metric string) (core int, ok bool) {
	n, pre := strings.CutPrefix(metric, "cpu")
	n, suf := strings.CutSuffix(n, "_percent")
	if !pre || !suf || n == "" || n[0] < '0' || n[0] > '9' || len(n) > 1 && n[0] == '0' {
		return 0, false // not a number, or not as MetricCore writes it
	}
	i, err := strconv.Atoi(n)
	return i, err == nil
}

// MetricsOf lists an item's series in display order: those of its kind,
// then its per-core series (the host's; how many depends on the machine)
// by core.
func (s *Store) MetricsOf(key string, kind Kind) []string {
	var cores []int
	s.mu.Lock()
	for n := range s.series {
		if c, ok := CoreOf(n.metric); ok && n.item == key {
			cores = append(cores, c)
		}
	}
	s.mu.Unlock()
	slices.Sort(cores)
	out := Metrics(kind)
	for _, c := range cores {
		out = append(out, MetricCore(c))
	}
	return out
}
