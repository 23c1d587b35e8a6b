package console

import (
	"io"
	"os"
	"syscall"
)

// rawConnOf returns c's descriptor for rawRead, or nil when c has none (a pipe to ssh, a
// library's stream): such a connection is read with Read, holding its buffer while it waits.
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

// rawRead reads once from rc into dst or, when dst is nil, into a buffer from pool (its
// first into bytes, when into is not 0) that is taken only once there is something to read
// (data, EOF or an error): while the runtime's poller waits, no buffer is held. idle, when set, runs each time nothing is there yet,
// before waiting; its error ends the read and is returned as is. buf is nil when n is 0.
func rawRead(rc syscall.RawConn, dst []byte, pool *bufPool, into int, idle func() error) (buf *[]byte, n int, err error) {
	var rerr, ierr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			p := dst
			if p == nil {
				if buf == nil {
					buf = pool.get()
				}
				p = *buf
				if into > 0 {
					p = p[:into]
				}
			}
			n, rerr = syscall.Read(int(fd), p)
			switch rerr {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				if buf != nil {
					pool.put(buf)
					buf = nil
				}
				if idle != nil {
					if ierr = idle(); ierr != nil {
						return true
					}
				}
				return false
			}
			return true
		}
	})
	switch {
	case ierr != nil:
		err = ierr
	case err == nil && rerr != nil:
		err = os.NewSyscallError("read", rerr)
	case err == nil && n == 0:
		err = io.EOF
	}
	if n <= 0 {
		n = 0
		if buf != nil {
			pool.put(buf)
			buf = nil
		}
	}
	return buf, n, err
}
