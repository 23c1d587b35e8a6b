// Package container lists the containers of a Docker (or Podman) engine with
// their live resource figures, and starts, stops and removes them.
//
// Stats come from one streaming stats request per running container, as
// `docker stats` does: dockerd answers every stats call on its 1 s collector
// tick, so asking for each container in turn would take a second per
// container. Poll only lists and merges the latest figures of the streams.
package container

import (
	"fmt"
	"time"
)

// Container is one container as the UI shows it. Figures are nil when they
// are unknown: the container is neither running nor paused, or its stats
// stream has not delivered yet (memory and PIDs need one engine tick, about
// 1 s after the container is first seen; CPU and rates need two). Paused
// containers keep their figures, as in docker stats (CPU 0).
type Container struct {
	ID     string `json:"id"`     // full 64-hex engine ID; Act and Logs take it
	Name   string `json:"name"`   // without the leading "/"
	Image  string `json:"image"`  // as the engine lists it (the name it was run with)
	State  string `json:"state"`  // created, running, paused, restarting, removing, exited, dead
	Status string `json:"status"` // the engine's words: "Up 5 minutes", "Exited (0) 2 hours ago"

	CPUPercent    *float64 `json:"cpu_percent"`               // percent of one core, as docker stats (200 = two cores)
	MemUsageBytes *uint64  `json:"mem_usage_bytes"`           // usage minus inactive page cache, as docker stats
	MemLimitBytes *uint64  `json:"mem_limit_bytes"`           // the cgroup limit, or the host's memory when unlimited
	NetRxBps      *float64 `json:"net_rx_bytes_per_sec"`      // all interfaces; 0 with --network=none
	NetTxBps      *float64 `json:"net_tx_bytes_per_sec"`      // all interfaces
	BlockReadBps  *float64 `json:"block_read_bytes_per_sec"`  // all block devices
	BlockWriteBps *float64 `json:"block_write_bytes_per_sec"` // all block devices
	PIDs          *uint64  `json:"pids"`                      // processes and threads in the container

	// StartedAt is when the current run began; zero unless running or paused.
	// The omitzero tag (Go 1.24+) leaves a zero time out of the JSON.
	StartedAt    time.Time `json:"started_at,omitzero"`
	ExitCode     int       `json:"exit_code"`     // of the last run; 0 while running
	RestartCount int       `json:"restart_count"` // restarts by the engine's restart policy
}

// Section is the container part of a snapshot: what one engine holds, or why
// it cannot be shown.
type Section struct {
	Host      string      `json:"host"`      // the engine address used, e.g. unix:///var/run/docker.sock
	Available bool        `json:"available"` // false: Items is empty and Error says why
	Error     string      `json:"error"`     // what failed and what to do, in words
	Engine    string      `json:"engine"`    // "Docker 20.10.24 (API 1.41)", "Podman 4.3.1 (API 1.41)"
	Items     []Container `json:"items"`     // sorted by name; never nil when Available
	// NotAnsweringSince is when the engine last answered, set while it is
	// silent; the list is withheld then rather than shown as current.
	NotAnsweringSince time.Time `json:"not_answering_since,omitzero"`
}

// NotAnswering is the section of an engine that has been silent since
// since: no list, so that old figures are never shown as current.
func NotAnswering(host string, since, now time.Time) Section {
	return Section{
		Host:              host,
		Error:             fmt.Sprintf("the container engine%s has not answered since %s (%s); its containers are hidden until it answers", at(host), since.Format(time.TimeOnly), now.Sub(since).Round(time.Second)),
		NotAnsweringSince: since,
	}
}

// Config says which engine to watch.
type Config struct {
	// Host is the engine address: unix:///path or tcp://host:port. Empty
	// means DOCKER_HOST (with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH), else the
	// default socket unix:///var/run/docker.sock.
	Host string
}

// at names an address in a sentence when it is known.
func at(addr string) string {
	if addr == "" {
		return ""
	}
	return " at " + addr
}
