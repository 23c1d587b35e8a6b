package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Target is one VM's console endpoint, resolved when a ticket is minted.
type Target struct {
	VM   string                                      // name shown in the page title and the sessions list
	UUID string                                      // the VM's UUID; the WebSocket URL names it and the ticket must match
	Dial func(ctx context.Context) (net.Conn, error) // opens a connection to that VM's VNC server, and only that
	Desc string                                      // e.g. "127.0.0.1:5900" or "libvirt graphics fd", for logs (never a password)
}

// TCPTarget returns a Target that dials addr over TCP; a wildcard listen address (0.0.0.0, ::, empty host) is dialled on loopback.
func TCPTarget(vm, uuid, addr string) Target {
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			if ip != nil && ip.To4() == nil {
				host = "::1"
			} else {
				host = "127.0.0.1"
			}
		}
		addr = net.JoinHostPort(host, port)
	}
	return Target{
		VM:   vm,
		UUID: uuid,
		Desc: addr,
		Dial: func(ctx context.Context) (net.Conn, error) {
			if err != nil {
				return nil, fmt.Errorf("VNC address %q: %w", addr, err)
			}
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
	}
}

// maxUUIDLen bounds the identifier that travels in the WebSocket URL.
const maxUUIDLen = 64

// check reports why a Target cannot be served.
func (t Target) check() error {
	switch {
	case t.Dial == nil:
		return errors.New("console target has no Dial function")
	case strings.TrimSpace(t.VM) == "":
		return errors.New("console target has no VM name")
	}
	if err := checkUUID(t.UUID); err != nil {
		return fmt.Errorf("console target for %q: %w", t.VM, err)
	}
	return nil
}

// checkUUID keeps the identifier that travels in the WebSocket URL plain: 1 to 64 letters, digits or '-'.
func checkUUID(uuid string) error {
	if uuid == "" || len(uuid) > maxUUIDLen {
		return fmt.Errorf("UUID must be 1 to %d characters", maxUUIDLen)
	}
	for _, c := range uuid {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("UUID %q has characters other than letters, digits and '-'", uuid)
		}
	}
	return nil
}
