package console

import (
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

// echo sends msg and reads it back from the fake VNC server.
func echo(t *testing.T, ws *websocket.Conn, msg string) {
	t.Helper()
	if err := ws.WriteMessage(websocket.BinaryMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for len(got) < len(msg) {
		_, p, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p...)
	}
	if string(got) != msg {
		t.Fatalf("echo %q, want %q", got, msg)
	}
}

func TestIdleSessionsWaitWithoutGoroutines(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	const n = 3
	var wss []*websocket.Conn
	for range n {
		ws := connect(t, s, TCPTarget("vm-a", uuidB, vnc.addr()))
		if got := readBanner(t, ws); got != banner {
			t.Fatalf("banner %q", got)
		}
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
	ws := connect(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	if got := readBanner(t, ws); got != banner {
		t.Fatalf("banner %q", got)
	}
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
	ws := connect(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	if got := readBanner(t, ws); got != banner {
		t.Fatalf("banner %q", got)
	}
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
