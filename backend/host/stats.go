package host

import (
	"encoding/json"
	"time"
)

// Stats is one measured look at the host with rates over the last interval.
// Figures of a part listed in Missing are zero and must not be shown.
type Stats struct {
	Time     time.Time
	Hostname string

	CPUPercent        float64
	CPUPerCorePercent []float64

	MemTotal, MemUsed, MemAvailable uint64
	SwapTotal, SwapUsed             uint64

	Load1, Load5, Load15 float64

	DiskReadBps, DiskWriteBps float64
	NetRxBps, NetTxBps        float64

	UptimeSeconds uint64

	// Missing maps each part without figures to the reason, in words.
	Missing map[Part]string
}

// Has reports whether the figures of part p were measured.
func (s *Stats) Has(p Part) bool {
	_, missing := s.Missing[p]
	return !missing
}

// wireStats is the public JSON shape of Stats (see README): a part that was
// not measured is null rather than a made-up zero.
type wireStats struct {
	Hostname          string          `json:"hostname"`
	CPUPercent        *float64        `json:"cpu_percent"`
	CPUPerCorePercent []float64       `json:"cpu_per_core_percent"`
	MemTotal          *uint64         `json:"mem_total_bytes"`
	MemUsed           *uint64         `json:"mem_used_bytes"`
	MemAvailable      *uint64         `json:"mem_available_bytes"`
	SwapTotal         *uint64         `json:"swap_total_bytes"`
	SwapUsed          *uint64         `json:"swap_used_bytes"`
	Load1             *float64        `json:"load1"`
	Load5             *float64        `json:"load5"`
	Load15            *float64        `json:"load15"`
	DiskRead          *float64        `json:"disk_read_bytes_per_sec"`
	DiskWrite         *float64        `json:"disk_write_bytes_per_sec"`
	NetRx             *float64        `json:"net_rx_bytes_per_sec"`
	NetTx             *float64        `json:"net_tx_bytes_per_sec"`
	Uptime            *uint64         `json:"uptime_seconds"`
	Errors            map[Part]string `json:"errors,omitempty"`
}

// MarshalJSON writes the documented snapshot shape.
func (s Stats) MarshalJSON() ([]byte, error) {
	w := wireStats{Hostname: s.Hostname, Errors: s.Missing}
	if s.Has(PartCPU) {
		w.CPUPercent, w.CPUPerCorePercent = &s.CPUPercent, s.CPUPerCorePercent
	}
	if s.Has(PartMemory) {
		w.MemTotal, w.MemUsed, w.MemAvailable = &s.MemTotal, &s.MemUsed, &s.MemAvailable
	}
	if s.Has(PartSwap) {
		w.SwapTotal, w.SwapUsed = &s.SwapTotal, &s.SwapUsed
	}
	if s.Has(PartLoad) {
		w.Load1, w.Load5, w.Load15 = &s.Load1, &s.Load5, &s.Load15
	}
	if s.Has(PartDisk) {
		w.DiskRead, w.DiskWrite = &s.DiskReadBps, &s.DiskWriteBps
	}
	if s.Has(PartNet) {
		w.NetRx, w.NetTx = &s.NetRxBps, &s.NetTxBps
	}
	if s.Has(PartUptime) {
		w.Uptime = &s.UptimeSeconds
	}
	return json.Marshal(w)
}
