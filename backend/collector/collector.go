// Package collector runs the sources on their own goroutines and hands the
// UI one immutable model.Snapshot at a time.
package collector

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/host"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Config wires a Collector.
type Config struct {
	Interval time.Duration // host sample period; default 1 s
	Keep     time.Duration // host history kept; default 1 h
	Window   time.Duration // initial chart window; default 1 min
	Host     host.Reader   // default host.SystemReader{}
	// VMs and Containers are the hosts to start with (SetHosts changes
	// them), each polled on its own goroutine every Interval and whenever it
	// says something changed, so a host that is down or slow never delays
	// the others.
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
	hosts   chan hostList // the newest list from SetHosts, at most one pending
	running atomic.Bool
}

// hostList is the hosts to poll.
type hostList struct {
	vms []VMSource
	cts []ContainerSource
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
	c := &Collector{cfg: cfg, redraw: make(chan struct{}, 1), hosts: make(chan hostList, 1)}
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

// SetHosts replaces the hosts polled, at once: hosts that stay keep their
// state, new ones start as connecting, removed ones stop being polled.
// Item keys name hosts by position, so selections should be made again.
func (c *Collector) SetHosts(vms []VMSource, cts []ContainerSource) {
	l := hostList{slices.Clone(vms), slices.Clone(cts)}
	for {
		select {
		case c.hosts <- l:
			return
		default:
		}
		select { // an older list not taken yet is replaced
		case <-c.hosts:
		default:
		}
	}
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

	hist := newHostHistory(c.cfg.Interval, c.cfg.Keep)
	vms := newGroup(vmKind(), newItemHistory(c.cfg.Interval, true))
	cts := newGroup(containerKind(), newItemHistory(c.cfg.Interval, true))
	defer func() { vms.cancel(); cts.cancel() }()
	vms.start(ctx, &wg, c.cfg.Interval, c.cfg.VMs)
	cts.start(ctx, &wg, c.cfg.Interval, c.cfg.Containers)

	var cur model.Snapshot // the parts that change on events; publish adds the rest
	v := &cur.Versions     // bumped with each part that changes
	var lastHost time.Time
	stale := time.NewTicker(c.cfg.Interval)
	defer stale.Stop()
	// The host charts change only with a host sample or the window; VM and
	// container refreshes publish the same (immutable) charts again.
	var hostCharts *model.HostCharts
	publish := func() {
		s := cur
		s.Time = time.Now()
		s.VMs, s.Containers = vms.secs, cts.secs
		w := time.Duration(c.window.Load())
		if hostCharts == nil || hostCharts.Window != w {
			hostCharts = hist.charts(w)
		}
		s.Charts = hostCharts
		if id := selected(&c.vmSel); id != "" {
			s.VMCharts = vms.hist.charts(id, w)
		}
		if id := selected(&c.ctSel); id != "" {
			s.ContainerCharts = cts.hist.charts(id, w)
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
		case p := <-vms.out:
			if vms.take(p) {
				v.VMs++
				if selected(&c.vmSel) != "" {
					v.VMCharts++
				}
				publish()
			}
		case p := <-cts.out:
			if cts.take(p) {
				v.Containers++
				if selected(&c.ctSel) != "" {
					v.ContainerCharts++
				}
				publish()
			}
		case l := <-c.hosts:
			vms.start(ctx, &wg, c.cfg.Interval, l.vms)
			cts.start(ctx, &wg, c.cfg.Interval, l.cts)
			v.VMs++
			v.Containers++
			v.VMCharts++
			v.ContainerCharts++
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
			if vms.hush(now, c.cfg.Silence) {
				v.VMs++
				changed = true
			}
			if cts.hush(now, c.cfg.Silence) {
				v.Containers++
				changed = true
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
