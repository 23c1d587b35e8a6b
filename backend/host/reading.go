// Package host measures the machine Horcrux runs on: CPU, memory, swap,
// load, disk and network I/O, and uptime.
package host

import (
	"context"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// CPUTime is cumulative CPU time in seconds: Busy of Total.
type CPUTime struct {
	Busy, Total float64
}

// Reading is one raw look at the host: gauges as they are and counters as
// cumulative totals. Rates need two readings; see Sampler.
type Reading struct {
	Time     time.Time
	Hostname string

	CPU     CPUTime
	PerCore []CPUTime

	MemTotal, MemUsed, MemAvailable uint64
	MemFree                         uint64 // neither used nor cache or buffers
	SwapTotal, SwapUsed             uint64

	Load1, Load5, Load15 float64

	DiskReadBytes, DiskWriteBytes uint64 // physical disks, summed
	NetRxBytes, NetTxBytes        uint64 // physical interfaces, summed

	UptimeSeconds uint64

	// Errs holds the parts that could not be read; their fields are zero.
	Errs map[model.Part]error
}

// Reader takes one Reading. It is the I/O boundary of the host collector,
// so tests can feed readings without touching /proc.
type Reader interface {
	Read(ctx context.Context) Reading
}
