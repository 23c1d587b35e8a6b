package model

import (
	"strconv"
	"time"
)

// Container is one container as the UI shows it. Figures are nil when they
// are unknown: the container is neither running nor paused, or its stats
// stream has not delivered yet (memory and PIDs need one engine tick, about
// 1 s after the container is first seen; CPU and rates need two). Paused
// containers keep their figures, as in docker stats (CPU 0).
type Container struct {
	ID     string `json:"id"`     // full 64-hex engine ID; actions and logs take it
	Name   string `json:"name"`   // without the leading "/"
	Image  string `json:"image"`  // as the engine lists it (the name it was run with)
	State  string `json:"state"`  // created, running, paused, restarting, removing, exited, dead
	Status string `json:"status"` // the engine's words: "Up 5 minutes", "Exited (0) 2 hours ago"
	// Command is what the container runs, as the engine lists it.
	Command string `json:"command,omitempty"`
	// Ports are the container's published and exposed ports, from the list.
	Ports []ContainerPort `json:"ports,omitempty"`
	// Health is the health check's verdict: starting, healthy or unhealthy;
	// "" when the image defines no check (or it was not inspected yet).
	Health string `json:"health,omitempty"`

	CPUPercent    *float64 `json:"cpu_percent"`               // percent of one core, as docker stats (200 = two cores)
	MemUsageBytes *uint64  `json:"mem_usage_bytes"`           // usage minus inactive page cache, as docker stats
	MemLimitBytes *uint64  `json:"mem_limit_bytes"`           // the cgroup limit, or the host's memory when unlimited
	NetRxBps      *float64 `json:"net_rx_bytes_per_sec"`      // all interfaces; 0 with --network=none
	NetTxBps      *float64 `json:"net_tx_bytes_per_sec"`      // all interfaces
	BlockReadBps  *float64 `json:"block_read_bytes_per_sec"`  // all block devices
	BlockWriteBps *float64 `json:"block_write_bytes_per_sec"` // all block devices
	PIDs          *uint64  `json:"pids"`                      // processes and threads in the container

	// StartedAt is when the current run began; zero unless running or paused.
	StartedAt    time.Time `json:"started_at,omitzero"`
	ExitCode     int       `json:"exit_code"`     // of the last run; 0 while running
	RestartCount int       `json:"restart_count"` // restarts by the engine's restart policy
}

// ContainerPort is one port of a container: published on the host at
// HostIP:Public when Public is not 0, else only exposed.
type ContainerPort struct {
	HostIP  string `json:"host_ip,omitempty"`
	Public  uint16 `json:"public,omitempty"`
	Private uint16 `json:"private"`
	Proto   string `json:"proto"` // tcp, udp or sctp
}

// ContainerSection is what one container engine holds, or why it cannot be
// shown. Items is non-nil only while the source is Up; treat it as read-only.
type ContainerSection struct {
	Host string `json:"host"` // the engine address used, e.g. unix:///var/run/docker.sock
	Availability
	Engine string      `json:"engine"` // "Docker 20.10.24 (API 1.41)", "Podman 4.3.1 (API 1.41)"
	Items  []Container `json:"items"`  // sorted by name
}

// MarshalJSON adds "available", true while the list is current.
func (s ContainerSection) MarshalJSON() ([]byte, error) {
	type plain ContainerSection
	return withAvailable(s.IsUp(), plain(s))
}

// ContainersNotAnswering is the section of an engine that has been silent
// since since: no list, so that old figures are never shown as current.
func ContainersNotAnswering(host string, since, now time.Time) ContainerSection {
	return ContainerSection{Host: host, Availability: Silent(at("the container engine", host), "containers", since, now)}
}

// ContainersNeverAnswered is the section of an engine asked since since
// that never answered.
func ContainersNeverAnswered(host string, since, now time.Time) ContainerSection {
	return ContainerSection{Host: host, Availability: NeverAnswered(at("the container engine", host), "containers", since, now)}
}

// ContainerAction is something the user can do to a container.
type ContainerAction int

// The actions, in the order a toolbar shows them. Zero is no action so a
// forgotten field cannot remove a container.
const (
	StartContainer ContainerAction = iota + 1
	StopContainer
	RestartContainer
	PauseContainer
	UnpauseContainer
	RemoveContainer // forced: a running container is killed first
)

// ContainerActions lists every action, for building menus.
func ContainerActions() []ContainerAction {
	return []ContainerAction{StartContainer, StopContainer, RestartContainer, PauseContainer, UnpauseContainer, RemoveContainer}
}

// String returns the action as a lower-case verb ("start").
func (a ContainerAction) String() string {
	switch a {
	case StartContainer:
		return "start"
	case StopContainer:
		return "stop"
	case RestartContainer:
		return "restart"
	case PauseContainer:
		return "pause"
	case UnpauseContainer:
		return "unpause"
	case RemoveContainer:
		return "remove"
	}
	return "ContainerAction(" + strconv.Itoa(int(a)) + ")"
}

// AppliesTo reports whether the engine accepts the action for a container in
// the given state, so the UI can disable the others.
func (a ContainerAction) AppliesTo(state string) bool {
	switch a {
	case StartContainer:
		return state == "created" || state == "exited"
	case StopContainer:
		// Stopping a restarting container is how a restart loop is broken.
		return state == "running" || state == "paused" || state == "restarting"
	case RestartContainer:
		return state == "running" || state == "paused" || state == "exited" || state == "created"
	case PauseContainer:
		return state == "running"
	case UnpauseContainer:
		return state == "paused"
	case RemoveContainer:
		return state != "removing" && state != ""
	}
	return false
}
