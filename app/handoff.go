package app

import "sync/atomic"

// handoff passes the newest value from a background goroutine to the UI
// goroutine with at most one update pending: values offered while one is
// queued replace each other, so a slow UI skips stale snapshots instead of
// queueing them.
type handoff[T any] struct {
	pending atomic.Bool
	latest  atomic.Pointer[T]
	do      func(func()) // fyne.Do in the app, a queue in tests
	apply   func(*T)     // runs on the UI goroutine
}

// Offer makes v the value the UI sees next. It never blocks.
func (h *handoff[T]) Offer(v *T) {
	h.latest.Store(v)
	if h.pending.CompareAndSwap(false, true) {
		h.do(func() {
			h.pending.Store(false)
			h.apply(h.latest.Load())
		})
	}
}
