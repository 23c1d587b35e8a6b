package console

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// parkedCount is how many pumps of each side wait in the watch's epoll set.
func (w *idleWatch) parkedCount() (toBrowser, toVM int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.parked {
		if p.side == toVMSide {
			toVM++
		} else {
			toBrowser++
		}
	}
	return toBrowser, toVM
}

// allParked reports that both pumps of n sessions wait in the epoll set.
func allParked(s *Server, n int) func() bool {
	return func() bool {
		b, v := s.watch.parkedCount()
		return b == n && v == n
	}
}

func TestIdleSessionsWaitWithoutGoroutines(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	const n = 3
	var wss []*websocket.Conn
	for range n {
		ws := connectFake(t, s, TCPTarget("vm-a", uuidB, vnc.addr()))
		echo(t, ws, "hello")
		wss = append(wss, ws)
	}
	eventually(t, 10*time.Second, "both sockets of every idle session in the epoll set", allParked(s, n))

	// The browser's message wakes one parked pump and the console's answer the other;
	// both park again once idle.
	echo(t, wss[0], "woken by the console's bytes")
	eventually(t, 10*time.Second, "the woken pump to park again", allParked(s, n))
	echo(t, wss[0], "and again")

	// A browser that leaves ends its session though the VM side waits in the set.
	wss[1].Close()
	eventually(t, 5*time.Second, "the left session to end", func() bool { return len(s.Sessions()) == n-1 })

	// A console that goes away while parked ends the rest, with the reason.
	eventually(t, 10*time.Second, "the pumps parked", allParked(s, n-1))
	vnc.dropAll()
	for _, ws := range []*websocket.Conn{wss[0], wss[2]} {
		if ce := closeOf(t, ws); ce.Code != websocket.CloseNormalClosure || ce.Text != "the VNC server of vm-a closed the connection (the VM may have stopped)" {
			t.Fatalf("close %d %q", ce.Code, ce.Text)
		}
	}
	eventually(t, 5*time.Second, "the sessions to end", func() bool { return len(s.Sessions()) == 0 })
	if b, v := s.watch.parkedCount(); b+v != 0 {
		t.Fatalf("%d+%d sockets still parked", b, v)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestServerCloseResumesParkedPumps(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	ws := connectFake(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	echo(t, ws, "hello") // pumps that worked park when idle
	eventually(t, 10*time.Second, "the idle sockets in the epoll set", allParked(s, 1))
	if err := s.Close(); err != nil { // returns only once every pump has ended
		t.Fatal(err)
	}
	if ce := closeOf(t, ws); ce.Code != websocket.CloseGoingAway || ce.Text != "Horcrux closed the console server" {
		t.Fatalf("close %d %q", ce.Code, ce.Text)
	}
}

func TestParkedSessionOfAMuteBrowserEnds(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	rec := &logRecorder{}
	// Pongs are due within 4 s: long enough for the pumps to park first.
	s := newTestServer(t, Config{PingPeriod: 200 * time.Millisecond, PongWait: 4 * time.Second, Log: testLogTo(t, rec)})
	ws := connectFake(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	echo(t, ws, "hello")
	// From here the browser reads nothing, so it answers no ping: its side stays parked
	// with no read deadline of its own, and the ping timer must resume it.
	eventually(t, 3*time.Second, "the idle sockets in the epoll set", allParked(s, 1))
	eventually(t, 15*time.Second, "the mute session to end", func() bool { return len(s.Sessions()) == 0 })
	eventually(t, 5*time.Second, "the end logged as a ping timeout", func() bool {
		return rec.contains("session ended", "stopped answering pings")
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSessionsParkAndWakeUnderChurn runs sessions that talk, idle long enough to park,
// and end from either side, and checks every echo and that nothing is left behind.
func TestSessionsParkAndWakeUnderChurn(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	const n = 12
	wss := make([]*websocket.Conn, n)
	ids := make([]string, n) // each churn's own session
	seen := map[string]bool{}
	for i := range wss {
		// Sessions on their own consoles: a console takes one session at a time.
		wss[i] = connectFake(t, s, TCPTarget(fmt.Sprintf("vm-%d", i), fmt.Sprintf("%08d-2222-3333-4444-555555555555", i), vnc.addr()))
		for _, si := range s.Sessions() {
			if !seen[si.ID] {
				seen[si.ID], ids[i] = true, si.ID
			}
		}
	}
	errs := make(chan error, n)
	for i, ws := range wss {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			errs <- churn(ws, rng, func() { s.CloseSession(ids[i]) })
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	eventually(t, 10*time.Second, "every session to end", func() bool { return len(s.Sessions()) == 0 })
	if b, v := s.watch.parkedCount(); b+v != 0 {
		t.Fatalf("%d+%d sockets still parked", b, v)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// churn echoes messages of random sizes with pauses that let the pumps park, then ends
// the session from the browser or from Horcrux (end).
func churn(ws *websocket.Conn, rng *rand.Rand, end func()) error {
	defer ws.Close()
	for round := range 5 {
		msg := make([]byte, 1+rng.IntN(256<<10)) // up to the default ReadLimit
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return fmt.Errorf("round %d: %w", round, err)
		}
		var got []byte
		for len(got) < len(msg) {
			_, p, err := ws.ReadMessage()
			if err != nil {
				return fmt.Errorf("round %d, after %d of %d bytes: %w", round, len(got), len(msg), err)
			}
			got = append(got, p...)
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("round %d: the echo of %d bytes differs", round, len(msg))
		}
		time.Sleep(time.Duration(rng.IntN(2500)) * time.Millisecond)
	}
	if rng.IntN(2) == 0 {
		return nil // the browser leaves
	}
	end()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Text != "the session was closed from Horcrux" {
				return fmt.Errorf("closed with %d %q", ce.Code, ce.Text)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("no close frame after CloseSession: %w", err)
		}
	}
}
