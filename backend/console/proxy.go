package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// copyBufSize is one pooled copy buffer, held only while bytes move; a read from the VM
	// becomes at most one WebSocket message. 256 KiB: a quarter of the system calls of 64 KiB
	// while a screen streams.
	copyBufSize = 256 << 10
	// closeGrace is how long the browser has to answer our close frame before the TCP connection goes.
	closeGrace = time.Second
	// maxCloseReason is the longest close reason a control frame can carry.
	maxCloseReason = 123
)

// session is one WebSocket proxied to one console: a VNC server, a SPICE channel, a serial console or a shell.
type session struct {
	id      string
	g       *grant
	started time.Time
	ws      *websocket.Conn
	wsc     *wsConn // ws's connection, read through pooled buffers; nil when it has no descriptor
	up      toVM    // what the browser sent that waits to be written to the console
	// bound once in proxy, so the pumps' waits allocate nothing
	vmReader                       *rawReader // the console's end when it is a socket
	flush, toVMIdle, toBrowserIdle func() error
	vnc                            io.ReadWriteCloser // the console's end: a net.Conn for graphics, a stream for text
	watch                          *idleWatch         // where the pumps park while the session is idle
	fromVM                         atomic.Uint64
	toVM                           atomic.Uint64

	endOnce sync.Once
	ending  atomic.Bool  // a close frame went out: pongs no longer extend the read deadline
	readBy  atomic.Int64 // the browser side's read deadline (UnixNano), see setReadDeadline

	// Renewing the pumps' goroutines (see renewIdle): what each did since the last sweep.
	toVMPump, toBrowserPump pumpState
	reason                  atomic.Pointer[string]

	mu      sync.Mutex
	stopped bool        // no more pings
	ping    *time.Timer // fires sendPing; a timer, not a goroutine, so an idle session costs no stack for it
	pinging sync.WaitGroup

	toBrowserDone sync.WaitGroup // pumpToBrowser's end, which pumpToVM waits for; a field, not a channel: 96 bytes less a session
}

func (ss *session) info() SessionInfo {
	t := ss.g.target
	return SessionInfo{ID: ss.id, Kind: t.kind(), VM: t.VM, Device: t.Device, UUID: t.UUID, Target: t.Desc, Started: ss.started,
		BytesFromVM: ss.fromVM.Load(), BytesToVM: ss.toVM.Load()}
}

// end closes the session once: a close frame with the reason to the browser, which has closeGrace to answer, and the VM side at once.
func (ss *session) end(code int, reason string) {
	ss.endOnce.Do(func() {
		ss.reason.Store(&reason)
		ss.ending.Store(true)
		deadline := time.Now().Add(closeGrace)
		_ = ss.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, truncate(reason)), deadline)
		ss.setReadDeadline(deadline)
		ss.watch.unparkAll(ss) // before the close, which would drop the console's socket from the set unseen
		_ = ss.vnc.Close()
	})
}

// sendPing runs on the ping timer; a ping that cannot be written is left to the pong deadline.
func (ss *session) sendPing(writeTimeout, period time.Duration) {
	ss.mu.Lock()
	if ss.stopped {
		ss.mu.Unlock()
		return
	}
	ss.pinging.Add(1)
	ss.mu.Unlock()
	defer ss.pinging.Done()
	if time.Now().UnixNano() > ss.readBy.Load() {
		// A browser side parked in the idle watch has no read deadline: its pump, resumed,
		// meets the one that passed.
		ss.watch.unpark(ss, toVMSide)
	}
	if err := ss.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
		ss.watch.unpark(ss, toVMSide) // the timer stops here: the pump's own deadline ends the session
		return
	}
	ss.mu.Lock()
	if !ss.stopped {
		ss.ping.Reset(period)
	}
	ss.mu.Unlock()
}

// stopPings stops the timer and waits for a ping in flight.
func (ss *session) stopPings() {
	ss.mu.Lock()
	ss.stopped = true
	ss.ping.Stop()
	ss.mu.Unlock()
	ss.pinging.Wait()
}

// checkSubprotocols accepts no offer, or an offer that includes "binary" (older noVNC); the upgrader echoes "binary".
func checkSubprotocols(offered []string) error {
	if len(offered) == 0 || slices.Contains(offered, "binary") {
		return nil
	}
	return fmt.Errorf("WebSocket subprotocols %q offered; only none or \"binary\" is accepted", offered)
}

func (s *Server) upgradeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	s.refuse(w, r, status, "WebSocket handshake: "+reason.Error())
}

// serveWS checks the origin, subprotocols and ticket, upgrades, dials the ticket's target and proxies.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		s.refuse(w, r, http.StatusBadRequest, "not a WebSocket handshake")
		return
	}
	if !s.sameOrigin(r) {
		s.refuse(w, r, http.StatusForbidden, "WebSocket Origin "+strconvQuote(r.Header.Get("Origin"))+" is not "+s.origin)
		return
	}
	if err := checkSubprotocols(websocket.Subprotocols(r)); err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	uuid, tk, err := parseWSQuery(r.URL.RawQuery)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, "WebSocket URL: "+err.Error())
		return
	}
	s.mu.Lock()
	g, err := s.tickets.redeem(s.cfg.Now(), kindWS, tk)
	s.mu.Unlock()
	if err != nil {
		s.refuse(w, r, http.StatusForbidden, "WebSocket "+err.Error())
		return
	}
	if g.target.UUID != uuid {
		// The ticket is spent all the same: whoever holds it is misusing it.
		s.refuse(w, r, http.StatusForbidden, "WebSocket ticket is for another VM")
		return
	}

	hj := &hijacker{ResponseWriter: w, pool: &s.bufs}
	ws, err := s.upgrader.Upgrade(hj, r, s.headers)
	if err != nil {
		return // the upgrader has answered and logged
	}
	t := g.target
	s.mu.Lock()
	opts := g.opts
	g.opts.Force = false // a take-over is asked for each time
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.DialTimeout)
	peer, err := dial(ctx, t, opts)
	cancel()
	if err != nil {
		s.log.Warn("console: dial failed", "vm", t.VM, "kind", t.kind(), "target", t.Desc, "err", err)
		code := websocket.CloseInternalServerErr
		if errors.Is(err, ErrBusy) {
			code = CloseBusy
		}
		verb := "cannot reach "
		if t.kind().text() {
			verb = "cannot open "
		}
		closeEarly(ws, code, verb+peerOf(t)+": "+err.Error())
		return
	}
	ss := &session{id: newID(), g: g, started: time.Now(), ws: ws, wsc: hj.conn, vnc: peer, watch: s.watch}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = peer.Close()
		closeEarly(ws, websocket.CloseGoingAway, "Horcrux closed the console server")
		return
	}
	var replaced []*session
	if t.kind() != SPICE {
		replaced, g.sessions = g.sessions, nil
	}
	g.sessions = append(g.sessions, ss)
	s.sessions[ss.id] = ss
	s.renewSoonLocked()
	s.notifyLocked()
	ss.mu.Lock()
	ss.ping = time.AfterFunc(s.cfg.PingPeriod, func() { ss.sendPing(s.cfg.WriteTimeout, s.cfg.PingPeriod) })
	ss.mu.Unlock()
	s.mu.Unlock()
	for _, old := range replaced {
		old.end(websocket.CloseNormalClosure, "replaced by a newer connection from the same page")
	}
	s.log.Info("console: session started", "session", ss.id, "vm", t.VM, "kind", t.kind(), "target", t.Desc)
	if s.cfg.OnSession != nil {
		s.cfg.OnSession(SessionEvent{Session: ss.info()})
	}
	// The session's pumps get fresh goroutines and this handler returns: net/http's
	// connection goroutine, its deep stack and the request's buffers would otherwise be
	// held for the session's life.
	s.proxy(ss)
}

// ended forgets a session whose proxy returned and reports it.
func (s *Server) ended(ss *session) {
	g, t := ss.g, ss.g.target
	s.mu.Lock()
	delete(s.sessions, ss.id)
	if i := slices.Index(g.sessions, ss); i >= 0 {
		g.sessions = slices.Delete(g.sessions, i, i+1)
		g.lastSeen = s.cfg.Now()
	}
	s.notifyLocked()
	s.mu.Unlock()
	why := ""
	if p := ss.reason.Load(); p != nil {
		why = *p
	}
	s.log.Info("console: session ended", "session", ss.id, "vm", t.VM, "kind", t.kind(), "reason", why,
		"bytes_from_vm", ss.fromVM.Load(), "bytes_to_vm", ss.toVM.Load(), "duration", time.Since(ss.started).Round(time.Millisecond))
	if s.cfg.OnSession != nil {
		s.cfg.OnSession(SessionEvent{Session: ss.info(), Ended: true, Reason: why})
	}
}

// CloseBusy is the WebSocket close code for a text console another client holds; the page offers to take it over.
const CloseBusy = 4001

// dial opens t's end of a session: a connection to the display, or the text console's stream.
func dial(ctx context.Context, t Target, o TextOptions) (io.ReadWriteCloser, error) {
	if !t.kind().text() {
		return t.Dial(ctx)
	}
	type result struct {
		rwc io.ReadWriteCloser
		err error
	}
	// Open may not watch ctx (a library call); the session waits for it no longer than ctx.
	done := make(chan result, 1)
	go func() {
		rwc, err := t.Open(ctx, o)
		done <- result{rwc, err}
	}()
	select {
	case r := <-done:
		return r.rwc, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.rwc != nil {
				_ = r.rwc.Close()
			}
		}()
		return nil, fmt.Errorf("no answer within the dial timeout: %w", ctx.Err())
	}
}

// proxy starts one pump per direction, each in a fresh goroutine; whichever ends first
// ends both, and pumpToVM takes the session apart. The caller holds a count in s.wg (a
// request handler), so the pump's own s.wg.Add is safe.
func (s *Server) proxy(ss *session) {
	ss.ws.SetReadLimit(s.cfg.ReadLimit)
	ss.setReadDeadline(time.Now().Add(s.cfg.PongWait))
	ss.ws.SetPongHandler(func(string) error {
		if !ss.ending.Load() {
			ss.setReadDeadline(time.Now().Add(s.cfg.PongWait))
		}
		return nil
	})
	if ss.ending.Load() { // ended (Close, CloseSession) before the deadlines above were set
		ss.setReadDeadline(time.Now().Add(closeGrace))
	}
	ss.up = toVM{s: s, ss: ss}
	// Bound once: a pump's wait then allocates nothing and holds nothing of its own.
	ss.flush = ss.up.flush
	ss.toVMIdle = func() error {
		if err := ss.up.flush(); err != nil {
			return err
		}
		return ss.toVMPump.idle()
	}
	ss.toBrowserIdle = ss.toBrowserPump.idle
	if rc := rawConnOf(ss.vnc); rc != nil {
		ss.vmReader = newRawReader(rc, &s.bufs)
	}
	if ss.wsc != nil {
		ss.wsc.idle = ss.flush
	}
	ss.toBrowserDone.Add(1)
	go s.pumpToBrowser(ss, false)
	s.startToVM(ss)
}

// pumpToBrowser copies the console's bytes to the browser until the session ends. It waits
// for data without a buffer (readVM); renewIdle may ask it to go on in a fresh goroutine.
func (s *Server) pumpToBrowser(ss *session, renewed bool) {
	if !renewed {
		if err := s.replay(ss); err != nil {
			ss.end(websocket.CloseGoingAway, "writing to the browser failed: "+err.Error())
			ss.toBrowserDone.Done()
			return
		}
	}
	vc, _ := ss.vnc.(net.Conn)
	if ss.vmReader == nil {
		vc = nil // read with Read, holding its buffer: not renewed
	}
	p := &ss.toBrowserPump
	p.start()
	var idle func() error
	if vc != nil {
		if renewed {
			_ = vc.SetReadDeadline(time.Time{})
		}
		p.parked.Store(parkedRenewable) // the VM side's deadline is renewIdle's alone: it may wake the pump at any time
		idle = ss.toBrowserIdle
	}
	for {
		buf, n, rerr := s.readVM(ss, idle)
		if n == 0 && (rerr == errRenew || p.renew.Load() && errors.Is(rerr, os.ErrDeadlineExceeded)) {
			p.reset()
			if !ss.watch.park(ss, toBrowserSide) { // else the watch resumes it when the console has something
				go s.pumpToBrowser(ss, true)
			}
			return
		}
		p.worked()
		if code, reason, end := s.vmToBrowser(ss, buf, n, rerr); end {
			ss.end(code, reason)
			ss.toBrowserDone.Done()
			return
		}
	}
}

// startToVM starts pumpToVM in a goroutine of its own.
func (s *Server) startToVM(ss *session) {
	ss.toVMPump.reset()
	s.wg.Add(1) // the session's count in s.wg goes with the pump
	go s.goOnToVM(ss)
}

// goOnToVM runs pumpToVM in the goroutine of its caller, which holds the session's count
// in s.wg for it.
func (s *Server) goOnToVM(ss *session) {
	defer s.wg.Done()
	s.pumpToVM(ss)
}

// restToVM goes on with pumpToVM, which wants a fresh goroutine, once the browser sends
// something: parked in the idle watch, else in a goroutine waiting for it.
func (s *Server) restToVM(ss *session) {
	ss.toVMPump.reset()
	s.wg.Add(1) // the session's count in s.wg goes with the pump, parked or running
	if !ss.watch.park(ss, toVMSide) {
		go s.goOnToVM(ss)
	}
}

// pumpToVM runs browserToVM until the session ends, then waits for the other direction
// and takes the session apart.
func (s *Server) pumpToVM(ss *session) {
	if ss.wsc != nil && ss.wsc.empty() {
		_ = ss.wsc.SetReadDeadline(time.Unix(0, ss.readBy.Load()))
		ss.toVMPump.start()
		// Park here, at the top of the stack, in the 2 KiB a new goroutine starts with; a
		// failed flush comes back in browserToVM.
		if renew, _ := ss.waitBrowser(ss.flush); renew {
			s.restToVM(ss)
			return
		}
	}
	code, reason, renew := s.browserToVM(ss)
	if renew {
		s.restToVM(ss)
		return
	}
	if ss.wsc != nil {
		ss.wsc.idle = nil
	}
	ss.up.filled = ss.up.sent // unwritten bytes are dropped with the session
	ss.up.release()
	ss.end(code, reason)
	ss.toBrowserDone.Wait()
	ss.stopPings()
	// Drop what the browser still sends until it answers the close frame
	// (or closeGrace passes): closing with unread data makes the kernel
	// reset the connection, and the browser would lose the reason (1006).
	ss.setReadDeadline(time.Now().Add(closeGrace))
	for {
		if _, _, err := ss.ws.NextReader(); err != nil {
			break
		}
	}
	_ = ss.ws.Close()
	s.ended(ss)
}

func (s *Server) getBuf() *[]byte  { return s.bufs.get() }
func (s *Server) putBuf(b *[]byte) { s.bufs.put(b) }

// readVM reads once from the console's end. A socket is read through a rawReader, which takes
// a pooled buffer only once bytes are there, so an idle session holds none; anything else
// is read holding one. buf is nil when n is 0.
func (s *Server) readVM(ss *session, idle func() error) (buf *[]byte, n int, err error) {
	if ss.vmReader != nil {
		return ss.vmReader.read(nil, 0, idle)
	}
	buf = s.getBuf()
	n, err = ss.vnc.Read(*buf)
	if n <= 0 {
		s.putBuf(buf)
		return nil, 0, err
	}
	return buf, n, err
}

// peerName names the session's far end in close reasons.
func (ss *session) peerName() string { return peerOf(ss.g.target) }

// peerOf names a target's far end: "the VNC server of vm-a", "the shell in web".
func peerOf(t Target) string {
	switch t.kind() {
	case SPICE:
		return "the SPICE server of " + t.VM
	case Serial:
		return "the serial console of " + t.VM
	case Shell:
		return "the shell in " + t.VM
	}
	return "the VNC server of " + t.VM
}

// replay sends a text console's earlier output before anything new.
func (s *Server) replay(ss *session) error {
	if ss.g.target.Replay == nil {
		return nil
	}
	for b := ss.g.target.Replay(); len(b) > 0; {
		n := min(len(b), copyBufSize)
		_ = ss.ws.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		if err := ss.ws.WriteMessage(websocket.BinaryMessage, b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// vmToBrowser sends one read from the console (at most copyBufSize bytes) as one binary
// message; end says the session ends, with that code and reason.
func (s *Server) vmToBrowser(ss *session, buf *[]byte, n int, rerr error) (code int, reason string, end bool) {
	var werr error
	if n > 0 {
		_ = ss.ws.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		werr = ss.ws.WriteMessage(websocket.BinaryMessage, (*buf)[:n])
		ss.fromVM.Add(uint64(n))
		s.putBuf(buf)
	}
	if werr != nil {
		return websocket.CloseGoingAway, "writing to the browser failed: " + werr.Error(), true
	}
	if rerr != nil {
		code, reason = s.vmReadEnd(ss, rerr)
		return code, reason, true
	}
	return 0, "", false
}

// vncGone reports an error that means the VNC server closed its end: the
// session ends with the same words whichever direction notices first.
func vncGone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

func (s *Server) vmReadEnd(ss *session, err error) (int, string) {
	switch {
	case vncGone(err) && ss.g.target.Kind == Shell:
		return websocket.CloseNormalClosure, "the shell in " + ss.g.target.VM + " ended"
	case vncGone(err):
		return websocket.CloseNormalClosure, ss.peerName() + " closed the connection (the VM may have stopped)"
	case ss.ending.Load():
		return websocket.CloseNormalClosure, "" // end has already run; this is its doing
	default:
		return websocket.CloseInternalServerErr, "reading from " + ss.peerName() + " failed: " + err.Error()
	}
}

// setWriteDeadline bounds a write to the console's end when it supports deadlines.
func setWriteDeadline(w io.Writer, d time.Duration) {
	if c, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok {
		_ = c.SetWriteDeadline(time.Now().Add(d))
	}
}

// control is a text frame from a terminal page: the only message is a resize.
type control struct {
	Type string `json:"type"`
	Cols int    `json:"cols"`
	Rows int    `json:"rows"`
}

// maxControl bounds a control message; a resize is about 40 bytes.
const maxControl = 256

// parseControl reads one control message strictly.
func parseControl(b []byte) (control, error) {
	var c control
	if len(b) > maxControl {
		return c, fmt.Errorf("a control message of %d bytes (at most %d)", len(b), maxControl)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("a control message that is not JSON: %w", err)
	}
	if dec.More() {
		return c, errors.New("a control message with trailing data")
	}
	if c.Type != "resize" {
		return c, fmt.Errorf("a control message of unknown type %q", c.Type)
	}
	if c.Cols < 1 || c.Rows < 1 || c.Cols > maxTermSize || c.Rows > maxTermSize {
		return c, fmt.Errorf("a terminal size %dx%d out of range (1 to %d)", c.Cols, c.Rows, maxTermSize)
	}
	return c, nil
}

// handleControl applies a terminal page's text frame; an error ends the session.
func (s *Server) handleControl(ss *session, r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, maxControl+1))
	if err != nil {
		return err
	}
	c, err := parseControl(b)
	if err != nil {
		return err
	}
	if rs, ok := ss.vnc.(Resizer); ok {
		if err := rs.Resize(c.Cols, c.Rows); err != nil {
			s.log.Debug("console: resize failed", "vm", ss.g.target.VM, "err", err)
		}
	}
	return nil
}

// toVM gathers the browser's binary messages for the console's end and writes them in one
// call when the browser has sent nothing more (wsConn.idle) or the buffer is full: a burst of
// small messages (key presses, pointer moves, pasted text) costs one write, not one each.
// The buffer is held only while bytes wait to be written or a message is being read.
type toVM struct {
	s       *Server
	ss      *session
	buf     *[]byte
	sent    int  // (*buf)[:sent] is written
	filled  int  // (*buf)[sent:filled] waits to be written
	reading bool // a message's payload is being read into (*buf)[filled:]
	err     error
}

// vmWriteError is a failed write to the console's end, passed through gorilla's read.
type vmWriteError struct{ err error }

func (e vmWriteError) Error() string { return "writing to the console: " + e.err.Error() }

// flush writes what waits; it runs on the reading goroutine only.
func (u *toVM) flush() error {
	if u.err != nil {
		return vmWriteError{u.err}
	}
	if u.filled > u.sent {
		setWriteDeadline(u.ss.vnc, u.s.cfg.WriteTimeout)
		n, err := u.ss.vnc.Write((*u.buf)[u.sent:u.filled])
		u.ss.toVM.Add(uint64(max(n, 0)))
		if err != nil {
			u.err = err
			return vmWriteError{err}
		}
		u.sent = u.filled
	}
	if !u.reading {
		u.release()
	}
	return nil
}

// space is where the next payload bytes go; the buffer is flushed first when full.
func (u *toVM) space() ([]byte, error) {
	if u.buf == nil {
		u.buf, u.sent, u.filled = u.s.getBuf(), 0, 0
	}
	if u.filled == len(*u.buf) {
		if err := u.flush(); err != nil {
			return nil, err
		}
	}
	if u.sent == u.filled { // no read is in flight here: start again at the front
		u.sent, u.filled = 0, 0
	}
	return (*u.buf)[u.filled:], nil
}

func (u *toVM) release() {
	if u.buf != nil && u.filled == u.sent {
		u.s.putBuf(u.buf)
		u.buf = nil
	}
}

// failed words a write to the console's end that failed.
func (u *toVM) failed(err error) (int, string) {
	ss := u.ss
	switch {
	case ss.ending.Load():
		return websocket.CloseNormalClosure, ""
	case vncGone(err):
		return u.s.vmReadEnd(ss, io.EOF)
	}
	return websocket.CloseInternalServerErr, "writing to " + ss.peerName() + " failed: " + err.Error()
}

// browserToVM copies binary messages to the console. A text message is a
// terminal page's resize for text kinds and ends a graphics session. It waits for the
// browser outside gorilla (wsConn.fill) when nothing is left to parse, at the top of its
// stack; renew says renewIdle asked it to go on in a fresh goroutine.
func (s *Server) browserToVM(ss *session) (code int, reason string, renew bool) {
	text := ss.g.target.kind().text()
	u := &ss.up
	wsc := ss.wsc
	readErr := func(err error) (int, string, bool) {
		var we vmWriteError
		if errors.As(err, &we) {
			code, reason := u.failed(we.err)
			return code, reason, false
		}
		code, reason := s.browserReadEnd(ss, err)
		return code, reason, false
	}
	failed := func() (int, string, bool) {
		code, reason := u.failed(u.err)
		return code, reason, false
	}
	p := &ss.toVMPump
	p.start()
	for {
		if wsc != nil && wsc.empty() {
			renew, err := ss.waitBrowser(ss.toVMIdle)
			if renew {
				return 0, "", true
			}
			if err != nil { // the flush before waiting failed
				return readErr(err)
			}
		}
		p.worked()
		mt, r, err := ss.ws.NextReader()
		if err != nil {
			return readErr(err)
		}
		if mt != websocket.BinaryMessage {
			if !text {
				return websocket.CloseUnsupportedData, "text frames are not accepted: the console carries binary " + string(ss.g.target.kind()) + " data only", false
			}
			if err := u.flush(); err != nil { // keys typed before a resize go first
				return failed()
			}
			if err := s.handleControl(ss, r); err != nil {
				return websocket.CloseUnsupportedData, "the page sent " + err.Error(), false
			}
			continue
		}
		u.reading = true
		for {
			p, err := u.space()
			if err != nil {
				return failed()
			}
			n, rerr := r.Read(p)
			u.filled += n
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return readErr(rerr)
			}
		}
		u.reading = false
		if wsc == nil {
			// Without a wsConn nothing says when the browser has paused: write each message.
			if err := u.flush(); err != nil {
				return failed()
			}
		}
	}
}

func (s *Server) browserReadEnd(ss *session, err error) (int, string) {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		return websocket.CloseNormalClosure, fmt.Sprintf("the browser closed the console (code %d)", ce.Code)
	case errors.Is(err, websocket.ErrReadLimit):
		return websocket.CloseMessageTooBig, fmt.Sprintf("a message from the browser was larger than %d bytes", s.cfg.ReadLimit)
	case ss.ending.Load():
		return websocket.CloseNormalClosure, ""
	case isTimeout(err):
		return websocket.CloseGoingAway, fmt.Sprintf("the browser stopped answering pings (nothing for %s)", s.cfg.PongWait)
	default:
		return websocket.CloseGoingAway, "reading from the browser failed: " + err.Error()
	}
}

// isTimeout reports a read deadline passing. gorilla/websocket replaces a
// timeout with its own net.Error that does not unwrap to os.ErrDeadlineExceeded.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// closeEarly closes a WebSocket that never got a session, giving the browser closeGrace to answer the close frame, so the page can show the reason.
func closeEarly(ws *websocket.Conn, code int, reason string) {
	deadline := time.Now().Add(closeGrace)
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, truncate(reason)), deadline)
	_ = ws.SetReadDeadline(deadline)
	for {
		if _, _, err := ws.NextReader(); err != nil {
			break
		}
	}
	_ = ws.Close()
}

// truncate fits a close reason into a control frame.
func truncate(reason string) string {
	if len(reason) > maxCloseReason {
		return reason[:maxCloseReason-3] + "..."
	}
	return reason
}

// renewAfter is how often renewIdle looks at the sessions, and the least time a pump's
// goroutine lives before it renews on its own.
const renewAfter = time.Second

// errRenew is returned by a pump's idle function: go on in a fresh goroutine.
var errRenew = errors.New("renew the pump's goroutine")

// pumpState is how a pump gives up its goroutine. A pump's stack grows to its deepest
// burst's (gorilla's writes, system calls: 4 KiB and more) and the runtime never shrinks a
// parked stack that far. So a pump that worked and is about to wait parks its socket in
// the idle watch and its goroutine ends (or, where it cannot park, goes on in a fresh one),
// at most once per renewAfter (a new goroutine per wait would cost the round trip dearly);
// one that stayed idle for a whole sweep of renewIdle after it declined is woken for it (a
// read deadline in the past).
type pumpState struct {
	grown  atomic.Bool  // worked since its goroutine started
	active atomic.Bool  // worked since the last sweep
	renew  atomic.Bool  // the sweep woke it to renew
	parked atomic.Int32 // parkedNo, parkedRenewable, parkedWaking
	since  int64        // when its goroutine started (UnixNano; not a time.Time: 16 bytes less, two a session); the pump's own
}

// start is called by each of the pump's goroutines.
func (p *pumpState) start() { p.since = time.Now().UnixNano() }

// idle runs before the pump waits: renew when it worked and its goroutine is old enough.
func (p *pumpState) idle() error {
	if p.grown.Load() && time.Now().UnixNano()-p.since >= int64(renewAfter) {
		return errRenew
	}
	return nil
}

const (
	parkedNo        = iota // busy, or in a read renewIdle must not disturb (inside gorilla)
	parkedRenewable        // waiting where a deadline in the past only means "renew"
	parkedWaking           // renewIdle is moving the deadline
)

// worked records a wake with bytes.
func (p *pumpState) worked() {
	if !p.active.Load() {
		p.active.Store(true)
	}
	if !p.grown.Load() {
		p.grown.Store(true)
	}
}

// reset is the state of a fresh goroutine.
func (p *pumpState) reset() {
	p.grown.Store(false)
	p.active.Store(false)
	p.renew.Store(false)
}

// sweepable reports a pump to renew: it grew, and did nothing since the last sweep.
func (p *pumpState) sweepable() bool {
	return p.grown.Load() && !p.active.Swap(false) && !p.renew.Load()
}

// renewIdle runs every renewAfter while sessions are open and wakes the pumps that worked
// and then stayed idle, so they renew their goroutines (pumpState).
func (s *Server) renewIdle() {
	past := time.Unix(1, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		if ss.ending.Load() {
			continue
		}
		if p := &ss.toBrowserPump; p.parked.Load() == parkedRenewable && p.sweepable() {
			if vc, ok := ss.vnc.(net.Conn); ok {
				p.renew.Store(true)
				_ = vc.SetReadDeadline(past)
			}
		}
		if p := &ss.toVMPump; ss.wsc != nil && p.sweepable() {
			ss.mu.Lock()
			if p.parked.CompareAndSwap(parkedRenewable, parkedWaking) {
				p.renew.Store(true)
				_ = ss.wsc.SetReadDeadline(past)
			}
			ss.mu.Unlock()
		}
	}
	if len(s.sessions) > 0 && !s.closed {
		s.renewTimer.Reset(renewAfter)
	} else {
		s.renewing = false
	}
}

// renewSoonLocked arms renewIdle when a session starts; s.mu is held.
func (s *Server) renewSoonLocked() {
	if s.renewing {
		return
	}
	s.renewing = true
	if s.renewTimer == nil {
		s.renewTimer = time.AfterFunc(renewAfter, s.renewIdle)
		return
	}
	s.renewTimer.Reset(renewAfter)
}

// waitBrowser waits for the browser's next bytes outside gorilla (wsConn.fill); renew says
// the pump should go on in a fresh goroutine (idle said so, or renewIdle woke it).
func (ss *session) waitBrowser(idle func() error) (renew bool, err error) {
	p, wsc := &ss.toVMPump, ss.wsc
	p.parked.Store(parkedRenewable)
	err = wsc.fill(idle)
	if err == errRenew {
		if p.parked.CompareAndSwap(parkedRenewable, parkedNo) {
			return true, nil
		}
		err = nil // renewIdle woke it at the same time: its way below
	}
	if !p.parked.CompareAndSwap(parkedRenewable, parkedNo) {
		// renewIdle moved the deadline to wake this pump: wait until it is done
		// (ss.mu), then renew, or put the deadline back if bytes came first.
		ss.mu.Lock()
		p.parked.Store(parkedNo)
		ss.mu.Unlock()
		if wsc.timedOut() {
			return true, nil
		}
		p.renew.Store(false)
		_ = wsc.SetReadDeadline(time.Unix(0, ss.readBy.Load()))
	}
	return false, err
}

// setReadDeadline sets the browser side's read deadline and remembers it for the pump
// that renewIdle woke.
func (ss *session) setReadDeadline(t time.Time) {
	ss.readBy.Store(t.UnixNano())
	_ = ss.ws.SetReadDeadline(t)
}
