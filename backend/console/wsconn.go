package console

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// directRead is the smallest read that goes straight into the caller's buffer: a large
// payload is not copied through a pooled buffer.
const directRead = 16 << 10

// wsConn is the browser's TCP connection as gorilla reads it. Small reads (gorilla's
// bufio.Reader of wsReadBufferSize bytes filling) go through a buffer from the pool, taken
// when bytes arrive and given back once gorilla has taken them all, so an idle session
// holds no read buffer while a burst of small messages costs one system call per
// copyBufSize bytes. Large reads (a big message's payload), and the small reads between
// them, go straight into the caller's buffer. Writes (writev included), deadlines and
// Close are the TCP connection's own.
type wsConn struct {
	*net.TCPConn
	rr   *rawReader
	pool *bufPool
	br   *bufio.Reader // gorilla's reader over c, to know when nothing is left to parse
	buf  *[]byte       // what was read and not yet taken: (*buf)[r:w]; nil when none
	r, w int
	err  error // what fill met, for the next Read
	big  bool  // the last read from the socket was a large one: payloads are large
	// idle runs on the reading goroutine when gorilla waits for more and the browser has
	// sent nothing yet: browserToVM hands what it gathered to the VM there.
	idle func() error
	// fill's idle function and its wrapper, bound once: a wait allocates nothing.
	fillIdle, fillHook func() error
}

// wsReadBufferSize is gorilla's bufio.Reader over a wsConn: a frame header and a control
// frame's payload (at most 125 bytes) fit, and gorilla takes a hijacked reader over 256 bytes.
const wsReadBufferSize = 272 // its buffer falls in the 288-byte size class

// Read hands out what the pooled buffer holds, or reads more.
func (c *wsConn) Read(p []byte) (int, error) {
	if c.buf == nil {
		if c.err != nil {
			err := c.err
			c.err = nil
			return 0, err
		}
		if len(p) >= directRead || c.big {
			_, n, err := c.rr.read(p, 0, c.idle)
			c.big = len(p) >= directRead
			return n, err
		}
		buf, n, err := c.rr.read(nil, 0, c.idle)
		if n == 0 {
			return 0, err
		}
		c.buf, c.r, c.w = buf, 0, n
	}
	n := copy(p, (*c.buf)[c.r:c.w])
	c.r += n
	if c.r == c.w {
		c.pool.put(c.buf)
		c.buf = nil
	}
	return n, nil
}

// empty reports that nothing the browser sent waits to be parsed.
func (c *wsConn) empty() bool { return c.buf == nil && c.err == nil && c.br.Buffered() == 0 }

// fill waits for the browser's next bytes outside gorilla, at the top of a goroutine's
// stack, and keeps them (or the error met) for gorilla's next Read. An error from idle is
// returned and nothing is kept: gorilla would hold any read error for good.
func (c *wsConn) fill(idle func() error) error {
	into := 0 // all the buffer: a burst of small messages in one system call
	if c.big {
		into = wsReadBufferSize // a frame header: the large payload behind it goes straight to its reader
	}
	c.fillIdle = idle
	buf, n, err := c.rr.read(nil, into, c.fillHook)
	c.fillIdle = nil
	var ie idleError
	switch {
	case n > 0:
		c.buf, c.r, c.w = buf, 0, n
	case errors.As(err, &ie):
		return ie.err
	default:
		c.err = err
	}
	return nil
}

// timedOut reports that fill met the read deadline, and forgets it: the pump renews.
func (c *wsConn) timedOut() bool {
	if c.buf == nil && errors.Is(c.err, os.ErrDeadlineExceeded) {
		c.err = nil
		return true
	}
	return false
}

// wrapIdle is fillHook: fill's idle function, its error marked.
func (c *wsConn) wrapIdle() error {
	if err := c.fillIdle(); err != nil {
		return idleError{err}
	}
	return nil
}

// idleError carries an error of fill's idle function through rawReader.read.
type idleError struct{ err error }

func (e idleError) Error() string { return e.err.Error() }

// buffered is how many bytes were read from the socket and not yet taken by gorilla.
func (c *wsConn) buffered() int { return c.w - c.r }

// holding reports whether c holds a pooled buffer.
func (c *wsConn) holding() bool { return c.buf != nil }

func newWSConn(tcp *net.TCPConn, rc syscall.RawConn, pool *bufPool) *wsConn {
	c := &wsConn{TCPConn: tcp, rr: newRawReader(rc, pool), pool: pool}
	c.fillHook = c.wrapIdle
	return c
}

// hijacker gives gorilla's Upgrader the browser's connection as a wsConn.
type hijacker struct {
	http.ResponseWriter
	pool *bufPool
	conn *wsConn // set by Hijack for a TCP connection with a descriptor
}

// Hijack takes the connection over from net/http and wraps it.
func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return c, brw, err
	}
	tcp, ok := c.(*net.TCPConn)
	if !ok {
		return c, brw, nil
	}
	rc := rawConnOf(tcp)
	if rc == nil {
		return c, brw, nil
	}
	if brw.Reader.Buffered() > 0 {
		return c, brw, nil // gorilla refuses bytes sent before the handshake's answer
	}
	// gorilla takes a hijacked bufio.Reader over 256 bytes as its own (Upgrader.ReadBufferSize
	// is 0): this one, small and over the wsConn, whose Buffered the session can see.
	h.conn = newWSConn(tcp, rc, h.pool)
	h.conn.br = bufio.NewReaderSize(h.conn, wsReadBufferSize)
	return h.conn, bufio.NewReadWriter(h.conn.br, brw.Writer), nil
}

// bufPool is the copy buffers (copyBufSize bytes) of every session, counted so tests can
// check that idle sessions hold none.
type bufPool struct {
	p   sync.Pool
	out atomic.Int64 // buffers taken and not given back
}

func (b *bufPool) get() *[]byte {
	b.out.Add(1)
	if v, ok := b.p.Get().(*[]byte); ok {
		return v
	}
	buf := make([]byte, copyBufSize)
	return &buf
}

// put gives a buffer back; one a session still held when it ended is left to the collector.
func (b *bufPool) put(buf *[]byte) {
	b.out.Add(-1)
	b.p.Put(buf)
}
