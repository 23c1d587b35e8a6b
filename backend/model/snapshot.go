package model

import (
	"strconv"
	"time"
)

// Snapshot is everything Horcrux knows at one moment. It is never modified
// after it is handed out, so views may keep and read it on any goroutine.
type Snapshot struct {
	Time time.Time
	Host HostStats
	// HostLate is set while the host sample is overdue (a read stuck in the
	// kernel): the figures above are from HostLate.Since.
	HostLate Availability
	Charts   *HostCharts

	// VMs and Containers hold one section per registered host, in the
	// registry's order.
	VMs        []VMSection
	Containers []ContainerSection
	// VMCharts and ContainerCharts hold the history of the selected VM and
	// container; nil when none is selected.
	VMCharts        *ItemCharts
	ContainerCharts *ItemCharts
	// Versions counts the changes of each part, so a view skips the work
	// when the part it shows did not change.
	Versions Versions
}

// HostIsLate reports whether the host figures are older than they should be.
func (s *Snapshot) HostIsLate() bool { return s.HostLate.State == NotAnswering }

// Versions numbers each part of a Snapshot; a number changes only when its
// part did.
type Versions struct {
	Host, Charts              uint64
	VMs, Containers           uint64
	VMCharts, ContainerCharts uint64
}

// HostCharts is the host history over one time window, oldest first, one
// value per step. NaN marks a moment without a measurement; a chart draws it
// as a gap rather than a made-up value.
type HostCharts struct {
	Window time.Duration
	Step   time.Duration

	CPU                  []float64   // percent
	PerCore              [][]float64 // percent, one series per core
	MemUsed, SwapUsed    []float64   // bytes
	MemFree              []float64   // bytes neither used nor cache or buffers
	MemTotal, SwapTotal  float64     // bytes, latest known (0 if unknown)
	Load1, Load5, Load15 []float64
	DiskRead, DiskWrite  []float64 // bytes/s
	NetRx, NetTx         []float64 // bytes/s
}

// ItemCharts is the recent history of one VM or container, oldest first,
// NaN where nothing was measured. Series a kind does not have are nil.
type ItemCharts struct {
	ID     string // ItemKey of the VM or container
	Window time.Duration
	Step   time.Duration

	CPU                 []float64 // percent of one core
	Mem                 []float64 // bytes (containers)
	DiskRead, DiskWrite []float64 // bytes/s
	NetRx, NetTx        []float64 // bytes/s
	// GuestFS is each guest filesystem's use in percent, by mount point
	// (VMs with a guest agent); NaN while the facts are missing.
	GuestFS []NamedSeries
}

// NamedSeries is one chart line of a series a VM has several of.
type NamedSeries struct {
	Name   string
	Values []float64
}

// ItemKey names one VM or container across hosts: the host's index in the
// registry and the UUID or ID.
func ItemKey(host int, id string) string { return strconv.Itoa(host) + "/" + id }
