// Package vm lists libvirt domains with their live figures and runs lifecycle
// actions on them, without ever letting a hung libvirt block its caller.
package vm

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

const (
	defaultCallTimeout = 5 * time.Second
	minBackoff         = time.Second
	maxBackoff         = 30 * time.Second
	// A dead peer is noticed after interval*(count+1) seconds of silence.
	keepAliveInterval = 5
	keepAliveCount    = 3
	// Lifecycle actions can take long (a first start probes QEMU), so they
	// get more than a refresh unless the caller's context says otherwise.
	defaultActTimeout = time.Minute
	// closeWait bounds how long Close waits for a call in flight: long
	// enough for a healthy daemon's refresh to end, short enough that a quit
	// with a hung one stays well inside its 1 s.
	closeWait = 200 * time.Millisecond
)

// Config says where to find libvirt and how long to wait for it.
type Config struct {
	// URI is the libvirt connection URI; "" means LIBVIRT_DEFAULT_URI, else
	// qemu:///system (and qemu:///session after it for non-root users).
	URI string
	// CallTimeout bounds how long one Poll waits for libvirt (default 5s).
	CallTimeout time.Duration
	// GuestFactsPeriod is how often each running guest's facts are read
	// again without an agent event (default 30s).
	GuestFactsPeriod time.Duration
}

// Source polls one libvirt connection. Its methods are safe for concurrent use.
type Source struct {
	callTimeout time.Duration
	candidates  []string
	changed     chan struct{}

	mu      sync.Mutex
	link    *link
	last    model.VMSection
	running chan struct{} // closed when the refresh in flight ends; nil if none
	since   time.Time     // when the refresh in flight began
	closed  bool

	evMu     sync.Mutex
	stale    map[string]struct{} // UUIDs whose XML an event says changed
	staleAll bool

	// col belongs to whichever refresh is in flight; s.mu hands it over.
	col collector

	guest *guestKeeper

	history  consoleHistory              // output seen per text console
	consoles map[*ConsoleStream]struct{} // open text consoles; guarded by mu
}

// link is one open connection with its registrations.
type link struct {
	conn        *libvirt.Connect
	bulk        *bulkLib
	uri         string
	notice      string // VMSection.Notice while this link serves
	pidDir      string
	lifecycleID int
	lifecycleOK bool
	agentID     int
	agentOK     bool
	dead        atomic.Bool   // set by the close callback
	gone        chan struct{} // closed once torn down

	// Guarded by Source.mu.
	refs    int
	retired bool
	torn    bool
}

// NewSource prepares a source; it does not touch libvirt until the first Poll.
func NewSource(cfg Config) *Source {
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = defaultCallTimeout
	}
	if cfg.GuestFactsPeriod <= 0 {
		cfg.GuestFactsPeriod = defaultFactsPeriod
	}
	s := &Source{
		callTimeout: cfg.CallTimeout,
		candidates:  CandidateURIs(cfg.URI, os.Getenv("LIBVIRT_DEFAULT_URI"), os.Geteuid()),
		changed:     make(chan struct{}, 1),
		stale:       make(map[string]struct{}),
	}
	s.col.doms = make(map[string]*domain)
	s.guest = newGuestKeeper(cfg.GuestFactsPeriod, factsTimeout)
	s.col.guest = s.guest
	s.last.URI = s.candidates[0]
	return s
}

// CandidateURIs lists the URIs a Source for cfgURI tries, in order, given
// LIBVIRT_DEFAULT_URI (envURI) and the effective user; the doctor checks
// the same list. root gets no session fallback: libvirt would spawn a
// private session daemon for it, which lists nothing.
func CandidateURIs(cfgURI, envURI string, euid int) []string {
	switch {
	case cfgURI != "":
		return []string{cfgURI}
	case envURI != "":
		return []string{envURI}
	case euid == 0:
		return []string{"qemu:///system"}
	}
	return []string{"qemu:///system", "qemu:///session"}
}

// URI returns the URI in use, or the one being tried while disconnected.
func (s *Source) URI() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last.URI
}

// Changed receives a value (coalesced) when a domain lifecycle event or a
// dropped connection makes the list stale, so the caller can Poll at once.
// It is never closed.
func (s *Source) Changed() <-chan struct{} { return s.changed }

func (s *Source) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Poll refreshes the list once. It returns within the CallTimeout (or when
// ctx ends) even if libvirt hangs: then it returns the last list with an
// error saying how long libvirt has been silent. At most one refresh talks to
// libvirt at a time; overlapping Polls share it.
func (s *Source) Poll(ctx context.Context) model.VMSection {
	s.mu.Lock()
	if s.closed {
		sec := model.VMSection{URI: s.last.URI, Availability: model.Unavailable("the VM source is closed")}
		s.mu.Unlock()
		return sec
	}
	if s.running == nil {
		s.running = make(chan struct{})
		s.since = time.Now()
		go s.refreshInFlight(s.running)
	}
	done, since := s.running, s.since
	s.mu.Unlock()

	if wait := s.callTimeout - time.Since(since); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-done:
		return s.last
	default:
	}
	return model.VMsNotAnswering(s.last.URI, since, time.Now())
}

func (s *Source) refreshInFlight(done chan struct{}) {
	sec := s.refresh()
	s.mu.Lock()
	s.last = sec
	s.running = nil
	s.mu.Unlock()
	close(done)
}

// refresh connects if needed and collects one section. Only one runs at a time.
func (s *Source) refresh() model.VMSection {
	c := &s.col
	l := s.acquire()
	if l != nil && l.dead.Load() {
		c.lost = "lost the connection to " + l.uri + " (libvirtd closed it)"
		s.retire(l)
		s.release(l)
		l = nil
		c.backoff, c.nextTry = 0, time.Time{} // try again at once after a drop
	}
	if l == nil {
		if time.Now().Before(c.nextTry) {
			return c.down()
		}
		var err error
		if l, err = s.connect(); err != nil {
			c.connErr = err
			c.backoff = min(max(2*c.backoff, minBackoff), maxBackoff)
			c.nextTry = time.Now().Add(c.backoff)
			return c.down()
		}
		c.connErr, c.lost, c.backoff = nil, "", 0
		c.forgetInfo() // the XML may have changed while we were away
	}
	defer s.release(l)
	sec, err := c.collect(l, s.takeStale)
	if err == nil {
		sec.Notice = l.notice
		if c.guestWork {
			s.startGuestWorker()
		}
		return sec
	}
	if alive, aerr := l.conn.IsAlive(); connectionBroken(err) || aerr != nil || !alive || l.dead.Load() {
		s.retire(l)
		c.lost = "lost the connection to " + l.uri + " (" + Message(err) + ")"
		c.connErr, c.nextTry = nil, time.Time{}
		sec := model.VMSection{URI: l.uri, Availability: model.Unavailable(c.lost)}
		sec.RetryAt = time.Now()
		return sec
	}
	return model.VMSection{URI: l.uri, Availability: model.Unavailable("cannot list VMs at " + l.uri + ": " + Message(err))}
}

// connect opens the first candidate URI that answers and registers for
// lifecycle events and connection loss.
func (s *Source) connect() (*link, error) {
	s.col.uri = s.candidates[0]
	if err := startEventLoop(); err != nil {
		return nil, err
	}
	var first error
	for _, uri := range s.candidates {
		conn, err := libvirt.NewConnect(uri)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		bulk, err := openBulk(conn)
		if err != nil {
			_, _ = conn.Close()
			return nil, err
		}
		l := &link{conn: conn, bulk: bulk, uri: uri, gone: make(chan struct{})}
		if canon, err := conn.GetURI(); err == nil {
			l.uri = canon
		}
		if first != nil {
			l.notice = fallbackNotice(s.candidates[0], first, l.uri)
		}
		s.col.uri = l.uri
		l.pidDir = qemuPidDir(l.uri)
		// In-process drivers (test:///) have no keepalive; their connection cannot drop.
		_ = conn.SetKeepAlive(keepAliveInterval, keepAliveCount)
		_ = conn.RegisterCloseCallback(func(*libvirt.Connect, libvirt.ConnectCloseReason) {
			l.dead.Store(true)
			s.signal()
		})
		if id, err := conn.DomainEventLifecycleRegister(nil, s.onLifecycle); err == nil {
			l.lifecycleID, l.lifecycleOK = id, true
		}
		if id, err := conn.DomainEventAgentLifecycleRegister(nil, s.onAgentLifecycle); err == nil {
			l.agentID, l.agentOK = id, true
		}
		if !s.install(l) {
			l.teardown()
			return nil, fmt.Errorf("the VM source is closed")
		}
		return l, nil
	}
	return nil, first
}

// onLifecycle runs on libvirt's event loop: keep it short and lock-light.
func (s *Source) onLifecycle(_ *libvirt.Connect, d *libvirt.Domain, ev *libvirt.DomainEventLifecycle) {
	switch ev.Event {
	case libvirt.DOMAIN_EVENT_DEFINED, libvirt.DOMAIN_EVENT_UNDEFINED,
		libvirt.DOMAIN_EVENT_STARTED, libvirt.DOMAIN_EVENT_STOPPED:
		// Live and inactive XML differ (graphics, vCPUs); read it again.
		uuid, err := d.GetUUIDString()
		s.evMu.Lock()
		if err != nil {
			s.staleAll = true
		} else {
			s.stale[uuid] = struct{}{}
		}
		s.evMu.Unlock()
	}
	s.signal()
}

// takeStale hands over the UUIDs whose XML must be read again.
func (s *Source) takeStale() (map[string]struct{}, bool) {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	if len(s.stale) == 0 && !s.staleAll {
		return nil, false
	}
	m, all := s.stale, s.staleAll
	s.stale, s.staleAll = make(map[string]struct{}), false
	return m, all
}

// acquire returns the current link with a reference held, or nil.
func (s *Source) acquire() *link {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.link == nil || s.closed {
		return nil
	}
	s.link.refs++
	return s.link
}

// install makes l current with one reference held by the caller.
func (s *Source) install(l *link) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.link = l
	l.refs = 1
	return true
}

// release drops a reference; the last one on a retired link tears it down.
func (s *Source) release(l *link) {
	s.mu.Lock()
	l.refs--
	drop := l.retired && l.refs == 0 && !l.torn
	if drop {
		l.torn = true
	}
	s.mu.Unlock()
	if drop {
		l.teardown()
	}
}

// retire stops handing out l; it is torn down when its last user releases it.
func (s *Source) retire(l *link) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.link == l {
		s.link = nil
	}
	l.retired = true
}

// track records an open console holding a reference to l, and has its
// Close release both; false once the source is closed.
func (s *Source) track(c *ConsoleStream, l *link) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.consoles == nil {
		s.consoles = make(map[*ConsoleStream]struct{})
	}
	s.consoles[c] = struct{}{}
	c.unlink = func() {
		s.mu.Lock()
		delete(s.consoles, c)
		s.mu.Unlock()
		s.release(l)
	}
	return true
}

// teardown removes callbacks before closing so none fires on a freed connection.
func (l *link) teardown() {
	if l.lifecycleOK {
		_ = l.conn.DomainEventDeregister(l.lifecycleID)
	}
	if l.agentOK {
		_ = l.conn.DomainEventDeregister(l.agentID)
	}
	_ = l.conn.UnregisterCloseCallback()
	l.bulk.close()
	_, _ = l.conn.Close()
	close(l.gone)
}

// Close deregisters events and closes the connection. It waits at most the
// CallTimeout for a refresh stuck in libvirt; that one then closes behind it.
func (s *Source) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.guest.stop)
	l, running := s.link, s.running
	s.link = nil
	open := s.consoles
	s.consoles = nil
	drop := false
	if l != nil {
		l.retired = true
		drop = l.refs == 0 && !l.torn
		if drop {
			l.torn = true
		}
	}
	s.mu.Unlock()
	// Each console's teardown drops its link reference; a hung libvirt
	// holds them all up for one closeWait, not one each.
	var wg sync.WaitGroup
	for c := range open {
		wg.Go(func() { _ = c.Close() })
	}
	wg.Wait()
	if drop {
		go l.teardown()
	}
	// A hung libvirt must not hold up a quit: a call stuck in the C library
	// cannot be interrupted, so it is left to end in the background.
	t := time.NewTimer(closeWait)
	defer t.Stop()
	if running != nil {
		select {
		case <-running:
		case <-t.C:
			return fmt.Errorf("libvirt has not answered for %s; closing its connection in the background", closeWait)
		}
	}
	if l != nil {
		select {
		case <-l.gone:
		case <-t.C:
			return fmt.Errorf("libvirt has not answered for %s; closing its connection in the background", closeWait)
		}
	}
	s.guest.mu.Lock()
	worker := s.guest.started
	s.guest.mu.Unlock()
	if worker {
		select {
		case <-s.guest.done:
		case <-t.C:
			return fmt.Errorf("libvirt has not answered for %s about a guest's facts; closing in the background", closeWait)
		}
	}
	return nil
}
