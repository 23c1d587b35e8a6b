package vm

import "libvirt.org/go/libvirt"

// State is a domain's state as text, as virsh prints it without spaces.
type State string

// The states a domain can be in.
const (
	StateRunning     State = "running"
	StateBlocked     State = "blocked"
	StatePaused      State = "paused"
	StateShutdown    State = "shutdown"
	StateShutoff     State = "shutoff"
	StateCrashed     State = "crashed"
	StatePMSuspended State = "pmsuspended"
	StateNoState     State = "nostate"
)

// stateOf names a libvirt domain state; unknown numbers from a newer libvirt
// become StateNoState rather than a made-up name.
func stateOf(s libvirt.DomainState) State {
	switch s {
	case libvirt.DOMAIN_RUNNING:
		return StateRunning
	case libvirt.DOMAIN_BLOCKED:
		return StateBlocked
	case libvirt.DOMAIN_PAUSED:
		return StatePaused
	case libvirt.DOMAIN_SHUTDOWN:
		return StateShutdown
	case libvirt.DOMAIN_SHUTOFF:
		return StateShutoff
	case libvirt.DOMAIN_CRASHED:
		return StateCrashed
	case libvirt.DOMAIN_PMSUSPENDED:
		return StatePMSuspended
	}
	return StateNoState
}

// active reports whether a domain in this state has a live process and so
// live counters.
func (s State) active() bool {
	return s != StateShutoff && s != StateNoState
}

// Action is a lifecycle operation a user can ask for.
type Action int

// The lifecycle actions, in menu order.
const (
	Start Action = iota
	Shutdown
	Reboot
	ForceOff
	Pause
	Resume
)

// String gives the action in words for menus and error messages.
func (a Action) String() string {
	switch a {
	case Start:
		return "start"
	case Shutdown:
		return "shut down"
	case Reboot:
		return "reboot"
	case ForceOff:
		return "force off"
	case Pause:
		return "pause"
	case Resume:
		return "resume"
	}
	return "unknown action"
}

// AppliesTo reports whether the action makes sense for a domain in state s,
// so the UI can enable only the buttons libvirt would accept.
func (a Action) AppliesTo(s State) bool {
	switch a {
	case Start:
		return s == StateShutoff || s == StateCrashed
	case Shutdown, Reboot:
		// A paused or suspended guest cannot see an ACPI request.
		return s == StateRunning || s == StateBlocked
	case ForceOff:
		return s.active()
	case Pause:
		return s == StateRunning || s == StateBlocked
	case Resume:
		return s == StatePaused || s == StatePMSuspended
	}
	return false
}
