package model

import (
	"time"
)

// Machine is one libvirt domain as the VM list shows it. A nil figure means
// "not measured" (first sample, domain not running, driver without counters).
type Machine struct {
	Name          string   `json:"name"`                     // domain name
	UUID          string   `json:"uuid"`                     // stable key; actions take it
	State         VMState  `json:"state"`                    // lifecycle state
	VCPUs         int      `json:"vcpus"`                    // current vCPUs, from the domain XML
	MemoryBytes   uint64   `json:"memory_bytes"`             // balloon size when known, else current memory
	CPUPercent    *float64 `json:"cpu_percent"`              // percent of one host core (200 = two cores)
	DiskReadBps   *float64 `json:"disk_read_bytes_per_sec"`  // summed over disks
	DiskWriteBps  *float64 `json:"disk_write_bytes_per_sec"` // summed over disks
	NetRxBps      *float64 `json:"net_rx_bytes_per_sec"`     // summed over interfaces
	NetTxBps      *float64 `json:"net_tx_bytes_per_sec"`     // summed over interfaces
	UptimeSeconds *float64 `json:"uptime_seconds"`           // since the local QEMU process started
	VNC           bool     `json:"vnc"`                      // has a VNC graphics device
	SPICE         bool     `json:"spice"`                    // has a SPICE graphics device
	Serial        bool     `json:"serial"`                   // has a serial or text console device
	// Guest is what the running guest says about itself (nil while the
	// domain is not running or before the first background read).
	// Shared between snapshots: treat it as read-only.
	Guest *GuestFacts `json:"guest"`
}

// VMSection is one refresh of one libvirt host's VM list. Items is non-nil
// only while the source is Up; treat it as read-only.
type VMSection struct {
	URI string `json:"uri"` // the URI used, or tried while not up
	Availability
	Items []Machine `json:"items"` // sorted by name
	// Notice is something the user should know about a working list: that
	// it is a fallback (qemu:///session) because the first URI refused.
	Notice string `json:"notice,omitempty"`
}

// MarshalJSON adds "available", true while the list is current.
func (s VMSection) MarshalJSON() ([]byte, error) {
	type plain VMSection
	return withAvailable(s.IsUp(), plain(s))
}

// VMsNotAnswering is the section of a libvirt that has been silent since
// since: no list, so that old figures are never shown as current.
func VMsNotAnswering(uri string, since, now time.Time) VMSection {
	return VMSection{URI: uri, Availability: Silent(at("libvirt", uri), "VMs", since, now)}
}

// VMsNeverAnswered is the section of a libvirt asked since since that
// never answered.
func VMsNeverAnswered(uri string, since, now time.Time) VMSection {
	return VMSection{URI: uri, Availability: NeverAnswered(at("libvirt", uri), "VMs", since, now)}
}

// VMState is a domain's state as text, as virsh prints it without spaces.
type VMState string

// The states a domain can be in.
const (
	VMRunning     VMState = "running"
	VMBlocked     VMState = "blocked"
	VMPaused      VMState = "paused"
	VMShutdown    VMState = "shutdown"
	VMShutoff     VMState = "shutoff"
	VMCrashed     VMState = "crashed"
	VMPMSuspended VMState = "pmsuspended"
	VMNoState     VMState = "nostate"
)

// Active reports whether a domain in this state has a live process and so
// live counters.
func (s VMState) Active() bool {
	return s != VMShutoff && s != VMNoState
}

// VMAction is a lifecycle operation a user can ask for.
type VMAction int

// The lifecycle actions, in menu order.
const (
	StartVM VMAction = iota
	ShutDownVM
	RebootVM
	ForceOffVM
	PauseVM
	ResumeVM
)

// VMActions lists every action, in menu order.
func VMActions() []VMAction {
	return []VMAction{StartVM, ShutDownVM, RebootVM, ForceOffVM, PauseVM, ResumeVM}
}

// String gives the action in words for menus and error messages.
func (a VMAction) String() string {
	switch a {
	case StartVM:
		return "start"
	case ShutDownVM:
		return "shut down"
	case RebootVM:
		return "reboot"
	case ForceOffVM:
		return "force off"
	case PauseVM:
		return "pause"
	case ResumeVM:
		return "resume"
	}
	return "unknown action"
}

// AppliesTo reports whether the action makes sense for a domain in state s,
// so the UI can enable only the buttons libvirt would accept.
func (a VMAction) AppliesTo(s VMState) bool {
	switch a {
	case StartVM:
		return s == VMShutoff || s == VMCrashed
	case ShutDownVM, RebootVM:
		// A paused or suspended guest cannot see an ACPI request.
		return s == VMRunning || s == VMBlocked
	case ForceOffVM:
		return s.Active()
	case PauseVM:
		return s == VMRunning || s == VMBlocked
	case ResumeVM:
		return s == VMPaused || s == VMPMSuspended
	}
	return false
}
