//go:build !linux

package console

import "syscall"

// rawConnOf returns nil where rawReader is not wired: connections are read with Read,
// holding their buffer while they wait.
func rawConnOf(any) syscall.RawConn { return nil }

// rawReader is never made where rawConnOf returns nil.
type rawReader struct{}

func newRawReader(syscall.RawConn, *bufPool) *rawReader { return nil }

func (*rawReader) read([]byte, int, func() error) (*[]byte, int, error) {
	panic("console: rawReader without a descriptor")
}
