package app

import (
	"context"
	"sync"
)

// jobs runs the window's background work (actions, checks, log readers,
// consoles from the tray): each job gets a context that ends when the
// window closes, and close waits for every job, so none outlives the app.
type jobs struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newJobs() *jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &jobs{ctx: ctx, cancel: cancel}
}

// Go runs f on its own goroutine with the window's context.
func (j *jobs) Go(f func(ctx context.Context)) {
	j.wg.Go(func() { f(j.ctx) })
}

// close ends the jobs' context and waits for them.
func (j *jobs) close() {
	j.cancel()
	j.wg.Wait()
}
