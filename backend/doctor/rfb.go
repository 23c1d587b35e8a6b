package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"syscall"
	"time"
)

// rfbKind is how an address answered the VNC probe.
type rfbKind int

const (
	rfbOK          rfbKind = iota // sent an RFB banner
	rfbRefused                    // nothing listens there
	rfbNotVNC                     // sent something else
	rfbSilent                     // accepted but sent nothing in time
	rfbClosed                     // accepted and hung up without a word
	rfbUnreachable                // no answer to the connection attempt, or another error
)

// rfbAnswer is the outcome of one probe.
type rfbAnswer struct {
	kind rfbKind
	got  string // the banner without its newline, or the bytes that were not one
	err  error
}

// isRFBBanner matches the 12-byte ProtocolVersion every RFB server sends
// first: "RFB xxx.yyy\n".
func isRFBBanner(b []byte) bool {
	if len(b) != 12 || string(b[:4]) != "RFB " || b[7] != '.' || b[11] != '\n' {
		return false
	}
	for _, i := range []int{4, 5, 6, 8, 9, 10} {
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	return true
}

// probeRFB connects to addr and reads what a VNC server says first, "RFB
// 003.008\n", until ctx ends. It sends nothing, so no VNC session starts.
func probeRFB(ctx context.Context, network, addr string) rfbAnswer {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) {
			return rfbAnswer{kind: rfbRefused, err: err}
		}
		return rfbAnswer{kind: rfbUnreachable, err: err}
	}
	defer func() { _ = conn.Close() }()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// A cancel before the deadline must end the read too.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	const n = 12
	buf := make([]byte, 0, n)
	for len(buf) < n {
		m, err := conn.Read(buf[len(buf):n])
		buf = buf[:len(buf)+m]
		if !bytes.HasPrefix([]byte("RFB "), buf[:min(len(buf), 4)]) {
			return rfbAnswer{kind: rfbNotVNC, got: string(buf)}
		}
		if err != nil {
			switch {
			case len(buf) > 0:
				return rfbAnswer{kind: rfbNotVNC, got: string(buf), err: err}
			case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) || isTimeout(err):
				return rfbAnswer{kind: rfbSilent, err: err}
			}
			return rfbAnswer{kind: rfbClosed, err: err}
		}
	}
	if !isRFBBanner(buf) {
		return rfbAnswer{kind: rfbNotVNC, got: string(buf)}
	}
	return rfbAnswer{kind: rfbOK, got: string(buf[:n-1])}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// describeRFB says what a probe of addr found, for the VM console check.
func describeRFB(addr string, a rfbAnswer, wait time.Duration) (Status, string) {
	switch a.kind {
	case rfbOK:
		return StatusOK, "VNC on " + addr + " answers: " + a.got
	case rfbRefused:
		return StatusFailed, "VNC is set to " + addr + " but nothing listens there: the console cannot connect"
	case rfbNotVNC:
		return StatusFailed, fmt.Sprintf("%s answers but is not a VNC server (it sent %q): the console cannot use it", addr, a.got)
	case rfbSilent:
		return StatusFailed, fmt.Sprintf("%s answers but is not a VNC server (it sent nothing within %s): the console cannot use it", addr, wait)
	case rfbClosed:
		return StatusFailed, "VNC on " + addr + " accepted the connection and closed it without a VNC greeting: a VNC server turning clients away, or not a VNC server"
	}
	return StatusFailed, fmt.Sprintf("VNC on %s did not answer (%v): the console cannot connect", addr, a.err)
}
