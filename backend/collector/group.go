package collector

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Source is one host the collector polls: a libvirt host or a container
// engine. Changed fires when the host knows its list changed (an event), so
// it is polled at once rather than at the next tick.
type Source[S any] interface {
	Poll(ctx context.Context) S
	Changed() <-chan struct{}
}

// VMSource is the libvirt side as the collector uses it (see vm.Source).
type VMSource = Source[model.VMSection]

// ContainerSource is the container engine side as the collector uses it
// (see container.Source).
type ContainerSource = Source[model.ContainerSection]

// kind is what differs between libvirt hosts and container engines.
type kind[S any] struct {
	connecting func() S                                             // the section before the first answer
	silent     func(last S, since, now time.Time) S                 // the section of a host that stopped answering
	figures    func(host int, s *S) map[string][seriesCount]float64 // the charted figures of each item
	// fsFigures, when set, picks each item's guest filesystem use by mount.
	fsFigures func(host int, s *S) map[string]map[string]float64
}

// group polls the hosts of one kind, each on its own goroutine, and keeps
// their latest sections. It belongs to the collector goroutine.
type group[S any] struct {
	kind[S]
	srcs   []Source[S]
	secs   []S         // replaced, never written in place: published snapshots keep theirs
	heard  []time.Time // when each host last answered
	figs   []map[string][seriesCount]float64
	fsFigs []map[string]map[string]float64 // guest filesystem use, when the kind has it
	hist   *itemHistory
	out    chan polled[S]

	gen    int // pollers of an older host list are ignored
	cancel context.CancelFunc
}

// polled is one host's refresh, from the pollers of generation gen.
type polled[S any] struct {
	gen, host int
	sec       S
}

func newGroup[S any](k kind[S], hist *itemHistory) *group[S] {
	return &group[S]{kind: k, hist: hist, out: make(chan polled[S], 16), cancel: func() {}}
}

// start polls srcs from now on, stopping the pollers of the previous list.
// A host that stays keeps its section; a new one starts as connecting.
func (g *group[S]) start(ctx context.Context, wg *sync.WaitGroup, interval time.Duration, srcs []Source[S]) {
	g.cancel()
	old := make(map[Source[S]]int, len(g.srcs))
	for i, s := range g.srcs {
		old[s] = i
	}
	now := time.Now()
	secs := make([]S, len(srcs))
	heard := make([]time.Time, len(srcs))
	for i, s := range srcs {
		if j, ok := old[s]; ok {
			secs[i], heard[i] = g.secs[j], g.heard[j]
		} else {
			secs[i], heard[i] = g.connecting(), now
		}
	}
	if len(g.srcs) > 0 && !slices.Equal(g.srcs, srcs) {
		// Item keys name hosts by position, which the new list changes.
		g.hist.reset()
	}
	g.srcs, g.secs, g.heard = slices.Clone(srcs), secs, heard
	g.figs = make([]map[string][seriesCount]float64, len(srcs))
	g.fsFigs = make([]map[string]map[string]float64, len(srcs))
	g.gen++
	pctx, cancel := context.WithCancel(ctx)
	g.cancel = cancel
	for i, src := range srcs {
		gen := g.gen
		wg.Go(func() { pollLoop(pctx, interval, gen, i, src, g.out) })
	}
}

// take records one refresh; false if it came from a replaced host list.
func (g *group[S]) take(p polled[S]) bool {
	if p.gen != g.gen {
		return false
	}
	g.heard[p.host] = time.Now()
	g.figs[p.host] = g.figures(p.host, &p.sec)
	g.hist.record(merged(g.figs))
	if g.fsFigures != nil {
		g.fsFigs[p.host] = g.fsFigures(p.host, &p.sec)
		g.hist.recordFS(merged(g.fsFigs))
	}
	g.secs = replaced(g.secs, p.host, p.sec)
	return true
}

// hush shows each host silent for longer than silence as not answering;
// it reports whether any was.
func (g *group[S]) hush(now time.Time, silence time.Duration) bool {
	hushed := false
	for i, heard := range g.heard {
		if now.Sub(heard) > silence {
			g.figs[i], g.fsFigs[i] = nil, nil
			g.secs = replaced(g.secs, i, g.silent(g.secs[i], heard, now))
			hushed = true
		}
	}
	return hushed
}

// replaced returns a copy of secs with secs[i] = s: snapshots already handed
// out keep their slice.
func replaced[S any](secs []S, i int, s S) []S {
	out := slices.Clone(secs)
	out[i] = s
	return out
}

// merged joins the hosts' figures, keyed by ItemKey.
func merged[V any](hosts []map[string]V) map[string]V {
	n := 0
	for _, h := range hosts {
		n += len(h)
	}
	out := make(map[string]V, n)
	for _, h := range hosts {
		maps.Copy(out, h)
	}
	return out
}

// pollLoop polls a source every interval, and at once when it says it
// changed, on its own goroutine: a slow source delays only its own section.
func pollLoop[S any](ctx context.Context, interval time.Duration, gen, host int, src Source[S], out chan<- polled[S]) {
	t := time.NewTicker(interval)
	defer t.Stop()
	changed := src.Changed()
	for {
		sec := src.Poll(ctx)
		select {
		case out <- polled[S]{gen, host, sec}:
		case <-ctx.Done():
			return
		}
		select {
		case <-t.C:
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

// vmKind is the libvirt side.
func vmKind() kind[model.VMSection] {
	return kind[model.VMSection]{
		connecting: func() model.VMSection {
			return model.VMSection{Availability: model.ConnectingTo("connecting to libvirt…")}
		},
		silent: func(last model.VMSection, since, now time.Time) model.VMSection {
			if last.State == model.Connecting { // never answered: no list is out of date
				return model.VMsNeverAnswered(last.URI, since, now)
			}
			return model.VMsNotAnswering(last.URI, since, now)
		},
		figures:   vmFigures,
		fsFigures: vmFSFigures,
	}
}

// containerKind is the container engine side.
func containerKind() kind[model.ContainerSection] {
	return kind[model.ContainerSection]{
		connecting: func() model.ContainerSection {
			return model.ContainerSection{Availability: model.ConnectingTo("connecting to the container engine…")}
		},
		silent: func(last model.ContainerSection, since, now time.Time) model.ContainerSection {
			if last.State == model.Connecting {
				return model.ContainersNeverAnswered(last.Host, since, now)
			}
			return model.ContainersNotAnswering(last.Host, since, now)
		},
		figures: containerFigures,
	}
}
