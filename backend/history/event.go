package history

import "time"

// EventKind says what an event is about.
type EventKind string

// The kinds of event on the timeline.
const (
	EventVM        EventKind = "vm"        // lifecycle: started, stopped, paused, resumed, crashed, defined, undefined
	EventContainer EventKind = "container" // created, started, died (exit code), oom, restarted, removed
	EventAlert     EventKind = "alert"     // raised, cleared
	EventConsole   EventKind = "console"   // opened, closed
	EventHorcrux   EventKind = "horcrux"   // started, stopped
)

// Event is one thing that happened, on the same timeline as the series.
type Event struct {
	Time   time.Time `json:"time"`
	Kind   EventKind `json:"kind"`
	Action string    `json:"action"`
	Item   string    `json:"item,omitempty"` // series key of the VM or container, if any
	Name   string    `json:"name,omitempty"` // its name then
	Detail string    `json:"detail,omitempty"`
	// ExitCode is set for a container that died.
	ExitCode *int `json:"exit_code,omitempty"`
}
