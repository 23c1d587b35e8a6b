package history

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Recorder feeds a Store from the collector's snapshots on its own
// goroutine, so the minute's write never delays a snapshot.
type Recorder struct {
	st      *Store
	in      chan *model.Snapshot
	dropped atomic.Uint64
}

// recorderQueue holds two minutes of one-second snapshots: more than a
// commit ever takes.
const recorderQueue = 128

// NewRecorder returns a Recorder writing into st; Run drives it.
func NewRecorder(st *Store) *Recorder {
	return &Recorder{st: st, in: make(chan *model.Snapshot, recorderQueue)}
}

// Update queues s for recording. It never blocks and is safe from any
// goroutine: when the queue is full s is dropped (a gap, never a made-up
// value) and counted.
func (r *Recorder) Update(s *model.Snapshot) {
	select {
	case r.in <- s:
	default:
		r.dropped.Add(1)
	}
}

// Event records e on the timeline (alerts, consoles).
func (r *Recorder) Event(e Event) { r.st.Record(e) }

// Run records queued snapshots until ctx ends, then writes what is buffered
// and closes the store.
func (r *Recorder) Run(ctx context.Context) {
	var failing bool
	for {
		select {
		case <-ctx.Done():
			for len(r.in) > 0 {
				r.st.AddSnapshot(<-r.in)
			}
			if err := r.st.Close(); err != nil {
				slog.Warn("history: closing the store", "err", err)
			}
			return
		case s := <-r.in:
			r.st.AddSnapshot(s)
			err := r.st.Tick(s.Time)
			if (err != nil) != failing {
				failing = err != nil
				if failing {
					slog.Warn(err.Error())
				} else {
					slog.Info("history: writing again", "path", r.st.Path())
				}
			}
		}
	}
}
