package vm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Protocol is a graphics protocol a console can show.
type Protocol string

// The graphics protocols.
const (
	VNC   Protocol = "vnc"
	SPICE Protocol = "spice"
)

// Display is one domain's graphical console (VNC or SPICE). Dial resolves
// the display anew through libvirt every time it is called, for that
// domain only: an address seen earlier is never reused, so a Reconnect
// after the domain stopped cannot reach whatever took its port since.
type Display struct {
	Name, UUID string
	Protocol   Protocol
	// Addr is the display's TCP address when it was resolved ("" without
	// a TCP port); for information only, Dial looks it up again.
	Addr string
	// Via says how Dial connects, for logs.
	Via  string
	Dial func(ctx context.Context) (net.Conn, error)
	// VV writes a remote-viewer file for the same display, looked up anew.
	VV func(ctx context.Context) (string, error)
}

// graphicsDisplay is one protocol's display in a domain's live XML.
type graphicsDisplay struct {
	index int      // position among the domain's graphics devices (for OpenGraphicsFD); -1 for none
	addr  string   // host:port, "" without a TCP port
	other Protocol // a protocol the domain has instead, for the message when it lacks this one
}

// parseGraphics finds the first display of protocol p in a domain. Wildcard
// listen addresses mean the display is reachable on loopback.
func parseGraphics(doc string, p Protocol) (graphicsDisplay, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return graphicsDisplay{}, fmt.Errorf("parse domain XML: %w", err)
	}
	out := graphicsDisplay{index: -1}
	if d.Devices == nil {
		return out, nil
	}
	for i, g := range d.Devices.Graphics {
		var port int
		var socket, listen string
		var listeners []libvirtxml.DomainGraphicListener
		switch {
		case g.VNC != nil && p == VNC:
			port, socket, listen, listeners = g.VNC.Port, g.VNC.Socket, g.VNC.Listen, g.VNC.Listeners
		case g.Spice != nil && p == SPICE:
			port, listen, listeners = g.Spice.Port, g.Spice.Listen, g.Spice.Listeners
		case g.VNC != nil && out.other == "":
			out.other = VNC
			continue
		case g.Spice != nil && out.other == "":
			out.other = SPICE
			continue
		default:
			continue
		}
		out.index, out.other = i, ""
		if port <= 0 || socket != "" {
			return out, nil
		}
		host := listen
		for _, l := range listeners {
			switch {
			case l.Socket != nil:
				return out, nil
			case l.Address != nil && l.Address.Address != "":
				host = l.Address.Address
			case l.Network != nil && l.Network.Address != "":
				host = l.Network.Address
			}
		}
		out.addr = net.JoinHostPort(loopbackFor(host), strconv.Itoa(port))
		return out, nil
	}
	return out, nil
}

// loopbackFor maps a listen address to the one to dial from this machine.
func loopbackFor(host string) string {
	switch host {
	case "", "0.0.0.0", "::", "localhost":
		return "127.0.0.1"
	case "::1":
		return "::1"
	}
	return host
}

// localURI reports whether uri names a libvirt on this machine, where
// OpenGraphicsFD can hand over the display's socket.
func localURI(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && u.Host == ""
}

// ErrNoDisplay is returned for a domain without a display of the protocol asked for.
var ErrNoDisplay = errors.New("no such display")

// ErrNotRunning is returned for a console of a domain that is not running.
var ErrNotRunning = errors.New("it is not running")

// liveDisplay is a running domain's display at one moment: id names the
// QEMU process, which changes whenever the domain is started again.
type liveDisplay struct {
	name  string
	id    uint
	proto Protocol
	disp  graphicsDisplay
}

// sameRun reports whether a and b describe the same run of the same
// domain with the same display.
func (a liveDisplay) sameRun(b liveDisplay) bool {
	return a.id == b.id && a.disp == b.disp
}

// usable says why a live display cannot serve a console, or nil.
func (r liveDisplay) usable(uri string) error {
	switch {
	case r.disp.index < 0 && r.disp.other != "":
		return fmt.Errorf("it has no %s display (it has %s: open that console instead): %w", r.proto.title(), r.disp.other.title(), ErrNoDisplay)
	case r.disp.index < 0:
		return fmt.Errorf("it has no graphics device (headless; a serial console may work): %w", ErrNoDisplay)
	case !localURI(uri) && r.disp.addr == "":
		return errors.New("its display has no TCP port, and a socket on another host cannot be reached")
	case !localURI(uri) && !sshTransport(uri):
		return errNoSSH(uri)
	}
	return nil
}

// title is the protocol as messages name it.
func (p Protocol) title() string { return strings.ToUpper(string(p)) }

// Display checks that the running domain uuid has a display of protocol p
// this machine can reach and returns a Display whose Dial reaches it.
func (s *Source) Display(ctx context.Context, uuid string, p Protocol) (Display, error) {
	uri := s.URI()
	look := func(ctx context.Context, uuid string) (liveDisplay, error) { return s.liveDisplay(ctx, uuid, p) }
	r, err := look(ctx, uuid)
	if err == nil {
		err = r.usable(uri)
	}
	name := r.name
	if name == "" {
		name = s.nameOf(uuid)
	}
	if err != nil {
		return Display{}, fmt.Errorf("no console for %s: %w", name, err)
	}
	via := "libvirt graphics fd"
	if r.disp.addr != "" {
		via += ", or its current TCP port checked against the domain"
	}
	dial := tcpDial
	graphicsFD := s.graphicsFD
	if !localURI(uri) {
		// A descriptor cannot cross hosts, and the address is the remote
		// host's: reach it through ssh, as libvirt itself is reached.
		fwd, err := sshForward(uri)
		if err != nil {
			return Display{}, fmt.Errorf("no console for %s: %w", name, err)
		}
		dial = fwd
		graphicsFD = func(context.Context, string, uint) (net.Conn, error) { return nil, errors.New("not on this host") }
		via = "ssh to " + uri + ", then its current TCP port checked against the domain"
	}
	return Display{
		Name: name, UUID: uuid, Protocol: p, Addr: r.disp.addr, Via: via,
		Dial: func(ctx context.Context) (net.Conn, error) {
			c, err := dialDisplay(ctx, uri, uuid, look, graphicsFD, dial)
			if err != nil {
				return nil, fmt.Errorf("no console for %s: %w", name, err)
			}
			return c, nil
		},
		VV: func(ctx context.Context) (string, error) {
			r, err := look(ctx, uuid)
			if err == nil {
				err = r.usable(uri)
			}
			if err != nil {
				return "", fmt.Errorf("no console for %s: %w", name, err)
			}
			return viewerFile(uri, r)
		},
	}, nil
}

// viewerFile is a remote-viewer (.vv) file for a display on this machine's
// loopback; displays without a TCP port or on other hosts are opened with
// virt-viewer --connect instead, which the error says.
func viewerFile(uri string, r liveDisplay) (string, error) {
	host, port, err := net.SplitHostPort(r.disp.addr)
	if err != nil || !localURI(uri) {
		return "", fmt.Errorf("remote-viewer cannot reach this display from a file; run: virt-viewer --connect %s %s", uri, r.name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[virt-viewer]\ntype=%s\nhost=%s\nport=%s\ntitle=%s\ndelete-this-file=1\n", r.proto, host, port, oneLine(r.name))
	return b.String(), nil
}

// oneLine keeps a name from adding lines to a key file.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func tcpDial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// dialDisplay connects to the display of domain uuid as it is now. It asks
// libvirt for a socket bound to that domain (OpenGraphicsFD); where libvirt
// cannot hand one over it dials the domain's current TCP port and keeps the
// connection only if the same run of the same domain still holds that port
// afterwards. A port is held by one process at a time, so a connection made
// between two identical looks reached that domain and nothing else.
func dialDisplay(ctx context.Context, uri, uuid string,
	look func(context.Context, string) (liveDisplay, error),
	graphicsFD func(context.Context, string, uint) (net.Conn, error),
	dial func(context.Context, string) (net.Conn, error),
) (net.Conn, error) {
	before, err := look(ctx, uuid)
	if err == nil {
		err = before.usable(uri)
	}
	if err != nil {
		return nil, err
	}
	c, err := graphicsFD(ctx, uuid, uint(before.disp.index))
	if err == nil || before.disp.addr == "" {
		return c, err
	}
	c, err = dial(ctx, before.disp.addr)
	if err != nil {
		return nil, err
	}
	after, err := look(ctx, uuid)
	if err != nil || !before.sameRun(after) {
		c.Close()
		if err != nil {
			return nil, err
		}
		return nil, errors.New("it was restarted or its display moved while connecting; try again")
	}
	return c, nil
}

// liveDisplay reads the running domain's display of protocol p from its live XML.
func (s *Source) liveDisplay(ctx context.Context, uuid string, p Protocol) (liveDisplay, error) {
	return onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (liveDisplay, error) {
		n, _ := d.GetName()
		r := liveDisplay{name: n, proto: p}
		if active, err := d.IsActive(); err != nil {
			return r, err
		} else if !active {
			return r, ErrNotRunning
		}
		id, err := d.GetID()
		if err != nil {
			return r, err
		}
		doc, err := d.GetXMLDesc(0)
		if err != nil {
			return r, err
		}
		r.id = id
		r.disp, err = parseGraphics(doc, p)
		return r, err
	})
}

// graphicsFD asks libvirt for a connected socket to the display.
func (s *Source) graphicsFD(ctx context.Context, uuid string, idx uint) (net.Conn, error) {
	// A socket handed over after the caller gave up is closed, not leaked.
	drop := func(c net.Conn) {
		if c != nil {
			c.Close()
		}
	}
	return onDomain(ctx, s, uuid, drop, func(d *libvirt.Domain) (net.Conn, error) {
		// SKIPAUTH: whoever may use this libvirt connection may see the
		// display; the page then needs no display password.
		f, err := d.OpenGraphicsFD(idx, libvirt.DOMAIN_OPEN_GRAPHICS_SKIPAUTH)
		if err != nil {
			return nil, err
		}
		defer f.Close() // FileConn holds its own descriptor
		return net.FileConn(f)
	})
}

// onDomain runs f on the domain uuid off the caller's goroutine, so a hung
// libvirt never blocks past ctx. A result that arrives after ctx ended is
// handed to late (when set) to be released.
func onDomain[T any](ctx context.Context, s *Source, uuid string, late func(T), f func(*libvirt.Domain) (T, error)) (T, error) {
	return onDomainConn(ctx, s, uuid, late, func(_ *libvirt.Connect, d *libvirt.Domain) (T, error) { return f(d) })
}

// onDomainConn is onDomain for work that also asks the connection.
func onDomainConn[T any](ctx context.Context, s *Source, uuid string, late func(T), f func(*libvirt.Connect, *libvirt.Domain) (T, error)) (T, error) {
	var zero T
	l := s.acquire()
	if l == nil {
		return zero, errors.New("not connected to libvirt")
	}
	type result struct {
		v   T
		err error
	}
	res := make(chan result, 1)
	go func() {
		defer s.release(l)
		d, err := l.conn.LookupDomainByUUIDString(uuid)
		if err != nil {
			res <- result{err: err}
			return
		}
		defer func() { _ = d.Free() }()
		v, err := f(l.conn, d)
		res <- result{v, err}
	}()
	select {
	case r := <-res:
		return r.v, r.err
	case <-ctx.Done():
		if late != nil {
			go func() { late((<-res).v) }()
		}
		return zero, fmt.Errorf("libvirt did not answer: %w", ctx.Err())
	}
}
