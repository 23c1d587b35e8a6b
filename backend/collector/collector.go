// Package collector runs the sources on their own goroutines and hands the
// UI one immutable model.Snapshot at a time.
package collector

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/host"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// VMSource is the libvirt side as the collector uses it (see vm.Source).
type VMSource interface {
	Poll(ctx context.Context) model.VMSection
	Changed() <-chan struct{}
}

// ContainerSource is the container engine side as the collector uses it
// (see container.Source).
type ContainerSource interface {
	Poll(ctx context.Context) model.ContainerSection
	Changed() <-chan struct{}
}

// Config wires a Collector.
type Config struct {
	Interval time.Duration // host sample period; default 1 s
	Keep     time.Duration // host history kept; default 1 h
	Window   time.Duration // initial chart window; default 1 min
	Host     host.Reader   // default host.SystemReader{}
	// VMs and Containers are the hosts, each polled on its own goroutine
	// every Interval and whenever it says something changed, so a host that
	// is down or slow never delays the others.
	VMs        []VMSource
	Containers []ContainerSource
	// OnUpdate receives every new model.Snapshot on the collector goroutine. It
	// must not block: hand the snapshot off and return.
	OnUpdate func(*model.Snapshot)
	// Silence is how long a VM or container host may go without answering
	// before its section is shown as not answering (its list withheld);
	// default 3 intervals, at least 10 s.
	Silence time.Duration
}

// Collector samples the sources and publishes snapshots.
type Collector struct {
	cfg     Config
	window  atomic.Int64 // time.Duration
	vmSel   atomic.Pointer[string]
	ctSel   atomic.Pointer[string]
	redraw  chan struct{}
	running atomic.Bool
}

// New returns a Collector for cfg with defaults filled in.
func New(cfg Config) *Collector {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Keep < cfg.Interval {
		cfg.Keep = time.Hour
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.Host == nil {
		cfg.Host = host.SystemReader{}
	}
	if cfg.OnUpdate == nil {
		cfg.OnUpdate = func(*model.Snapshot) {}
	}
	if cfg.Silence <= 0 {
		cfg.Silence = max(3*cfg.Interval, 10*time.Second)
	}
	c := &Collector{cfg: cfg, redraw: make(chan struct{}, 1)}
	c.window.Store(int64(cfg.Window))
	return c
}

// SetWindow changes the time window of the charts and republishes at once.
func (c *Collector) SetWindow(d time.Duration) {
	if d <= 0 {
		return
	}
	c.window.Store(int64(d))
	c.nudge()
}

// SelectVM chooses the VM (by ItemKey) whose history snapshots carry; ""
// for none.
func (c *Collector) SelectVM(key string) {
	c.vmSel.Store(&key)
	c.nudge()
}

// SelectContainer chooses the container (by ItemKey) whose history
// snapshots carry; "" for none.
func (c *Collector) SelectContainer(key string) {
	c.ctSel.Store(&key)
	c.nudge()
}

func (c *Collector) nudge() {
	select {
	case c.redraw <- struct{}{}:
	default:
	}
}

func selected(p *atomic.Pointer[string]) string {
	if s := p.Load(); s != nil {
		return *s
	}
	return ""
}

// Run samples until ctx is done and returns once every goroutine it started
// has stopped. It may be called once.
func (c *Collector) Run(ctx context.Context) {
	if !c.running.CompareAndSwap(false, true) {
		panic("collector: Run called twice")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	hostC := make(chan model.HostStats, 1)
	wg.Go(func() { c.sampleHost(ctx, hostC) })

	vmC := make(chan hostSection[model.VMSection], len(c.cfg.VMs))
	ctC := make(chan hostSection[model.ContainerSection], len(c.cfg.Containers))
	cur := model.Snapshot{
		Time:       time.Now(),
		VMs:        make([]model.VMSection, len(c.cfg.VMs)),
		Containers: make([]model.ContainerSection, len(c.cfg.Containers)),
	}
	for i, src := range c.cfg.VMs {
		cur.VMs[i].Availability = model.ConnectingTo("connecting to libvirt…")
		wg.Go(func() { pollLoop(ctx, c.cfg.Interval, i, src.Poll, src.Changed(), vmC) })
	}
	for i, src := range c.cfg.Containers {
		cur.Containers[i].Availability = model.ConnectingTo("connecting to the container engine…")
		wg.Go(func() { pollLoop(ctx, c.cfg.Interval, i, src.Poll, src.Changed(), ctC) })
	}
	vmFig := make([]map[string][seriesCount]float64, len(c.cfg.VMs))
	ctFig := make([]map[string][seriesCount]float64, len(c.cfg.Containers))
	// When each host last answered: a host silent for Silence is shown as
	// not answering instead of with its last, frozen figures.
	vmHeard := slices.Repeat([]time.Time{cur.Time}, len(c.cfg.VMs))
	ctHeard := slices.Repeat([]time.Time{cur.Time}, len(c.cfg.Containers))

	hist := newHostHistory(c.cfg.Interval, c.cfg.Keep)
	vmHist := newItemHistory(c.cfg.Interval, false)
	ctHist := newItemHistory(c.cfg.Interval, true)
	var (
		lastHost time.Time
		stale    = time.NewTicker(c.cfg.Interval)
		v        = &cur.Versions // bumped with each part that changes
	)
	defer stale.Stop()
	// The host charts change only with a host sample or the window; VM and
	// container refreshes publish the same (immutable) charts again.
	var hostCharts *model.HostCharts
	publish := func() {
		s := cur
		// The sections slices are replaced, never written in place, so a
		// published snapshot stays as it was.
		s.Time = time.Now()
		w := time.Duration(c.window.Load())
		if hostCharts == nil || hostCharts.Window != w {
			hostCharts = hist.charts(w)
		}
		s.Charts = hostCharts
		if id := selected(&c.vmSel); id != "" {
			s.VMCharts = vmHist.charts(id, w)
		}
		if id := selected(&c.ctSel); id != "" {
			s.ContainerCharts = ctHist.charts(id, w)
		}
		c.cfg.OnUpdate(&s)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case st := <-hostC:
			hist.add(&st)
			hostCharts = nil
			cur.Host, cur.HostLate, lastHost = st, model.Availability{}, time.Now()
			v.Host++
			v.Charts++
			publish()
		case hs := <-vmC:
			vmHeard[hs.host] = time.Now()
			vmFig[hs.host] = vmFigures(hs.host, &hs.sec)
			vmHist.record(merged(vmFig))
			cur.VMs = replaced(cur.VMs, hs.host, hs.sec)
			v.VMs++
			if selected(&c.vmSel) != "" {
				v.VMCharts++
			}
			publish()
		case hs := <-ctC:
			ctHeard[hs.host] = time.Now()
			ctFig[hs.host] = containerFigures(hs.host, &hs.sec)
			ctHist.record(merged(ctFig))
			cur.Containers = replaced(cur.Containers, hs.host, hs.sec)
			v.Containers++
			if selected(&c.ctSel) != "" {
				v.ContainerCharts++
			}
			publish()
		case <-c.redraw:
			// The window or a selection changed: every chart may have.
			v.Charts++
			v.VMCharts++
			v.ContainerCharts++
			publish()
		case now := <-stale.C:
			changed := false
			// A sample stuck in the kernel must show, not freeze the charts.
			if late := now.Sub(lastHost); !lastHost.IsZero() && late > 3*c.cfg.Interval {
				msg := fmt.Sprintf("host figures are %s old: the last sample has not returned", late.Round(time.Second))
				if msg != cur.HostLate.Reason {
					cur.HostLate = model.Availability{State: model.NotAnswering, Reason: msg, Since: lastHost}
					v.Host++
					changed = true
				}
			}
			for i, heard := range vmHeard {
				if now.Sub(heard) > c.cfg.Silence {
					vmFig[i] = nil
					cur.VMs = replaced(cur.VMs, i, model.VMsNotAnswering(cur.VMs[i].URI, heard, now))
					v.VMs++
					changed = true
				}
			}
			for i, heard := range ctHeard {
				if now.Sub(heard) > c.cfg.Silence {
					ctFig[i] = nil
					cur.Containers = replaced(cur.Containers, i, model.ContainersNotAnswering(cur.Containers[i].Host, heard, now))
					v.Containers++
					changed = true
				}
			}
			if changed {
				publish()
			}
		}
	}
}

// sampleHost reads the host every interval on its own goroutine, so a slow
// read delays only the host figures.
func (c *Collector) sampleHost(ctx context.Context, out chan<- model.HostStats) {
	s := host.NewSampler(c.cfg.Host)
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		st := s.Sample(ctx)
		select {
		case out <- st:
		case <-ctx.Done():
			return
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// hostSection is one host's refresh.
type hostSection[S any] struct {
	host int
	sec  S
}

// replaced returns a copy of secs with secs[i] = s: snapshots already handed
// out keep their slice.
func replaced[S any](secs []S, i int, s S) []S {
	out := slices.Clone(secs)
	out[i] = s
	return out
}

// merged joins the hosts' figures, keyed by ItemKey.
func merged(hosts []map[string][seriesCount]float64) map[string][seriesCount]float64 {
	n := 0
	for _, h := range hosts {
		n += len(h)
	}
	out := make(map[string][seriesCount]float64, n)
	for _, h := range hosts {
		maps.Copy(out, h)
	}
	return out
}

// pollLoop polls a source every interval, and at once when it says it
// changed, on its own goroutine: a slow source delays only its own section.
func pollLoop[S any](ctx context.Context, interval time.Duration, host int, poll func(context.Context) S, changed <-chan struct{}, out chan<- hostSection[S]) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		sec := poll(ctx)
		select {
		case out <- hostSection[S]{host, sec}:
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
