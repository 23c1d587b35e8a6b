package vm

import (
	"slices"
	"strings"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/rate"
)

// statsTypes are the groups one bulk stats call asks for; drivers skip the
// ones they lack (the test driver has only state). vCPU counts come from the
// cached XML: the per-vCPU group costs a QEMU monitor round trip per domain.
const statsTypes = libvirt.DOMAIN_STATS_STATE | libvirt.DOMAIN_STATS_CPU_TOTAL |
	libvirt.DOMAIN_STATS_BALLOON | libvirt.DOMAIN_STATS_INTERFACE | libvirt.DOMAIN_STATS_BLOCK

// minRateInterval keeps rates from two samples taken too close together (an
// event-driven Poll right after a timed one), which would be mostly noise.
const minRateInterval = 500 * time.Millisecond

// collector is the state one refresh carries to the next.
type collector struct {
	uri     string // last URI attempted or used
	connErr error  // why the last connection attempt failed
	lost    string // why the last connection dropped
	backoff time.Duration
	nextTry time.Time
	gen     uint64
	doms    map[string]*domain // by UUID
	xmlRead int                // XML descriptions fetched, for tests

	guest     *guestKeeper
	guestWork bool // the last collect found guest facts due
}

// domain is what is remembered about one domain between refreshes.
type domain struct {
	uuid, name string
	gen        uint64
	info       domainInfo
	infoOK     bool
	id         uint // of the current run; a new id means counters restarted
	prev       counters
	prevAt     time.Time
	hasPrev    bool
	rates      figures
	started    time.Time
	startedOK  bool
	startTries int
}

// counters are one sample of a domain's cumulative counters.
type counters struct {
	cpu           uint64 // ns
	rd, wr        uint64 // bytes
	rx, tx        uint64 // bytes
	cpuOK         bool
	diskOK, netOK bool
}

// figures are the last rates computed, reused while samples are too close.
type figures struct {
	v  [5]float64 // cpu%, disk rd, disk wr, net rx, net tx
	ok [5]bool
}

// down describes the disconnected state for the user.
func (c *collector) down() model.VMSection {
	sec := model.VMSection{URI: c.uri}
	if c.connErr == nil {
		sec.Availability = model.Unavailable(c.lost)
		sec.RetryAt = time.Now()
		return sec
	}
	if Classify(c.connErr) == ProblemNotInstalled {
		sec.Availability = model.Unavailable(notInstalled)
		return sec
	}
	sec.Availability = model.Unavailable(connectWords(c.uri, c.connErr))
	sec.RetryAt = c.nextTry
	return sec
}

// forgetInfo makes every domain's XML be read again.
func (c *collector) forgetInfo() {
	for _, d := range c.doms {
		d.infoOK = false
	}
}

// collect makes one section from one bulk stats call.
func (c *collector) collect(l *link, takeStale func() (map[string]struct{}, bool)) (model.VMSection, error) {
	bt, err := l.bulk.stats(statsTypes, libvirt.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
	if err != nil {
		return model.VMSection{}, err
	}
	defer bt.free()
	now := time.Now()
	stale, staleAll := takeStale()
	c.gen++
	n := bt.len()
	items := make([]model.Machine, 0, n)
	// One backing array for every optional figure instead of one allocation each.
	slab := make([]float64, 0, 6*n)
	c.guest.begin()
	for i := range n {
		if m, ok := c.machine(l, bt, i, now, stale, staleAll, &slab); ok {
			items = append(items, m)
		}
	}
	c.guestWork = c.guest.end()
	for uuid, d := range c.doms {
		if d.gen != c.gen {
			delete(c.doms, uuid)
		}
	}
	slices.SortFunc(items, func(a, b model.Machine) int {
		if n := strings.Compare(a.Name, b.Name); n != 0 {
			return n
		}
		return strings.Compare(a.UUID, b.UUID)
	})
	return model.VMSection{URI: l.uri, Availability: model.Available(), Items: items}, nil
}

// machine turns domain i of a batch into a row, updating what is remembered.
func (c *collector) machine(l *link, bt *batch, i int, now time.Time,
	stale map[string]struct{}, staleAll bool, slab *[]float64) (model.Machine, bool) {
	r := bt.record(i)
	if r.uuid == "" {
		return model.Machine{}, false
	}
	d := c.doms[r.uuid]
	if d == nil {
		d = &domain{uuid: strings.Clone(r.uuid)}
		c.doms[d.uuid] = d
	}
	if r.name != d.name { // names rarely change; keep one copy
		d.name = strings.Clone(r.name)
	}
	d.gen = c.gen
	if _, ok := stale[d.uuid]; ok || staleAll {
		d.infoOK = false
	}
	if !d.infoOK {
		// A domain undefined meanwhile fails here; it is retried next time.
		if doc, err := bt.xml(i); err == nil {
			c.xmlRead++
			// XML that does not parse will not parse next time either: keep zeros.
			d.info, _ = parseDomainXML(doc)
			d.infoOK = true
		}
	}
	state := model.VMNoState
	if r.hasState {
		state = stateOf(r.state)
	}
	m := model.Machine{
		Name:        d.name,
		UUID:        d.uuid,
		State:       state,
		VCPUs:       d.info.vcpus,
		MemoryBytes: d.info.memoryBytes,
		VNC:         d.info.vnc,
		SPICE:       d.info.spice,
		Serial:      d.info.serial,
	}
	if r.hasBalloon {
		m.MemoryBytes = r.balloonKiB << 10
	}
	if !state.Active() {
		d.id, d.hasPrev, d.rates, d.startedOK, d.startTries = 0, false, figures{}, false, 0
		return m, true
	}
	put := func(v float64) *float64 {
		*slab = append(*slab, v)
		return &(*slab)[len(*slab)-1]
	}
	if r.id != d.id {
		// A new run: its counters start from zero and its process is new.
		d.id, d.hasPrev, d.rates, d.startedOK, d.startTries = r.id, false, figures{}, false, 0
	}
	if state == model.VMRunning || state == model.VMBlocked {
		// Paused guests cannot answer their agent; their facts wait.
		m.Guest = c.guest.lookup(d.uuid, d.name, r.id, d.info.agent, now)
	}
	c.updateRates(d, r.c, now)
	ptrs := [5]**float64{&m.CPUPercent, &m.DiskReadBps, &m.DiskWriteBps, &m.NetRxBps, &m.NetTxBps}
	for i, p := range ptrs {
		if d.rates.ok[i] {
			*p = put(d.rates.v[i])
		}
	}
	if l.pidDir != "" {
		if !d.startedOK && d.startTries < 3 {
			// The pid file can lag the start event by a moment: a few tries.
			d.startTries++
			if t, err := qemuStarted("/proc", l.pidDir, d.name, now); err == nil {
				d.started, d.startedOK = t, true
			}
		}
		if d.startedOK {
			m.UptimeSeconds = put(max(now.Sub(d.started).Seconds(), 0))
		}
	}
	return m, true
}

// updateRates turns the previous and current samples into rates.
func (c *collector) updateRates(d *domain, cur counters, now time.Time) {
	if !d.hasPrev {
		d.prev, d.prevAt, d.hasPrev = cur, now, true
		return
	}
	elapsed := now.Sub(d.prevAt)
	if elapsed < minRateInterval {
		return
	}
	p := d.prev
	var f figures
	if p.cpuOK && cur.cpuOK {
		f.v[0], f.ok[0] = rate.CoreTime(time.Duration(p.cpu), time.Duration(cur.cpu), elapsed)
	}
	if p.diskOK && cur.diskOK {
		f.v[1], f.ok[1] = rate.PerSecond(p.rd, cur.rd, elapsed)
		f.v[2], f.ok[2] = rate.PerSecond(p.wr, cur.wr, elapsed)
	}
	if p.netOK && cur.netOK {
		f.v[3], f.ok[3] = rate.PerSecond(p.rx, cur.rx, elapsed)
		f.v[4], f.ok[4] = rate.PerSecond(p.tx, cur.tx, elapsed)
	}
	d.rates, d.prev, d.prevAt = f, cur, now
}
