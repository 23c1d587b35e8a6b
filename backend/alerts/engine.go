// Package alerts turns the stream of snapshots into alert episodes: host CPU,
// memory or load staying high, a VM that stops without being asked to, a
// container that exits with an error or keeps restarting. Each episode is
// raised once and resolved once, so the app notifies once, not every second.
//
// The package is pure logic: the app shows the alerts (notification, banner)
// and stores the Thresholds.
package alerts

import (
	"cmp"
	"slices"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Kinds of things the app can Expect to stop.
const (
	KindVM        = "vm"        // id is the VM UUID
	KindContainer = "container" // id is the container ID
)

// clearFraction is the hysteresis of host figures: an episode ends only
// once the figure is 5 % below its threshold, so a value hovering around the
// threshold does not open and close episodes every second.
const clearFraction = 0.95

// maxRises bounds the restart times kept per container.
const maxRises = 64

// Alert is one episode, as raised or as resolved.
type Alert struct {
	Key      string    // identifies the episode: "host/cpu", "vm/<uuid>/stopped", "vm/<uuid>/fs:<mount>", "container/<id>/exited"
	Title    string    // short, for a notification title or the banner
	Body     string    // one or two sentences with the figures
	Since    time.Time // when the episode began
	Resolved bool      // true in the list of resolved alerts
}

// Engine follows snapshots and keeps the open episodes. It is owned by one
// goroutine: call all its methods from the same one (the UI goroutine in
// the app, where Expect and the settings dialog run too).
type Engine struct {
	t      Thresholds
	active map[string]Alert
	// above holds, per host figure key, when it went above its threshold
	// in the episode not yet raised.
	above  map[string]time.Time
	expect map[string]time.Time // kind/id -> until
	vms    map[string]vmTrack   // by UUID
	cts    map[string]*ctTrack  // by ID
	queued []Alert              // resolutions from SetThresholds, for the next Observe
	// seen are the section versions last checked: an unchanged list has
	// nothing new to say (0 means unnumbered, always checked).
	seen model.Versions
}

// NewEngine returns an Engine with no episode open.
func NewEngine(t Thresholds) *Engine {
	return &Engine{
		t:      t.withDefaults(),
		active: make(map[string]Alert),
		above:  make(map[string]time.Time),
		expect: make(map[string]time.Time),
		vms:    make(map[string]vmTrack),
		cts:    make(map[string]*ctTrack),
	}
}

// SetThresholds changes the settings. Episodes of checks turned off end
// and are reported as resolved by the next Observe.
func (e *Engine) SetThresholds(t Thresholds) {
	e.t = t.withDefaults()
	off := func(keyMatches func(string) bool, why string) {
		for key, a := range e.active {
			if keyMatches(key) {
				delete(e.active, key)
				a.Resolved, a.Body = true, why
				e.queued = append(e.queued, a)
			}
		}
	}
	const turnedOff = "This alert was turned off in the settings."
	for _, f := range hostChecks() {
		if f.limit(&e.t) <= 0 {
			delete(e.above, f.key)
			off(func(k string) bool { return k == f.key }, turnedOff)
		}
	}
	if !e.t.VMStopped {
		off(func(k string) bool { return hasKind(k, KindVM, suffixStopped) }, turnedOff)
	}
	if e.t.GuestFSPercent <= 0 {
		off(isGuestFSKey, turnedOff)
	}
	if !e.t.ContainerExit {
		off(func(k string) bool { return hasKind(k, KindContainer, suffixExited) }, turnedOff)
	}
	if e.t.ContainerRestarts <= 0 {
		off(func(k string) bool { return hasKind(k, KindContainer, suffixRestarting) }, turnedOff)
	}
	slices.SortFunc(e.queued, byStart)
}

// Expect tells the engine that Horcrux asked the VM or container (kind is
// KindVM or KindContainer) to stop, so a stop seen until then is not an
// alert. The first stop seen uses the expectation up.
func (e *Engine) Expect(kind, id string, until time.Time) {
	e.expect[kind+"/"+id] = until
}

// expected reports whether a stop of kind/id at now was asked for, and uses
// the expectation up.
func (e *Engine) expected(kind, id string, now time.Time) bool {
	k := kind + "/" + id
	until, ok := e.expect[k]
	if !ok {
		return false
	}
	delete(e.expect, k)
	return !now.After(until)
}

// Observe follows one snapshot, timed by s.Time. It returns the episodes
// that began and those that ended with it; an open episode is not raised
// again until it has ended. Figures that are missing, stale or from an
// unavailable source change nothing: unknown is not a reason.
func (e *Engine) Observe(s *model.Snapshot) (raised, resolved []Alert) {
	now := s.Time
	for k, until := range e.expect {
		if now.After(until) {
			delete(e.expect, k)
		}
	}
	o := observation{e: e, now: now, resolved: e.queued}
	e.queued = nil
	o.host(s)
	if v := s.Versions.VMs; v == 0 || v != e.seen.VMs {
		for i := range s.VMs {
			o.vms(&s.VMs[i])
		}
	}
	if v := s.Versions.Containers; v == 0 || v != e.seen.Containers {
		for i := range s.Containers {
			o.containers(&s.Containers[i])
		}
	}
	e.seen = s.Versions
	return o.raised, o.resolved
}

// Active lists the open episodes for the window banner, oldest first.
func (e *Engine) Active() []Alert {
	out := make([]Alert, 0, len(e.active))
	for _, a := range e.active {
		out = append(out, a)
	}
	slices.SortFunc(out, byStart)
	return out
}

func byStart(a, b Alert) int {
	if c := a.Since.Compare(b.Since); c != 0 {
		return c
	}
	return cmp.Compare(a.Key, b.Key)
}

// observation collects the changes of one Observe call.
type observation struct {
	e                *Engine
	now              time.Time
	raised, resolved []Alert
}

// raise opens the episode a unless it is already open.
func (o *observation) raise(a Alert) {
	if _, open := o.e.active[a.Key]; open {
		return
	}
	o.e.active[a.Key] = a
	o.raised = append(o.raised, a)
}

// resolve ends the episode key if it is open, with new words.
func (o *observation) resolve(key, title, body string) {
	a, open := o.e.active[key]
	if !open {
		return
	}
	delete(o.e.active, key)
	a.Title, a.Body, a.Resolved = title, body, true
	o.resolved = append(o.resolved, a)
}

func (o *observation) isOpen(key string) bool {
	_, open := o.e.active[key]
	return open
}
