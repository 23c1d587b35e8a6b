package model

import "time"

// Process is one process of the host as the Host tab lists it.
type Process struct {
	PID  int32  `json:"pid"`
	Name string `json:"name"` // the kernel's name for it (comm), at most 15 bytes
	// CPUPercent is its CPU use since the previous read, in percent of one
	// core (200 is two cores busy); nil on the first read.
	CPUPercent *float64 `json:"cpu_percent"`
	RSSBytes   uint64   `json:"rss_bytes"` // resident memory
}

// Processes is one read of the host's processes: the busiest by CPU and
// the largest by resident memory.
type Processes struct {
	Time     time.Time `json:"time"`
	Count    int       `json:"count"`   // processes listed
	Skipped  int       `json:"skipped"` // ended while read, or unreadable
	ByCPU    []Process `json:"by_cpu"`  // nil on the first read: CPU use needs two
	ByMemory []Process `json:"by_memory"`
}

// Filesystem is one mounted filesystem of the host with its use.
type Filesystem struct {
	Mount      string `json:"mount"`
	Device     string `json:"device"`
	Type       string `json:"type"`
	TotalBytes uint64 `json:"total_bytes"`
	UsedBytes  uint64 `json:"used_bytes"`
	FreeBytes  uint64 `json:"free_bytes"` // available to unprivileged users
	// Err says why the use is unknown ("not answering" for a hung network
	// mount); the byte counts are then 0.
	Err string `json:"error,omitempty"`
}
