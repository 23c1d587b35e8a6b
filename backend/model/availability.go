package model

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// SourceState is how a source of VMs or containers is doing.
type SourceState uint8

// The states a source can be in.
const (
	// Connecting: not heard from yet.
	Connecting SourceState = iota
	// Up: answered the last refresh; its list is current.
	Up
	// NotAnswering: silent since Availability.Since; its list is withheld
	// rather than shown with frozen figures.
	NotAnswering
	// Down: refused, absent or failing; Reason says why and what to do.
	Down
)

// String names the state as the JSON snapshot does.
func (s SourceState) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Up:
		return "up"
	case NotAnswering:
		return "not-answering"
	case Down:
		return "down"
	}
	return fmt.Sprintf("SourceState(%d)", uint8(s))
}

// MarshalText writes the state's name.
func (s SourceState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Availability is a source's state, why, and since when.
type Availability struct {
	State  SourceState `json:"state"`
	Reason string      `json:"error"`          // words for the user; "" when up
	Since  time.Time   `json:"since,omitzero"` // when the state began, where known
	// RetryAt is when a watching source tries again; zero when it will not
	// (or for a one-shot look, where nothing is retried).
	RetryAt time.Time `json:"-"`
}

// RetryIn says when the source tries again, seen at now: "in 4s", "now",
// or "" when it will not.
func (a Availability) RetryIn(now time.Time) string {
	if a.RetryAt.IsZero() {
		return ""
	}
	if d := a.RetryAt.Sub(now); d > 0 {
		return "in " + (time.Duration(math.Ceil(d.Seconds())) * time.Second).String()
	}
	return "now"
}

// IsUp reports whether the source's list is current.
func (a Availability) IsUp() bool { return a.State == Up }

// Available is an Up availability.
func Available() Availability { return Availability{State: Up} }

// Unavailable is a Down availability with the reason in words.
func Unavailable(reason string) Availability { return Availability{State: Down, Reason: reason} }

// ConnectingTo is the availability of a source not heard from yet.
func ConnectingTo(reason string) Availability {
	return Availability{State: Connecting, Reason: reason}
}

// Silent is the availability of a source, named by what (e.g. "libvirt at
// qemu:///system"), that last answered at since.
func Silent(what, hidden string, since, now time.Time) Availability {
	return Availability{
		State: NotAnswering,
		Since: since,
		Reason: fmt.Sprintf("%s has not answered since %s (%s); its %s are hidden until it answers",
			what, since.Format(time.TimeOnly), Elapsed(now.Sub(since)), hidden),
	}
}

// NeverAnswered is the availability of a source, named by what, asked
// since since and never heard from: there is no list, not an old one.
func NeverAnswered(what, hidden string, since, now time.Time) Availability {
	return Availability{
		State: NotAnswering,
		Since: since,
		Reason: fmt.Sprintf("%s has not answered since Horcrux began asking at %s (%s): no %s have been listed yet; Diagnose says why",
			what, since.Format(time.TimeOnly), Elapsed(now.Sub(since)), hidden),
	}
}

// Elapsed says a duration as Horcrux's messages do: whole seconds, or
// milliseconds below one.
func Elapsed(d time.Duration) string {
	if d >= time.Second {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}

// at names a source with its address when it is known.
func at(what, addr string) string {
	if addr == "" {
		return what
	}
	return what + " at " + addr
}

// withAvailable is the JSON object of a section with "available" first, as
// scripts read it since before the state had a name.
func withAvailable(up bool, section any) ([]byte, error) {
	b, err := json.Marshal(section)
	if err != nil || len(b) < 2 || b[0] != '{' {
		return b, err
	}
	head := []byte(`{"available":` + strconv.FormatBool(up))
	if len(b) > 2 {
		head = append(head, ',')
	}
	return append(head, b[1:]...), nil
}
