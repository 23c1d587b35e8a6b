package history

import "time"

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
		return []string{MetricCPU, MetricMem, MetricSwap, MetricLoad1, MetricLoad5, MetricLoad15,
			MetricDiskRead, MetricDiskWrite, MetricNetRx, MetricNetTx}
	case KindVM, KindContainer:
		return []string{MetricCPU, MetricMem, MetricDiskRead, MetricDiskWrite, MetricNetRx, MetricNetTx}
	}
	return nil
}
