//go:build !linux

package console

import "syscall"

// rawConnOf returns nil where rawRead is not wired: connections are read with Read,
// holding their buffer while they wait.
func rawConnOf(any) syscall.RawConn { return nil }

// rawRead is never called where rawConnOf returns nil.
func rawRead(syscall.RawConn, []byte, *bufPool, int, func() error) (*[]byte, int, error) {
	panic("console: rawRead without a descriptor")
}
