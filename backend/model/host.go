package model

import (
	"encoding/json"
	"time"
)

// Part names one independently measured group of host figures; a part that
// fails is reported on its own while the others are still shown.
type Part string

// The parts of a host measurement.
const (
	PartCPU    Part = "cpu"
	PartMemory Part = "memory"
	PartSwap   Part = "swap"
	PartLoad   Part = "load"
	PartDisk   Part = "disk"
	PartNet    Part = "net"
	PartUptime Part = "uptime"
)

// Gap is why one part of the host figures is missing.
type Gap struct {
	Reason string // in words
	// Settling marks the expected gaps: a rate waits for its second sample,
	// at start or after a counter reset. The view says "measuring" instead
	// of showing a problem.
	Settling bool
}

// HostStats is one measured look at the host with rates over the last
// interval. Figures of a part listed in Missing are zero and must not be shown.
type HostStats struct {
	Time     time.Time
	Hostname string

	CPUPercent        float64
	CPUPerCorePercent []float64

	MemTotal, MemUsed, MemAvailable uint64
	MemFree                         uint64 // neither used nor cache or buffers
	SwapTotal, SwapUsed             uint64

	Load1, Load5, Load15 float64

	DiskReadBps, DiskWriteBps float64
	NetRxBps, NetTxBps        float64

	UptimeSeconds uint64

	// Missing maps each part without figures to why.
	Missing map[Part]Gap
}

// Has reports whether the figures of part p were measured.
func (s *HostStats) Has(p Part) bool {
	_, missing := s.Missing[p]
	return !missing
}

// Failed returns the parts missing for a reason other than settling, with
// their reasons: what the view shows as a problem.
func (s *HostStats) Failed() map[Part]string {
	var out map[Part]string
	for p, g := range s.Missing {
		if g.Settling {
			continue
		}
		if out == nil {
			out = make(map[Part]string)
		}
		out[p] = g.Reason
	}
	return out
}

// wireHostStats is the public JSON shape of HostStats (see README): a part
// that was not measured is null rather than a made-up zero.
type wireHostStats struct {
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
func (s HostStats) MarshalJSON() ([]byte, error) {
	w := wireHostStats{Hostname: s.Hostname}
	if len(s.Missing) > 0 {
		w.Errors = make(map[Part]string, len(s.Missing))
		for p, g := range s.Missing {
			w.Errors[p] = g.Reason
		}
	}
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
