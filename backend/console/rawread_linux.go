package console

import (
	"net"
	"syscall"
	"unsafe"
)

// waitReadable blocks until c has data, EOF or an error to read, without a read buffer:
// it peeks one byte with MSG_DONTWAIT from the runtime poller's callback. Connections
// without a socket descriptor return at once and their Read blocks as usual.
func waitReadable(c net.Conn) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		// EAGAIN: nothing yet, let the poller wait. Anything else (data, EOF, an error,
		// ENOTSOCK for a pipe) is for the following Read to report.
		return errno != syscall.EAGAIN && errno != syscall.EINTR
	})
}
