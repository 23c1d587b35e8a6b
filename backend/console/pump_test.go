package console

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		got <- c
	}()
	a, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-got
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

func testWSConn(t *testing.T, c *net.TCPConn, pool *bufPool) *wsConn {
	t.Helper()
	rc := rawConnOf(c)
	if rc == nil {
		t.Skip("rawReader is wired on Linux only")
	}
	return newWSConn(c, rc, pool)
}

func TestWSConnReadsThroughAPooledBuffer(t *testing.T) {
	a, b := tcpPair(t)
	pool := &bufPool{}
	c := testWSConn(t, b, pool)
	msg := bytes.Repeat([]byte("0123456789"), 10)
	if _, err := a.Write(msg); err != nil {
		t.Fatal(err)
	}
	var got []byte
	p := make([]byte, 10)
	n, err := c.Read(p)
	if err != nil || n != 10 {
		t.Fatalf("read %d, %v", n, err)
	}
	got = append(got, p[:n]...)
	// One system call took what had arrived; the rest waits in the pooled buffer.
	eventually(t, 5*time.Second, "the rest to arrive", func() bool {
		if c.buffered() > 0 {
			return true
		}
		n, err := c.Read(p)
		got = append(got, p[:n]...)
		return err != nil || len(got) == len(msg)
	})
	if !c.holding() && len(got) < len(msg) {
		t.Fatal("bytes are buffered without a pooled buffer")
	}
	for len(got) < len(msg) {
		n, err := c.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p[:n]...)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("read %q, want %q", got, msg)
	}
	if c.holding() || pool.out.Load() != 0 {
		t.Fatalf("all read, yet the connection holds a buffer (holding %v, %d out)", c.holding(), pool.out.Load())
	}

	// A large read goes straight into the caller's buffer.
	big := bytes.Repeat([]byte{7}, directRead)
	if _, err := a.Write(big); err != nil {
		t.Fatal(err)
	}
	into := make([]byte, 2*directRead)
	for total := 0; total < len(big); {
		n, err := c.Read(into[total:])
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if c.holding() {
			t.Fatal("a large read went through a pooled buffer")
		}
	}

	// EOF is reported, and nothing is held after it.
	a.Close()
	if n, err := c.Read(p); n != 0 || err != io.EOF {
		t.Fatalf("after the peer closed: %d, %v; want 0, EOF", n, err)
	}
	if pool.out.Load() != 0 {
		t.Fatalf("%d buffers out after EOF", pool.out.Load())
	}
}

func TestWSConnIdleRunsBeforeWaiting(t *testing.T) {
	a, b := tcpPair(t)
	pool := &bufPool{}
	c := testWSConn(t, b, pool)
	var idles atomic.Int32
	waiting := make(chan struct{}, 1)
	c.idle = func() error {
		idles.Add(1)
		select {
		case waiting <- struct{}{}:
		default:
		}
		return nil
	}
	done := make(chan error, 1)
	p := make([]byte, 10)
	go func() {
		_, err := c.Read(p)
		done <- err
	}()
	<-waiting // the reader found nothing and is about to wait: it holds no buffer
	if pool.out.Load() != 0 {
		t.Fatalf("%d buffers held while waiting", pool.out.Load())
	}
	if _, err := a.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p[0] != 'x' || idles.Load() < 1 {
		t.Fatalf("read %q after %d idle calls", p[:1], idles.Load())
	}

	// An error from idle ends the read and comes back as is.
	boom := errors.New("boom")
	c.idle = func() error { return boom }
	if _, err := c.Read(p); !errors.Is(err, boom) {
		t.Fatalf("read error %v, want idle's", err)
	}
}

// countingConn counts the writes to the VM's end.
type countingConn struct {
	*net.TCPConn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.TCPConn.Write(p)
}

// sinkTarget is a target whose VM end keeps what it receives and counts the proxy's writes to it.
func sinkTarget(t *testing.T) (Target, func() []byte, *atomic.Pointer[countingConn]) {
	t.Helper()
	var mu sync.Mutex
	var got []byte
	ln := serveLoopback(t, func(c net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			mu.Lock()
			got = append(got, buf[:n]...)
			mu.Unlock()
			if err != nil {
				return
			}
		}
	})
	var conn atomic.Pointer[countingConn]
	tg := TCPTarget("vm-sink", uuidA, ln.Addr().String())
	tg.Dial = func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp4", ln.Addr().String())
		if err != nil {
			return nil, err
		}
		cc := &countingConn{TCPConn: c.(*net.TCPConn)}
		conn.Store(cc)
		return cc, nil
	}
	return tg, func() []byte { mu.Lock(); defer mu.Unlock(); return append([]byte(nil), got...) }, &conn
}

// clientFrames builds masked binary frames (mask key zero) as a browser sends them.
func clientFrames(msgs [][]byte) []byte {
	var out []byte
	for _, m := range msgs {
		out = append(out, 0x82)
		switch {
		case len(m) < 126:
			out = append(out, 0x80|byte(len(m)))
		case len(m) < 1<<16:
			out = append(out, 0x80|126)
			out = binary.BigEndian.AppendUint16(out, uint16(len(m)))
		default:
			out = append(out, 0x80|127)
			out = binary.BigEndian.AppendUint64(out, uint64(len(m)))
		}
		out = append(out, 0, 0, 0, 0)
		out = append(out, m...)
	}
	return out
}

func TestUploadBurstIsGatheredIntoFewWrites(t *testing.T) {
	s := newTestServer(t, Config{})
	tg, got, conn := sinkTarget(t)
	ws := connect(t, s, tg)
	eventually(t, 5*time.Second, "the VM end", func() bool { return conn.Load() != nil })
	// 1000 key-event-sized messages arriving at once, as one TCP write.
	var msgs [][]byte
	var want []byte
	for i := range 1000 {
		m := []byte{byte(i), byte(i >> 8), 'k', 'e', 'y', 0, 0, 1}
		msgs = append(msgs, m)
		want = append(want, m...)
	}
	if _, err := ws.UnderlyingConn().Write(clientFrames(msgs)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "every byte at the VM", func() bool { return len(got()) >= len(want) })
	if !bytes.Equal(got(), want) {
		t.Fatal("the VM received other bytes than were sent, or in another order")
	}
	if w := conn.Load().writes.Load(); w > 100 {
		t.Errorf("%d writes to the VM for 1000 messages that arrived together; want them gathered", w)
	}
}

func TestUploadMixedSizesArriveIntact(t *testing.T) {
	s := newTestServer(t, Config{ReadLimit: 1 << 20})
	tg, got, _ := sinkTarget(t)
	ws := connect(t, s, tg)
	var want []byte
	sizes := []int{1, 125, 126, 1000, copyBufSize - 1, copyBufSize, copyBufSize + 1, 3 * copyBufSize, 7, directRead, directRead - 1, 200 << 10}
	for i, n := range sizes {
		m := make([]byte, n)
		for j := range m {
			m[j] = byte(i*31 + j)
		}
		want = append(want, m...)
		if err := ws.WriteMessage(websocket.BinaryMessage, m); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "every byte at the VM", func() bool { return len(got()) >= len(want) })
	if !bytes.Equal(got(), want) {
		t.Fatalf("the VM received %d bytes that differ from the %d sent", len(got()), len(want))
	}
	eventually(t, 5*time.Second, "the counter", func() bool {
		ss := s.Sessions()
		return len(ss) == 1 && ss[0].BytesToVM == uint64(len(want))
	})
}

func TestIdleSessionsHoldNoBuffer(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	const n = 5
	var wss []*websocket.Conn
	for range n {
		ws := connectFake(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
		// Bytes both ways, so every buffer has been taken once.
		msg := bytes.Repeat([]byte("m"), 100<<10)
		if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			t.Fatal(err)
		}
		for echoed := 0; echoed < len(msg); {
			_, p, err := ws.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			echoed += len(p)
		}
		wss = append(wss, ws)
	}
	if len(s.Sessions()) != n {
		t.Fatalf("%d sessions, want %d", len(s.Sessions()), n)
	}
	eventually(t, 3*time.Second, "idle sessions to give their buffers back", func() bool { return s.bufs.out.Load() == 0 })
	for _, ws := range wss {
		ws.Close()
	}
	eventually(t, 5*time.Second, "the sessions to end", func() bool { return len(s.Sessions()) == 0 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// serveLoopback listens on a loopback port and runs serve on each
// connection, closing it after; the listener closes when the test ends.
func serveLoopback(t testing.TB, serve func(net.Conn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln
}

// benchSession opens a session to a local TCP server running serve on each connection.
func benchSession(b *testing.B, serve func(net.Conn)) *websocket.Conn {
	b.Helper()
	ln := serveLoopback(b, serve)
	s, err := NewServer(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), assets: &assets{page: fstest.MapFS{}, libs: fstest.MapFS{}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	pageURL, err := s.Mint(TCPTarget("bench", uuidA, ln.Addr().String()))
	if err != nil {
		b.Fatal(err)
	}
	_, tk, _ := strings.Cut(pageURL, "#t=")
	req, _ := http.NewRequest(http.MethodPost, s.Origin()+apiOpen, strings.NewReader(`{"ticket":"`+tk+`"}`))
	req.Header.Set("Origin", s.Origin())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var body struct{ WS string }
	err = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	d := websocket.Dialer{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	ws, _, err := d.Dial("ws://"+strings.TrimPrefix(s.Origin(), "http://")+body.WS, http.Header{"Origin": {s.Origin()}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ws.Close() })
	return ws
}

// BenchmarkProxyDownload: a VM end writing 64 KiB blocks, the browser reading (bytes/s is the figure).
func BenchmarkProxyDownload(b *testing.B) {
	ws := benchSession(b, func(c net.Conn) {
		block := make([]byte, 64<<10)
		for {
			if _, err := c.Write(block); err != nil {
				return
			}
		}
	})
	b.SetBytes(64 << 10)
	buf := make([]byte, 256<<10)
	want := int64(b.N) * 64 << 10
	b.ResetTimer()
	for got := int64(0); got < want; {
		_, r, err := ws.NextReader()
		if err != nil {
			b.Fatal(err)
		}
		for {
			n, err := r.Read(buf)
			got += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkProxyUpload: the browser sending messages of each size, the VM end counting.
func BenchmarkProxyUpload(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			var got atomic.Int64
			ws := benchSession(b, func(c net.Conn) {
				buf := make([]byte, 256<<10)
				for {
					n, err := c.Read(buf)
					got.Add(int64(n))
					if err != nil {
						return
					}
				}
			})
			msg := make([]byte, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					b.Fatal(err)
				}
			}
			want := int64(b.N) * int64(size)
			deadline := time.Now().Add(30 * time.Second)
			for got.Load() < want && time.Now().Before(deadline) {
				time.Sleep(100 * time.Microsecond)
			}
			if got.Load() < want {
				b.Fatalf("the VM end got %d of %d bytes", got.Load(), want)
			}
		})
	}
}

func TestIdlePumpsRenewTheirGoroutines(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	ws := connectFake(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	// Both pumps work within their goroutine's first second, so they decline to renew
	// when they go idle; renewIdle's sweep must renew them.
	echo(t, ws, "first")
	s.mu.Lock()
	var ss *session
	for _, v := range s.sessions {
		ss = v
	}
	s.mu.Unlock()
	if !ss.toVMPump.grown.Load() || !ss.toBrowserPump.grown.Load() {
		t.Fatal("the pumps did not record their work")
	}
	eventually(t, 10*time.Second, "both pumps to renew", func() bool {
		return !ss.toVMPump.grown.Load() && !ss.toBrowserPump.grown.Load()
	})
	// The renewed pumps carry on, both ways, and the session holds no buffer at rest.
	echo(t, ws, "after renewing")
	eventually(t, 3*time.Second, "the buffers back", func() bool { return s.bufs.out.Load() == 0 })
	if n := len(s.Sessions()); n != 1 {
		t.Fatalf("%d sessions after renewing, want 1", n)
	}
}
