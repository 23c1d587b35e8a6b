package console

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// parkedCount is how many sessions wait in the watch's epoll set.
func (w *vmWatch) parkedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.parked)
}

func TestIdleConsoleSocketsWaitWithoutAGoroutine(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	echo := func(ws *websocket.Conn, msg string) {
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
	const n = 3
	var wss []*websocket.Conn
	for range n {
		ws := connect(t, s, TCPTarget("vm-a", uuidB, vnc.addr()))
		if got := readBanner(t, ws); got != banner {
			t.Fatalf("banner %q", got)
		}
		echo(ws, "hello")
		wss = append(wss, ws)
	}
	eventually(t, 10*time.Second, "every idle console socket in the epoll set", func() bool { return s.watch.parkedCount() == n })

	// The console's answer wakes a parked pump, which parks again once idle.
	echo(wss[0], "woken by the console's bytes")
	eventually(t, 10*time.Second, "the woken pump to park again", func() bool { return s.watch.parkedCount() == n })
	echo(wss[0], "and again")

	// A browser that leaves ends its session though the VM side waits in the set.
	wss[1].Close()
	eventually(t, 5*time.Second, "the left session to end", func() bool { return len(s.Sessions()) == n-1 })

	// A console that goes away while parked ends the rest, with the reason.
	eventually(t, 10*time.Second, "the pumps parked", func() bool { return s.watch.parkedCount() == n-1 })
	vnc.dropAll()
	for _, ws := range []*websocket.Conn{wss[0], wss[2]} {
		if ce := closeOf(t, ws); ce.Code != websocket.CloseNormalClosure || ce.Text != "the VNC server of vm-a closed the connection (the VM may have stopped)" {
			t.Fatalf("close %d %q", ce.Code, ce.Text)
		}
	}
	eventually(t, 5*time.Second, "the sessions to end", func() bool { return len(s.Sessions()) == 0 })
	if got := s.watch.parkedCount(); got != 0 {
		t.Fatalf("%d sockets still parked", got)
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
	eventually(t, 10*time.Second, "the idle socket in the epoll set", func() bool { return s.watch.parkedCount() == 1 })
	if err := s.Close(); err != nil { // returns only once every pump has ended
		t.Fatal(err)
	}
	if ce := closeOf(t, ws); ce.Code != websocket.CloseGoingAway || ce.Text != "Horcrux closed the console server" {
		t.Fatalf("close %d %q", ce.Code, ce.Text)
	}
}
