package container

import (
	"context"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

const (
	// eventsRetryMin and eventsRetryMax bound the pause between attempts to
	// (re)subscribe; an attempt is cheap against a dead socket.
	eventsRetryMin = 250 * time.Millisecond
	eventsRetryMax = 2 * time.Second
	// eventsHealthy is how long a subscription must last before a failure
	// counts as new rather than as the same trouble again.
	eventsHealthy  = 5 * time.Second
	versionTimeout = 2 * time.Second
)

// eventFilter selects the container events that change what Poll shows.
func eventFilter() filters.Args {
	return filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("event", "create"),
		filters.Arg("event", "start"),
		filters.Arg("event", "restart"),
		filters.Arg("event", "die"),
		filters.Arg("event", "pause"),
		filters.Arg("event", "unpause"),
		filters.Arg("event", "rename"),
		filters.Arg("event", "destroy"),
	)
}

// watchEvents keeps an events subscription open for as long as the Source
// lives, resubscribing with backoff whenever the engine goes away.
func (s *Source) watchEvents() {
	defer s.wg.Done()
	wait := eventsRetryMin
	lost := false
	for {
		began := time.Now()
		s.followEvents(lost)
		if s.ctx.Err() != nil {
			return
		}
		lost = true
		if time.Since(began) > eventsHealthy {
			wait = eventsRetryMin
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
		wait = min(2*wait, eventsRetryMax)
	}
}

// followEvents subscribes once and relays events until the subscription
// ends. afterLoss says an earlier attempt failed, so a working subscription
// means the engine is back and the caller should Poll at once.
func (s *Source) followEvents(afterLoss bool) {
	cli, err := s.client()
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	// A versioned request first, not a bare ping: it settles the API version
	// negotiation before Events, which reads the negotiated version without
	// the client's lock (a data race otherwise).
	pctx, pcancel := context.WithTimeout(ctx, versionTimeout)
	v, err := cli.ServerVersion(pctx)
	pcancel()
	if err != nil {
		s.lost(cli, err)
		return
	}
	msgs, errs := cli.Events(ctx, events.ListOptions{Filters: eventFilter()})
	defer func() {
		cancel()
		for range errs { // the client's reader goroutine closes errs as it ends
		}
	}()

	s.mu.Lock()
	clear(s.details) // events may have been missed while unsubscribed: inspect afresh
	s.nextTry = time.Time{}
	if s.cli == cli {
		s.engName = EngineName(v)
	}
	s.mu.Unlock()
	if afterLoss {
		s.signal()
	}
	for {
		select {
		case m := <-msgs:
			if m.Type == events.ContainerEventType && m.Actor.ID != "" {
				s.mu.Lock()
				s.stale[m.Actor.ID] = true
				s.mu.Unlock()
			}
			s.signal()
		case err := <-errs:
			s.lost(cli, err)
			return
		}
	}
}
