//go:build !linux

package console

import "net"

// waitReadable returns at once where peeking is not wired; Read then waits holding its buffer.
func waitReadable(net.Conn) error { return nil }
