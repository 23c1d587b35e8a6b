package app

import (
	"strings"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/history"
)

// alertEvents are the timeline events for alerts raised and cleared at t.
func alertEvents(t time.Time, raised, resolved []alerts.Alert) []history.Event {
	out := make([]history.Event, 0, len(raised)+len(resolved))
	add := func(al alerts.Alert, action string) {
		out = append(out, history.Event{Time: t, Kind: history.EventAlert, Action: action,
			Item: alertItem(al.Key), Name: al.Title, Detail: al.Body})
	}
	for _, al := range raised {
		add(al, "raised")
	}
	for _, al := range resolved {
		add(al, "cleared")
	}
	return out
}

// alertItem is the series key of what an alert is about: "vm/<uuid>/stopped"
// is about "vm/<uuid>", "host/cpu" about the host.
func alertItem(key string) string {
	kind, rest, _ := strings.Cut(key, "/")
	id, _, _ := strings.Cut(rest, "/")
	switch kind {
	case alerts.KindVM:
		return history.VMItem(id)
	case alerts.KindContainer:
		return history.ContainerItem(id)
	}
	return history.HostItem
}

// consoleEvent is the timeline event for a console session opened or
// closed at t: a shell is about a container, the other kinds about a VM.
func consoleEvent(t time.Time, e console.SessionEvent) history.Event {
	s := e.Session
	item := history.VMItem(s.UUID)
	if s.Kind == console.Shell {
		item = history.ContainerItem(s.UUID)
	}
	ev := history.Event{Time: t, Kind: history.EventConsole, Action: "opened", Item: item, Name: s.VM, Detail: s.Kind.Title()}
	if e.Ended {
		ev.Action = "closed"
		if e.Reason != "" {
			ev.Detail += ": " + e.Reason
		}
	}
	return ev
}
