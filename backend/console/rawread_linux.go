package console

import (
	"io"
	"os"
	"syscall"
)

// rawConnOf returns c's descriptor for a rawReader, or nil when c has none (a pipe to ssh,
// a library's stream): such a connection is read with Read, holding its buffer while it waits.
func rawConnOf(c any) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// rawReader reads one socket for one goroutine at a time. Made once per socket with its
// callback bound, so a read allocates nothing, and a parked pump holds nothing but it.
type rawReader struct {
	rc   syscall.RawConn
	pool *bufPool
	fn   func(fd uintptr) bool // r.callback

	// one read's arguments and results; into and n are int32 (both at most copyBufSize)
	dst        []byte
	into, n    int32
	idle       func() error
	buf        *[]byte
	rerr, ierr error

	fd  int32  // the socket's descriptor, for vmWatch; -1 if unknown
	gen uint32 // vmWatch's registration of fd
}

func newRawReader(rc syscall.RawConn, pool *bufPool) *rawReader {
	r := &rawReader{rc: rc, pool: pool, fd: -1}
	r.fn = r.callback
	_ = rc.Control(func(fd uintptr) { r.fd = int32(fd) })
	return r
}

// read reads once into dst or, when dst is nil, into a buffer from the pool (its first
// into bytes, when into is not 0) that is taken only once there is something to read
// (data, EOF or an error): while the runtime's poller waits, no buffer is held. idle, when
// set, runs each time nothing is there yet, before waiting; its error ends the read and is
// returned as is. buf is nil when n is 0.
func (r *rawReader) read(dst []byte, into int, idle func() error) (buf *[]byte, n int, err error) {
	r.dst, r.into, r.idle = dst, int32(into), idle
	r.buf, r.n, r.rerr, r.ierr = nil, 0, nil, nil
	err = r.rc.Read(r.fn)
	buf, n = r.buf, int(r.n)
	switch {
	case r.ierr != nil:
		err = r.ierr
	case err == nil && r.rerr != nil:
		err = os.NewSyscallError("read", r.rerr)
	case err == nil && n == 0:
		err = io.EOF
	}
	if n <= 0 {
		n = 0
		if buf != nil {
			r.pool.put(buf)
			buf = nil
		}
	}
	r.dst, r.idle, r.buf = nil, nil, nil
	return buf, n, err
}

// callback runs in the runtime poller's RawRead: true when the read is done.
func (r *rawReader) callback(fd uintptr) bool {
	for {
		p := r.dst
		if p == nil {
			if r.buf == nil {
				r.buf = r.pool.get()
			}
			p = *r.buf
			if r.into > 0 {
				p = p[:r.into]
			}
		}
		n, err := syscall.Read(int(fd), p)
		r.n, r.rerr = int32(n), err
		switch r.rerr {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if r.buf != nil {
				r.pool.put(r.buf)
				r.buf = nil
			}
			if r.idle != nil {
				if r.ierr = r.idle(); r.ierr != nil {
					return true
				}
			}
			return false
		}
		return true
	}
}
