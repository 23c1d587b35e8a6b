package container

import "strconv"

// Action is something the user can do to a container.
type Action int

// The actions, in the order a toolbar shows them. Zero is no action so a
// forgotten field cannot remove a container.
const (
	Start Action = iota + 1
	Stop
	Restart
	Pause
	Unpause
	Remove // forced: a running container is killed first
)

// Actions lists every action, for building menus.
func Actions() []Action { return []Action{Start, Stop, Restart, Pause, Unpause, Remove} }

// String returns the action as a lower-case verb ("start").
func (a Action) String() string {
	switch a {
	case Start:
		return "start"
	case Stop:
		return "stop"
	case Restart:
		return "restart"
	case Pause:
		return "pause"
	case Unpause:
		return "unpause"
	case Remove:
		return "remove"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// AppliesTo reports whether the engine accepts the action for a container in
// the given state, so the UI can disable the others.
func (a Action) AppliesTo(state string) bool {
	switch a {
	case Start:
		return state == "created" || state == "exited"
	case Stop:
		// Stopping a restarting container is how a restart loop is broken.
		return state == "running" || state == "paused" || state == "restarting"
	case Restart:
		return state == "running" || state == "paused" || state == "exited" || state == "created"
	case Pause:
		return state == "running"
	case Unpause:
		return state == "paused"
	case Remove:
		return state != "removing" && state != ""
	}
	return false
}
