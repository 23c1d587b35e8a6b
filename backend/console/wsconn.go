package console

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
)

// directRead is the smallest read that goes straight into the caller's buffer: a large
// payload is not copied through a pooled buffer.
const directRead = 16 << 10

// wsConn is the browser's TCP connection as gorilla reads it. Bytes go through a buffer
// from the pool, taken when they arrive and given back once gorilla has taken them all,
// so an idle session holds no read buffer (gorilla's own bufio.Reader is wsReadBufferSize
// bytes), while a busy one reads up to copyBufSize bytes a system call. Writes (writev
// included), deadlines and Close are the TCP connection's own.
type wsConn struct {
	*net.TCPConn
	rc   syscall.RawConn
	pool *bufPool
	buf  *[]byte // what was read and not yet taken: (*buf)[r:w]; nil when none
	r, w int
	// idle runs on the reading goroutine when the browser has sent nothing more and the
	// read is about to wait: browserToVM hands what it gathered to the VM there.
	idle func() error
}

// wsReadBufferSize is gorilla's bufio.Reader over a wsConn: a frame header and a control
// frame's payload (at most 125 bytes) must fit.
const wsReadBufferSize = 256

// Read hands out what the pooled buffer holds, or reads more.
func (c *wsConn) Read(p []byte) (int, error) {
	if c.buf == nil {
		if len(p) >= directRead {
			_, n, err := rawRead(c.rc, p, nil, c.idle)
			return n, err
		}
		buf, n, err := rawRead(c.rc, nil, c.pool, c.idle)
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

// buffered is how many bytes were read from the socket and not yet taken by gorilla.
func (c *wsConn) buffered() int { return c.w - c.r }

// holding reports whether c holds a pooled buffer.
func (c *wsConn) holding() bool { return c.buf != nil }

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
	h.conn = &wsConn{TCPConn: tcp, rc: rc, pool: h.pool}
	return h.conn, brw, nil
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
