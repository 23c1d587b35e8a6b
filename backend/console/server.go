// Package console serves a VM's VNC console to a browser: our page and
// noVNC from the binary, and a WebSocket proxy to the VM's VNC server, all
// on one loopback origin (http://127.0.0.1:PORT).
//
// A console starts with Mint, which returns a page URL whose fragment holds
// a one-time page ticket. The page trades that ticket (POST, same origin)
// for a one-time WebSocket ticket and a page secret kept in page memory;
// the secret buys fresh WebSocket tickets for the same VM (Reconnect).
// Every ticket and secret is 256 random bits, looked up by its SHA-256 and
// compared in constant time.
package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/horcrux-desktop/horcrux/novncassets"
)

// DefaultTicketTTL is how long a console link stays valid unless Config says otherwise.
const DefaultTicketTTL = 60 * time.Second

// ErrClosed is returned by a Server's methods after Close.
var ErrClosed = errors.New("console server is closed")

// Config tunes a Server; the zero value is ready to use.
type Config struct {
	Addr             string           // listen address; "" means 127.0.0.1:0 (a free port); anything but 127.0.0.1 is refused
	TicketTTL        time.Duration    // how long a page link or WebSocket ticket stays valid; default DefaultTicketTTL
	PageTTL          time.Duration    // how long a page that stopped calling in keeps its Reconnect right; default 10 min
	ReadLimit        int64            // largest WebSocket message accepted from the browser; default 256 KiB
	PingPeriod       time.Duration    // WebSocket ping interval; default 20 s
	PongWait         time.Duration    // a session ends when the browser is silent this long; default 60 s
	WriteTimeout     time.Duration    // deadline for one write to the browser or the VM; default 15 s
	HandshakeTimeout time.Duration    // deadline for an HTTP request's headers and the WebSocket handshake; default 10 s
	DialTimeout      time.Duration    // deadline for Target.Dial; default 10 s
	Log              *slog.Logger     // refusals and session ends; nil means slog.Default()
	RefusalLogEvery  time.Duration    // refused requests are logged at most once per this period, the rest counted; default 10 s
	Now              func() time.Time // clock for ticket and page expiry; nil means time.Now
	// OnSession, when set, is told of every session started and ended (the
	// history timeline); it runs on the session's goroutine and must not block.
	OnSession func(SessionEvent)

	assets *assets // tests replace the embedded page and noVNC
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	def(&c.TicketTTL, DefaultTicketTTL)
	def(&c.PageTTL, 10*time.Minute)
	def(&c.PingPeriod, 20*time.Second)
	def(&c.PongWait, 60*time.Second)
	def(&c.WriteTimeout, 15*time.Second)
	def(&c.HandshakeTimeout, 10*time.Second)
	def(&c.DialTimeout, 10*time.Second)
	def(&c.RefusalLogEvery, 10*time.Second)
	if c.ReadLimit <= 0 {
		c.ReadLimit = 256 << 10
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.assets == nil {
		c.assets = embeddedAssets()
	}
	return c
}

// checkAddr accepts 127.0.0.1 only: the page's origin and the CSP name that exact host, and nothing else may reach the proxy.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("console server address %q: %w", addr, err)
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("console server address %q refused: it listens on 127.0.0.1 only", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("console server address %q: bad port", addr)
	}
	return nil
}

// Server serves consoles on one loopback origin until Close.
type Server struct {
	cfg      Config
	log      *slog.Logger
	ln       net.Listener
	http     *http.Server
	host     string // "127.0.0.1:PORT", the only Host header accepted
	origin   string // "http://127.0.0.1:PORT", the only Origin accepted
	headers  http.Header
	index    []byte // index.html with noVNC's modules preloaded
	upgrader websocket.Upgrader
	refusals *refusalLog
	bufs     bufPool // copy buffers, taken only while bytes move
	watch    *idleWatch

	ctx       context.Context // ends at Close, aborting dials in flight
	cancel    context.CancelFunc
	serveDone chan struct{}
	done      chan struct{}

	mu           sync.Mutex
	closed       bool
	tickets      *ticketStore
	grants       map[ticketKey]*grant // opened pages, by the hash of their page secret
	sessions     map[string]*session
	lastActivity time.Time     // wall clock of the last mint, page call or session change, for WaitIdle
	changed      chan struct{} // closed and replaced when sessions come or go
	renewTimer   *time.Timer   // runs renewIdle while sessions are open
	renewing     bool          // renewTimer is armed
	wg           sync.WaitGroup
}

// grant is one page's right to a console of one Target.
type grant struct {
	id       string // non-secret, for logs
	target   Target
	secret   Ticket      // the page secret, set when the page ticket is redeemed
	ws       []Ticket    // the newest WebSocket tickets (several only for SPICE's channels); minting more revokes them
	opts     TextOptions // how the next text session opens: the page's size, take over
	sessions []*session  // open sessions; more than one only for SPICE's channels
	lastSeen time.Time
}

// NewServer listens on cfg.Addr (127.0.0.1 only) and starts serving.
func NewServer(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := checkAddr(cfg.Addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp4", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("console server: %w", err)
	}
	host := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:       cfg,
		log:       cfg.Log,
		ln:        ln,
		host:      host,
		origin:    "http://" + host,
		ctx:       ctx,
		cancel:    cancel,
		serveDone: make(chan struct{}),
		done:      make(chan struct{}),
		tickets:   newTicketStore(cfg.TicketTTL),
		grants:    make(map[ticketKey]*grant),
		sessions:  make(map[string]*session),
		changed:   make(chan struct{}),
	}
	s.lastActivity = time.Now()
	s.watch = newIdleWatch(
		func(ss *session) { go s.pumpToBrowser(ss, true) },
		func(ss *session) { go s.goOnToVM(ss) }, // the session's count in s.wg was kept while parked
	)
	s.refusals = &refusalLog{log: cfg.Log, interval: cfg.RefusalLogEvery, now: time.Now}
	s.headers = securityHeaders(host)
	s.index = buildIndex(cfg.assets)
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: cfg.HandshakeTimeout,
		// 0: gorilla reads through the hijacked bufio.Reader, which hijacker makes small,
		// over a wsConn that reads through pooled buffers.
		ReadBufferSize: 0,
		// Write buffers come from a pool and are held only while a message is written.
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		Subprotocols:    []string{"binary"},
		CheckOrigin:     s.sameOrigin,
		Error:           s.upgradeError,
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: cfg.HandshakeTimeout,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if err := cfg.assets.err; err != nil {
		s.log.Warn("console: the console page cannot work in this build", "err", err)
	}
	go func() {
		defer close(s.serveDone)
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

// securityHeaders go on every response: one origin, nothing cached, no referrer.
func securityHeaders(host string) http.Header {
	h := http.Header{}
	h.Set("Content-Security-Policy", csp(host, "'self'"))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	return h
}

// csp is the page's Content-Security-Policy: scripts from this origin only, always.
func csp(host, styles string) string {
	return "default-src 'self'; script-src 'self'; style-src " + styles + "; " +
		"img-src 'self' data: blob:; connect-src 'self' ws://" + host + "; object-src 'none'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// inlineStyles is the policy of the terminal and SPICE pages: xterm.js and
// spice-html5 size and colour their elements with inline styles; scripts stay strict.
func inlineStyles(host string) string { return csp(host, "'self' 'unsafe-inline'") }

// Origin returns the server's only origin, http://127.0.0.1:PORT.
func (s *Server) Origin() string { return s.origin }

// Mint binds a fresh one-time page link to t and returns its URL, http://127.0.0.1:PORT/console/PAGE#t=TICKET,
// PAGE being the page of t's kind.
// The link works once, for Config.TicketTTL; its ticket sits in the URL fragment, which
// browsers send neither to the server nor in a Referer.
func (s *Server) Mint(t Target) (pageURL string, err error) {
	if err := t.check(); err != nil {
		return "", err
	}
	if err := s.cfg.assets.err; err != nil {
		// Still mint: the page shows the same error and the user sees what to do.
		s.log.Warn("console: minting a link for a build without noVNC", "vm", t.VM, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrClosed
	}
	now := s.cfg.Now()
	s.pruneGrants(now)
	g := &grant{id: newID(), target: t, lastSeen: now}
	tk := s.tickets.mint(now, kindPage, g)
	s.lastActivity = time.Now()
	s.log.Debug("console: link minted", "vm", t.VM, "target", t.Desc, "page", g.id)
	return s.origin + pagePath + pageFor(t.kind()) + "#t=" + tk.String(), nil
}

// SessionInfo describes one open console session.
type SessionInfo struct {
	ID          string    // non-secret session ID, for CloseSession
	Kind        Kind      // VNC, SPICE (one session per channel), serial console or shell
	VM          string    // the VM's or container's name
	Device      string    // the console device or shell command, if any
	UUID        string    // the VM's UUID or the container's ID
	Target      string    // Target.Desc
	Started     time.Time // when the WebSocket opened
	BytesFromVM uint64    // bytes the VM's VNC server sent to the browser
	BytesToVM   uint64    // bytes the browser sent to the VM's VNC server
}

// SessionEvent is a session that started or ended.
type SessionEvent struct {
	Session SessionInfo
	Ended   bool
	Reason  string // why it ended, in words; "" when it started
}

// Sessions lists the open sessions, oldest first.
func (s *Server) Sessions() []SessionInfo {
	s.mu.Lock()
	out := make([]SessionInfo, 0, len(s.sessions))
	for _, ss := range s.sessions {
		out = append(out, ss.info())
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// CloseSession ends the session with that ID; the page shows why. It reports whether the session was open.
func (s *Server) CloseSession(id string) bool {
	s.mu.Lock()
	ss := s.sessions[id]
	s.mu.Unlock()
	if ss == nil {
		return false
	}
	ss.end(websocket.CloseNormalClosure, "the session was closed from Horcrux")
	return true
}

// Done is closed when Close has finished.
func (s *Server) Done() <-chan struct{} { return s.done }

// WaitIdle returns nil once no session is open and nothing happened (a mint, a page call,
// a session ending) for grace; ctx.Err() when ctx ends; ErrClosed after Close.
// The console pages call in every second, so an open page, even disconnected, keeps the
// server busy: a CLI can serve until the user closes the last console tab.
func (s *Server) WaitIdle(ctx context.Context, grace time.Duration) error {
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for {
		s.mu.Lock()
		closed, open, changed := s.closed, len(s.sessions), s.changed
		quiet := time.Since(s.lastActivity)
		s.mu.Unlock()
		if closed {
			return ErrClosed
		}
		wait := time.Hour
		if open == 0 {
			if quiet >= grace {
				return nil
			}
			wait = grace - quiet
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-timer.C:
		case <-s.done:
		}
	}
}

// Close stops listening, ends every session and returns when all of the server's goroutines have.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	if s.renewTimer != nil {
		s.renewTimer.Stop()
	}
	open := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		open = append(open, ss)
	}
	s.notifyLocked()
	s.mu.Unlock()

	s.cancel()
	err := s.http.Close()
	for _, ss := range open {
		ss.end(websocket.CloseGoingAway, "Horcrux closed the console server")
	}
	s.wg.Wait()
	s.watch.close()
	<-s.serveDone
	s.refusals.flush()
	close(s.done)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// enter counts a request handler in, unless the server is closing; leave with s.wg.Done.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// notifyLocked wakes WaitIdle; s.mu is held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
	s.lastActivity = time.Now()
}

// pruneGrants forgets pages that stopped calling in and have no session; s.mu is held.
func (s *Server) pruneGrants(now time.Time) {
	for k, g := range s.grants {
		if len(g.sessions) == 0 && now.Sub(g.lastSeen) > s.cfg.PageTTL {
			for _, t := range g.ws {
				s.tickets.revoke(t)
			}
			delete(s.grants, k)
		}
	}
}

// newID returns a short random non-secret identifier.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// assets is the pages and libraries a Server serves.
type assets struct {
	page fs.FS
	libs fs.FS // one directory per novncassets.Lib
	err  error // why the libraries are missing; the pages then show it
}

func embeddedAssets() *assets {
	libs, err := novncassets.Dist()
	return &assets{page: novncassets.Page(), libs: libs, err: err}
}
