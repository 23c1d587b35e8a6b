package vm

import (
	"context"
	"fmt"
	"sync"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Guest facts cost agent round trips (up to seconds each with a slow
// guest), so they are read by one background goroutine and cached: the 1 s
// refresh only looks them up.
const (
	defaultFactsPeriod = 30 * time.Second
	// factsTimeout bounds one domain's read; a read stuck longer is left
	// to finish in the background and no other starts for that domain.
	factsTimeout = 5 * time.Second
)

// guestKeeper caches each running domain's facts and says which are due.
type guestKeeper struct {
	period  time.Duration
	timeout time.Duration
	read    func(*libvirt.Connect, guestJob) *model.GuestFacts // readGuestFacts; tests stall it
	kick    chan struct{}                                      // buffered 1: there is work
	stop    chan struct{}                                      // closed by Source.Close
	done    chan struct{}                                      // closed when the worker returns

	mu      sync.Mutex
	started bool
	gen     uint64
	doms    map[string]*guestEntry // by UUID
	reads   int                    // reads finished, for tests and benchmarks
}

// guestEntry is one running domain's cached facts.
type guestEntry struct {
	name     string
	id       uint // the run the facts belong to
	agent    bool // the domain XML has an agent channel
	facts    *model.GuestFacts
	readAt   time.Time
	due      bool // read at the next chance
	inFlight bool
	seen     uint64 // gen of the last refresh that listed it running
}

func newGuestKeeper(period, timeout time.Duration) *guestKeeper {
	return &guestKeeper{
		period: period, timeout: timeout, read: readGuestFacts,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		doms: make(map[string]*guestEntry),
	}
}

// begin starts one refresh's lookups; end finishes them. The lock is not
// held in between: the refresh calls libvirt meanwhile, and an agent event
// on libvirt's one event loop must never wait for that.
func (k *guestKeeper) begin() {
	k.mu.Lock()
	k.gen++
	k.mu.Unlock()
}

// lookup returns the cached facts of a running domain (nil before its first
// read) and marks them due when old or from an earlier run. Called between
// begin and end.
func (k *guestKeeper) lookup(uuid, name string, id uint, agent bool, now time.Time) *model.GuestFacts {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.doms[uuid]
	if e == nil {
		e = &guestEntry{due: true}
		k.doms[uuid] = e
	}
	e.seen, e.name, e.agent = k.gen, name, agent
	if e.id != id {
		e.id, e.facts, e.due = id, nil, true
	}
	if !e.due && !e.inFlight && now.Sub(e.readAt) >= k.period {
		e.due = true
	}
	return e.facts
}

// end forgets domains no longer running and reports whether a read is due.
func (k *guestKeeper) end() (work bool) {
	k.mu.Lock()
	for uuid, e := range k.doms {
		if e.seen != k.gen {
			delete(k.doms, uuid)
			continue
		}
		work = work || e.due && !e.inFlight
	}
	k.mu.Unlock()
	return work
}

// invalidate makes one domain's facts (or all, for uuid "") due now.
func (k *guestKeeper) invalidate(uuid string) {
	k.mu.Lock()
	for u, e := range k.doms {
		if uuid == "" || u == uuid {
			e.due = true
		}
	}
	k.mu.Unlock()
	k.wake()
}

func (k *guestKeeper) wake() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// readCount is how many reads have finished, for tests and benchmarks.
func (k *guestKeeper) readCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.reads
}

// guestJob is one read to do.
type guestJob struct {
	uuid, name string
	id         uint
	agent      bool
}

// takeDue hands over the reads due, marking them in flight.
func (k *guestKeeper) takeDue() []guestJob {
	k.mu.Lock()
	defer k.mu.Unlock()
	var jobs []guestJob
	for uuid, e := range k.doms {
		if e.due && !e.inFlight {
			e.due, e.inFlight = false, true
			jobs = append(jobs, guestJob{uuid, e.name, e.id, e.agent})
		}
	}
	return jobs
}

// store keeps a finished read if the domain is still in the same run.
func (k *guestKeeper) store(j guestJob, f *model.GuestFacts, at time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reads++
	e := k.doms[j.uuid]
	if e == nil {
		return
	}
	e.inFlight = false
	if e.id == j.id && f != nil {
		e.facts, e.readAt = f, at
	}
}

// startGuestWorker runs the reader once, on the first refresh that needs it.
func (s *Source) startGuestWorker() {
	k := s.guest
	k.mu.Lock()
	start := !k.started
	k.started = true
	k.mu.Unlock()
	if start {
		go s.guestWorker()
	}
	k.wake()
}

// guestWorker reads due facts until the source closes, waking on a kick
// (a refresh found work, an agent event) and on the period.
func (s *Source) guestWorker() {
	k := s.guest
	defer close(k.done)
	tick := time.NewTicker(k.period / 2)
	defer tick.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-k.kick:
		case <-tick.C:
		}
		jobs := k.takeDue()
		if len(jobs) == 0 {
			continue
		}
		for i, j := range jobs {
			select {
			case <-k.stop:
				return
			default:
			}
			if !s.readGuest(j) {
				// libvirt is stuck: the rest wait for the next round
				// rather than 5 s each now.
				k.requeue(jobs[i+1:])
				break
			}
		}
		s.signal() // publish the new facts without waiting for the next tick
	}
}

// requeue gives back reads that were taken but not started.
func (k *guestKeeper) requeue(jobs []guestJob) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, j := range jobs {
		if e := k.doms[j.uuid]; e != nil {
			e.due, e.inFlight = true, false
		}
	}
}

// readGuest reads one domain's facts, waiting at most k.timeout; a read
// still stuck in libvirt then stores its answer whenever it comes. It
// reports false when libvirt did not answer in time.
func (s *Source) readGuest(j guestJob) bool {
	k := s.guest
	l := s.acquire()
	if l == nil {
		k.store(j, nil, time.Time{})
		return true
	}
	res := make(chan *model.GuestFacts, 1)
	go func() {
		defer s.release(l)
		f := k.read(l.conn, j)
		k.store(j, f, time.Now())
		res <- f
	}()
	t := time.NewTimer(k.timeout)
	defer t.Stop()
	select {
	case <-res:
		return true
	case <-t.C:
		// Say so in the table rather than keep facts that may be stale.
		k.mu.Lock()
		if e := k.doms[j.uuid]; e != nil && e.id == j.id {
			e.facts = &model.GuestFacts{Time: time.Now(), Addresses: []model.GuestAddress{}, FileSystems: []model.GuestFS{},
				AddressesWhy: "libvirt has not answered for " + model.Elapsed(k.timeout) + " about this guest's addresses",
				AgentWhy:     "libvirt has not answered for " + model.Elapsed(k.timeout) + " about this guest"}
			e.readAt = time.Now()
		}
		k.mu.Unlock()
		return false
	case <-k.stop:
		return true
	}
}

// readGuestFacts looks the domain up and reads its facts; nil when it is gone.
func readGuestFacts(conn *libvirt.Connect, j guestJob) *model.GuestFacts {
	d, err := conn.LookupDomainByUUIDString(j.uuid)
	if err != nil {
		return nil
	}
	defer func() { _ = d.Free() }()
	return readFacts(d, j.name, j.agent, time.Now())
}

// onAgentLifecycle runs on libvirt's event loop when a guest agent connects
// or disconnects: read that guest's facts again at once.
func (s *Source) onAgentLifecycle(_ *libvirt.Connect, d *libvirt.Domain, _ *libvirt.DomainEventAgentLifecycle) {
	uuid, err := d.GetUUIDString()
	if err != nil {
		uuid = ""
	}
	s.guest.invalidate(uuid)
}

// GuestFacts reads the facts of the running domain uuid now, for a details
// view or a check, waiting at most until ctx ends.
func (s *Source) GuestFacts(ctx context.Context, uuid string) (*model.GuestFacts, error) {
	return onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (*model.GuestFacts, error) {
		name, _ := d.GetName()
		if active, err := d.IsActive(); err != nil {
			return nil, err
		} else if !active {
			return nil, fmt.Errorf("no guest facts for %s: %w", name, ErrNotRunning)
		}
		doc, err := d.GetXMLDesc(0)
		if err != nil {
			return nil, fmt.Errorf("no guest facts for %s: cannot read its XML: %s", name, Message(err))
		}
		info, _ := parseDomainXML(doc)
		return readFacts(d, name, info.agent, time.Now()), nil
	})
}
