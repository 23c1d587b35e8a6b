package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// Kind is what a console shows, which page shows it and what its WebSocket carries.
type Kind string

// The console kinds.
const (
	VNC    Kind = "vnc"    // a VM's VNC display in noVNC; the WebSocket carries RFB
	SPICE  Kind = "spice"  // a VM's SPICE display in spice-html5; one WebSocket per SPICE channel
	Serial Kind = "serial" // a VM's serial or text console in xterm.js
	Shell  Kind = "shell"  // a shell in a container in xterm.js
)

// text reports a kind whose WebSocket carries terminal bytes and resize messages.
func (k Kind) text() bool { return k == Serial || k == Shell }

// Title is the kind as the page and the sessions list name it.
func (k Kind) Title() string {
	switch k {
	case SPICE:
		return "SPICE"
	case Serial:
		return "serial console"
	case Shell:
		return "shell"
	}
	return "VNC"
}

// TextOptions is how a text console is opened.
type TextOptions struct {
	Cols, Rows int  // the page's terminal size; 0 when not known yet
	Force      bool // take the console over from another client (the page asked the user first)
}

// Resizer is implemented by text streams whose terminal size can change (container shells).
type Resizer interface {
	Resize(cols, rows int) error
}

// ErrBusy wraps a text console's Open error when another client holds the console;
// the page then offers to take it over (TextOptions.Force).
var ErrBusy = errors.New("the console is in use by another client")

// Target is one machine's or container's console endpoint, resolved when a ticket is minted.
// Graphics kinds (VNC, SPICE) set Dial; text kinds (Serial, Shell) set Open.
type Target struct {
	Kind   Kind                                                                 // "" means VNC
	VM     string                                                               // name shown in the page title and the sessions list
	UUID   string                                                               // the VM's UUID or the container's ID; the WebSocket URL names it and the ticket must match
	Device string                                                               // the console device or command, shown beside the name (text kinds)
	Dial   func(ctx context.Context) (net.Conn, error)                          // opens a connection to that VM's display, and only that (each SPICE channel dials anew)
	Open   func(ctx context.Context, o TextOptions) (io.ReadWriteCloser, error) // opens that machine's text console or that container's shell, and only that
	Replay func() []byte                                                        // text kinds: output seen before this attach, sent first; nil for none
	VV     func(ctx context.Context) (string, error)                            // SPICE: a remote-viewer (.vv) file for the same display; nil for none
	Desc   string                                                               // e.g. "127.0.0.1:5900" or "libvirt graphics fd", for logs (never a password)
}

// kind is t.Kind with the zero value read as VNC.
func (t Target) kind() Kind {
	if t.Kind == "" {
		return VNC
	}
	return t.Kind
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
	switch k := t.kind(); {
	case k != VNC && k != SPICE && !k.text():
		return fmt.Errorf("console target has an unknown kind %q", k)
	case !k.text() && t.Dial == nil:
		return errors.New("console target has no Dial function")
	case k.text() && t.Open == nil:
		return errors.New("text console target has no Open function")
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
