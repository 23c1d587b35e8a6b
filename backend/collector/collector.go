// Package collector runs the sources on their own goroutines and hands the
// UI one immutable Snapshot at a time.
package collector

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/container"
	"github.com/horcrux-desktop/horcrux/backend/host"
	"github.com/horcrux-desktop/horcrux/backend/vm"
)

// VMSource is the libvirt side as the collector uses it (see vm.Source).
type VMSource interface {
	Poll(ctx context.Context) vm.Section
	Changed() <-chan struct{}
}

// ContainerSource is the container engine side as the collector uses it
// (see container.Source).
type ContainerSource interface {
	Poll(ctx context.Context) container.Section
	Changed() <-chan struct{}
}

// Snapshot is everything Horcrux knows at one moment. It is never modified
// after it is handed out, so the UI may keep and read it on any goroutine.
type Snapshot struct {
	Time time.Time
	Host host.Stats
	// HostStale says, in words, why Host is older than expected; empty when
	// samples arrive on time.
	HostStale string
	Charts    *HostCharts

	VMs        vm.Section
	Containers container.Section
	// VMCharts and ContainerCharts hold the history of the selected VM and
	// container (see SelectVM, SelectContainer); nil when none is selected.
	VMCharts        *ItemCharts
	ContainerCharts *ItemCharts
}

// Config wires a Collector.
type Config struct {
	Interval time.Duration // host sample period; default 1 s
	Keep     time.Duration // host history kept; default 1 h
	Window   time.Duration // initial chart window; default 1 min
	Host     host.Reader   // default host.SystemReader{}
	// VMs and Containers are polled every Interval and whenever they say
	// something changed. Nil leaves the section unavailable.
	VMs        VMSource
	Containers ContainerSource
	// OnUpdate receives every new Snapshot on the collector goroutine. It
	// must not block: hand the snapshot off and return.
	OnUpdate func(*Snapshot)
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
		cfg.OnUpdate = func(*Snapshot) {}
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

// SelectVM chooses the VM (by UUID) whose history snapshots carry; "" for none.
func (c *Collector) SelectVM(uuid string) {
	c.vmSel.Store(&uuid)
	c.nudge()
}

// SelectContainer chooses the container (by ID) whose history snapshots
// carry; "" for none.
func (c *Collector) SelectContainer(id string) {
	c.ctSel.Store(&id)
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

	hostC := make(chan host.Stats, 1)
	wg.Go(func() { c.sampleHost(ctx, hostC) })

	vmC := make(chan vm.Section, 1)
	ctC := make(chan container.Section, 1)
	cur := Snapshot{
		Time:       time.Now(),
		VMs:        vm.Section{Error: "VM list disabled"},
		Containers: container.Section{Error: "container list disabled"},
	}
	if src := c.cfg.VMs; src != nil {
		cur.VMs.Error = "connecting to libvirt…"
		wg.Go(func() { pollLoop(ctx, c.cfg.Interval, src.Poll, src.Changed(), vmC) })
	}
	if src := c.cfg.Containers; src != nil {
		cur.Containers.Error = "connecting to the container engine…"
		wg.Go(func() { pollLoop(ctx, c.cfg.Interval, src.Poll, src.Changed(), ctC) })
	}

	hist := newHostHistory(c.cfg.Interval, c.cfg.Keep)
	vmHist := newItemHistory(c.cfg.Interval, false)
	ctHist := newItemHistory(c.cfg.Interval, true)
	var (
		lastHost time.Time
		stale    = time.NewTicker(c.cfg.Interval)
	)
	defer stale.Stop()
	publish := func() {
		s := cur
		s.Time = time.Now()
		w := time.Duration(c.window.Load())
		s.Charts = hist.charts(w)
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
			cur.Host, cur.HostStale, lastHost = st, "", time.Now()
			publish()
		case sec := <-vmC:
			vmHist.record(vmFigures(&sec))
			cur.VMs = sec
			publish()
		case sec := <-ctC:
			ctHist.record(containerFigures(&sec))
			cur.Containers = sec
			publish()
		case <-c.redraw:
			publish()
		case now := <-stale.C:
			// A sample stuck in the kernel must show, not freeze the charts.
			if late := now.Sub(lastHost); !lastHost.IsZero() && late > 3*c.cfg.Interval {
				msg := fmt.Sprintf("host figures are %s old: the last sample has not returned", late.Round(time.Second))
				if msg != cur.HostStale {
					cur.HostStale = msg
					publish()
				}
			}
		}
	}
}

// sampleHost reads the host every interval on its own goroutine, so a slow
// read delays only the host figures.
func (c *Collector) sampleHost(ctx context.Context, out chan<- host.Stats) {
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

// pollLoop polls a source every interval, and at once when it says it
// changed, on its own goroutine: a slow source delays only its own section.
func pollLoop[S any](ctx context.Context, interval time.Duration, poll func(context.Context) S, changed <-chan struct{}, out chan<- S) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		sec := poll(ctx)
		select {
		case out <- sec:
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
