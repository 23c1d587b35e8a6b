package vm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/sshpipe"
)

// sshTransport reports whether a libvirt URI reaches its host through ssh
// (qemu+ssh://, qemu+libssh://, qemu+libssh2://), where a display on that
// host can be reached the same way.
func sshTransport(uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return false
	}
	_, transport, _ := strings.Cut(u.Scheme, "+")
	return transport == "ssh" || transport == "libssh" || transport == "libssh2"
}

// sshBase is the ssh command line that logs in where uri's libvirt is: the
// same user, host, port and key file, nothing asked for.
func sshBase(uri string) ([]string, string, error) {
	u, err := url.Parse(uri)
	if err != nil || !sshTransport(uri) {
		return nil, "", fmt.Errorf("%q is not a libvirt URI over ssh", uri)
	}
	host := u.Hostname()
	if host == "" || strings.HasPrefix(host, "-") {
		return nil, "", fmt.Errorf("%q names no usable host", uri)
	}
	args := sshpipe.KeepAlive()
	if u.User != nil && u.User.Username() != "" {
		args = append(args, "-l", u.User.Username())
	}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	q := u.Query()
	if k := q.Get("keyfile"); k != "" {
		args = append(args, "-i", k)
	}
	if q.Get("no_verify") == "1" {
		// libvirt's own no_verify=1 skips the host key check; do as it does.
		args = append(args, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null")
	}
	return args, host, nil
}

// sshForward returns a dialer that reaches an address as seen from uri's
// host: `ssh -W addr`, and `nc` there when the server refuses forwarding.
func sshForward(uri string) (func(ctx context.Context, addr string) (net.Conn, error), error) {
	base, host, err := sshBase(uri)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, addr string) (net.Conn, error) {
		h, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		forward := append(append([]string{}, base...), "-W", addr, "--", host)
		netcat := append(append([]string{}, base...), "--", host, "nc", h, port)
		c, err := sshpipe.Dial(forward)
		if err != nil {
			return nil, err
		}
		return &fallbackConn{cur: c, refused: forwardingRefused, redial: func() (net.Conn, error) { return sshpipe.Dial(netcat) }}, nil
	}, nil
}

// forwardingRefused reports an ssh that ended because the server does not
// allow forwarding (AllowTcpForwarding no), as opposed to any other failure.
func forwardingRefused(c net.Conn) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		done, said := sshpipe.Exited(c)
		if done {
			return strings.Contains(said, "administratively prohibited") || strings.Contains(said, "forwarding failed")
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// maxOpening bounds the bytes a fallbackConn keeps to replay on its second
// connection: a protocol's opening before the first answer is small.
const maxOpening = 64 << 10

// fallbackConn is a connection that, when its first connection ends before
// anything was read from it and refused says why, makes a second one with
// redial and replays what had been written. ssh reports a refused forward
// only after it has logged in, so the caller cannot know at dial time.
type fallbackConn struct {
	refused func(net.Conn) bool
	redial  func() (net.Conn, error)

	mu      sync.Mutex
	cur     net.Conn
	read    bool   // a byte arrived: no more fallback
	tried   bool   // the second connection was made
	opening []byte // written before the first byte arrived
	closed  bool
}

func (c *fallbackConn) conn() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

func (c *fallbackConn) Read(p []byte) (int, error) {
	for {
		cur := c.conn()
		n, err := cur.Read(p)
		c.mu.Lock()
		if n > 0 {
			c.read, c.opening = true, nil
		}
		retry := err != nil && n == 0 && !c.read && !c.tried && !c.closed
		c.mu.Unlock()
		if !retry || !c.refused(cur) {
			return n, err
		}
		if ferr := c.fallBack(cur); ferr != nil {
			return 0, ferr
		}
	}
}

// fallBack replaces old with the second connection and replays the opening.
func (c *fallbackConn) fallBack(old net.Conn) error {
	next, err := c.redial()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tried = true
	if err != nil {
		return err
	}
	if c.closed {
		next.Close()
		return net.ErrClosed
	}
	if len(c.opening) > 0 {
		if _, err := next.Write(c.opening); err != nil {
			next.Close()
			return err
		}
	}
	c.cur = next
	old.Close()
	return nil
}

func (c *fallbackConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	cur, early := c.cur, !c.read && !c.tried
	if early {
		if len(c.opening)+len(p) > maxOpening {
			early = false // too much to replay: no fallback for this connection
			c.tried = true
		} else {
			c.opening = append(c.opening, p...)
		}
	}
	c.mu.Unlock()
	n, err := cur.Write(p)
	if err != nil && early {
		// The reader may be replacing the connection; the bytes are kept for it.
		return len(p), nil
	}
	return n, err
}

func (c *fallbackConn) Close() error {
	c.mu.Lock()
	c.closed = true
	cur := c.cur
	c.mu.Unlock()
	return cur.Close()
}

func (c *fallbackConn) LocalAddr() net.Addr                { return c.conn().LocalAddr() }
func (c *fallbackConn) RemoteAddr() net.Addr               { return c.conn().RemoteAddr() }
func (c *fallbackConn) SetDeadline(t time.Time) error      { return c.conn().SetDeadline(t) }
func (c *fallbackConn) SetReadDeadline(t time.Time) error  { return c.conn().SetReadDeadline(t) }
func (c *fallbackConn) SetWriteDeadline(t time.Time) error { return c.conn().SetWriteDeadline(t) }

// errNoSSH says why a display on another host cannot be reached.
func errNoSSH(uri string) error {
	return errors.New("its libvirt (" + uri + ") is reached without ssh, so Horcrux has no way to its display; use a qemu+ssh:// URI, or open the console on that host")
}
