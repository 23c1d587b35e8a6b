package console

import (
	"log/slog"
	"sync"
	"time"
)

// refusalLog logs refused requests at most once per interval: a page or a
// script hammering the server with bad tickets must not flood the log. The
// first refusal is logged at once; the ones after it within the interval
// are counted and reported with the next line.
type refusalLog struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	last    time.Time // when a line was last written
	dropped int       // refusals since then that were not logged
}

// warn logs msg with args, or counts it when a line was written within the interval.
func (l *refusalLog) warn(msg string, args ...any) {
	now := l.now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < l.interval {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.last, l.dropped = now, 0
	l.mu.Unlock()
	if dropped > 0 {
		args = append(args, "more_refused", dropped, "in_the_last", l.interval)
	}
	l.log.Warn(msg, args...)
}

// flush reports refusals still only counted; the server calls it on Close.
func (l *refusalLog) flush() {
	l.mu.Lock()
	dropped := l.dropped
	l.dropped = 0
	l.mu.Unlock()
	if dropped > 0 {
		l.log.Warn("console: more requests refused and not logged one by one", "more_refused", dropped)
	}
}
