package console

import (
	"context"
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
	// copyBufSize is one pooled copy buffer; a read from the VM becomes at most one WebSocket message.
	copyBufSize = 64 << 10
	// closeGrace is how long the browser has to answer our close frame before the TCP connection goes.
	closeGrace = time.Second
	// maxCloseReason is the longest close reason a control frame can carry.
	maxCloseReason = 123
)

// session is one WebSocket proxied to one VM's VNC server.
type session struct {
	id      string
	g       *grant
	started time.Time
	ws      *websocket.Conn
	vnc     net.Conn
	fromVM  atomic.Uint64
	toVM    atomic.Uint64

	endOnce sync.Once
	ending  atomic.Bool // a close frame went out: pongs no longer extend the read deadline
	reason  atomic.Pointer[string]

	mu      sync.Mutex
	stopped bool        // no more pings
	ping    *time.Timer // fires sendPing; a timer, not a goroutine, so an idle session costs no stack for it
	pinging sync.WaitGroup
}

func (ss *session) info() SessionInfo {
	t := ss.g.target
	return SessionInfo{ID: ss.id, VM: t.VM, UUID: t.UUID, Target: t.Desc, Started: ss.started,
		BytesFromVM: ss.fromVM.Load(), BytesToVM: ss.toVM.Load()}
}

// end closes the session once: a close frame with the reason to the browser, which has closeGrace to answer, and the VM side at once.
func (ss *session) end(code int, reason string) {
	ss.endOnce.Do(func() {
		ss.reason.Store(&reason)
		ss.ending.Store(true)
		deadline := time.Now().Add(closeGrace)
		_ = ss.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, truncate(reason)), deadline)
		_ = ss.ws.SetReadDeadline(deadline)
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
	if err := ss.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
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

	ws, err := s.upgrader.Upgrade(w, r, s.headers)
	if err != nil {
		return // the upgrader has answered and logged
	}
	t := g.target
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.DialTimeout)
	vnc, err := t.Dial(ctx)
	cancel()
	if err != nil {
		s.log.Warn("console: dial failed", "vm", t.VM, "target", t.Desc, "err", err)
		closeEarly(ws, websocket.CloseInternalServerErr, "cannot reach the VNC server of "+t.VM+": "+err.Error())
		return
	}
	ss := &session{id: newID(), g: g, started: time.Now(), ws: ws, vnc: vnc}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = vnc.Close()
		closeEarly(ws, websocket.CloseGoingAway, "Horcrux closed the console server")
		return
	}
	old := g.session
	g.session = ss
	s.sessions[ss.id] = ss
	s.notifyLocked()
	ss.mu.Lock()
	ss.ping = time.AfterFunc(s.cfg.PingPeriod, func() { ss.sendPing(s.cfg.WriteTimeout, s.cfg.PingPeriod) })
	ss.mu.Unlock()
	s.mu.Unlock()
	if old != nil {
		old.end(websocket.CloseNormalClosure, "replaced by a newer connection from the same page")
	}
	s.log.Info("console: session started", "session", ss.id, "vm", t.VM, "target", t.Desc)

	s.proxy(ss)

	s.mu.Lock()
	delete(s.sessions, ss.id)
	if g.session == ss {
		g.session = nil
		g.lastSeen = s.cfg.Now()
	}
	s.notifyLocked()
	s.mu.Unlock()
	why := ""
	if p := ss.reason.Load(); p != nil {
		why = *p
	}
	s.log.Info("console: session ended", "session", ss.id, "vm", t.VM, "reason", why,
		"bytes_from_vm", ss.fromVM.Load(), "bytes_to_vm", ss.toVM.Load(), "duration", time.Since(ss.started).Round(time.Millisecond))
}

// proxy runs one goroutine per direction; whichever ends first ends both.
func (s *Server) proxy(ss *session) {
	ss.ws.SetReadLimit(s.cfg.ReadLimit)
	_ = ss.ws.SetReadDeadline(time.Now().Add(s.cfg.PongWait))
	ss.ws.SetPongHandler(func(string) error {
		if !ss.ending.Load() {
			_ = ss.ws.SetReadDeadline(time.Now().Add(s.cfg.PongWait))
		}
		return nil
	})
	if ss.ending.Load() { // ended (Close, CloseSession) before the deadlines above were set
		_ = ss.ws.SetReadDeadline(time.Now().Add(closeGrace))
	}
	toBrowser := make(chan struct{})
	go func() {
		defer close(toBrowser)
		ss.end(s.vmToBrowser(ss))
	}()
	ss.end(s.browserToVM(ss))
	<-toBrowser
	ss.stopPings()
	// Drop what the browser still sends until it answers the close frame
	// (or closeGrace passes): closing with unread data makes the kernel
	// reset the connection, and the browser would lose the reason (1006).
	_ = ss.ws.SetReadDeadline(time.Now().Add(closeGrace))
	for {
		if _, _, err := ss.ws.NextReader(); err != nil {
			break
		}
	}
	_ = ss.ws.Close()
}

func (s *Server) getBuf() *[]byte  { return s.bufs.Get().(*[]byte) }
func (s *Server) putBuf(b *[]byte) { s.bufs.Put(b) }

// vmToBrowser copies VNC bytes into binary messages. It waits for data without a buffer
// (waitReadable), so an idle session holds no copy buffer.
func (s *Server) vmToBrowser(ss *session) (code int, reason string) {
	more := false // the last read filled the buffer: more is likely waiting, skip the peek
	for {
		if !more {
			if err := waitReadable(ss.vnc); err != nil {
				return s.vmReadEnd(ss, err)
			}
		}
		buf := s.getBuf()
		n, rerr := ss.vnc.Read(*buf)
		more = n == len(*buf)
		var werr error
		if n > 0 {
			_ = ss.ws.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
			werr = ss.ws.WriteMessage(websocket.BinaryMessage, (*buf)[:n])
			ss.fromVM.Add(uint64(n))
		}
		s.putBuf(buf)
		if werr != nil {
			return websocket.CloseGoingAway, "writing to the browser failed: " + werr.Error()
		}
		if rerr != nil {
			return s.vmReadEnd(ss, rerr)
		}
	}
}

// vncGone reports an error that means the VNC server closed its end: the
// session ends with the same words whichever direction notices first.
func vncGone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

func (s *Server) vmReadEnd(ss *session, err error) (int, string) {
	switch {
	case vncGone(err):
		return websocket.CloseNormalClosure, "the VNC server of " + ss.g.target.VM + " closed the connection (the VM may have stopped)"
	case ss.ending.Load():
		return websocket.CloseNormalClosure, "" // end has already run; this is its doing
	default:
		return websocket.CloseInternalServerErr, "reading from the VNC server of " + ss.g.target.VM + " failed: " + err.Error()
	}
}

// browserToVM copies binary messages to the VNC server; a text message ends the session.
func (s *Server) browserToVM(ss *session) (code int, reason string) {
	for {
		mt, r, err := ss.ws.NextReader()
		if err != nil {
			return s.browserReadEnd(ss, err)
		}
		if mt != websocket.BinaryMessage {
			return websocket.CloseUnsupportedData, "text frames are not accepted: the console carries binary VNC data only"
		}
		buf := s.getBuf()
		for {
			n, rerr := r.Read(*buf)
			if n > 0 {
				_ = ss.vnc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
				if _, werr := ss.vnc.Write((*buf)[:n]); werr != nil {
					s.putBuf(buf)
					if ss.ending.Load() {
						return websocket.CloseNormalClosure, ""
					}
					if vncGone(werr) {
						return s.vmReadEnd(ss, io.EOF)
					}
					return websocket.CloseInternalServerErr, "writing to the VNC server of " + ss.g.target.VM + " failed: " + werr.Error()
				}
				ss.toVM.Add(uint64(n))
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				s.putBuf(buf)
				return s.browserReadEnd(ss, rerr)
			}
		}
		s.putBuf(buf)
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
