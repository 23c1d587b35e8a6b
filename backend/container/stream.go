package container

import (
	"context"
	"encoding/json"
	"time"

	"github.com/docker/docker/api/types/container"
)

// openStream starts the stats stream of one container. Called with s.mu
// held; returns nil once the Source is closed.
func (s *Source) openStream(cli engine, id string) *stream {
	if s.closed {
		return nil
	}
	ctx, cancel := context.WithCancel(s.ctx)
	st := &stream{cancel: cancel, started: time.Now()}
	s.streams[id] = st
	s.wg.Add(1)
	go s.runStream(ctx, cli, id, st)
	return st
}

// runStream reads stats frames of one container until the engine ends the
// stream (the container stopped) or ctx is cancelled, keeping the latest
// figures in st. One frame arrives per engine collector tick (1 s on dockerd).
func (s *Source) runStream(ctx context.Context, cli engine, id string, st *stream) {
	defer s.wg.Done()
	defer func() {
		st.cancel()
		s.mu.Lock()
		st.ended, st.fig = true, figures{}
		s.mu.Unlock()
	}()
	resp, err := cli.ContainerStats(ctx, id, true)
	if err != nil {
		return
	}
	defer resp.Body.Close()

	dec := json.NewDecoder(resp.Body)
	var frame container.StatsResponse // reused: its maps and slices keep their storage
	var prev counters
	for {
		resetFrame(&frame)
		if err := dec.Decode(&frame); err != nil {
			return
		}
		var fig figures
		fig, prev = figuresOf(&frame, prev)
		now := time.Now()
		s.mu.Lock()
		st.fig, st.at = fig, now
		s.mu.Unlock()
	}
}
