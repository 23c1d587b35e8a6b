package vm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"strconv"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Display is how to reach one running domain's VNC server, resolved from
// its live XML when asked for. Dial reaches that display and nothing else.
type Display struct {
	Name, UUID string
	// Addr is the display's TCP address on this machine ("" when it has
	// none, as with a unix socket listener).
	Addr string
	// Via says how Dial connects, for logs: "libvirt graphics fd, falling
	// back to 127.0.0.1:5900", say.
	Via  string
	Dial func(ctx context.Context) (net.Conn, error)
}

// vncDisplay is the VNC part of a domain's live XML.
type vncDisplay struct {
	index int    // position among the domain's graphics devices (for OpenGraphicsFD)
	addr  string // host:port, "" without a TCP port
	spice bool   // the domain has SPICE but no VNC
}

// parseVNC finds the first VNC display of a domain. Wildcard listen
// addresses mean the display is reachable on loopback.
func parseVNC(doc string) (vncDisplay, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return vncDisplay{}, fmt.Errorf("parse domain XML: %w", err)
	}
	out := vncDisplay{index: -1}
	if d.Devices == nil {
		return out, nil
	}
	for i, g := range d.Devices.Graphics {
		if g.Spice != nil {
			out.spice = true
		}
		if g.VNC == nil {
			continue
		}
		out.index, out.spice = i, false
		v := g.VNC
		if v.Port <= 0 || v.Socket != "" {
			return out, nil
		}
		host := v.Listen
		for _, l := range v.Listeners {
			switch {
			case l.Socket != nil:
				return out, nil
			case l.Address != nil && l.Address.Address != "":
				host = l.Address.Address
			case l.Network != nil && l.Network.Address != "":
				host = l.Network.Address
			}
		}
		out.addr = net.JoinHostPort(loopbackFor(host), strconv.Itoa(v.Port))
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

// ErrNoDisplay is returned for a domain without a VNC display.
var ErrNoDisplay = errors.New("no VNC display")

// Display resolves the VNC display of the running domain uuid. For a local
// libvirt it dials through OpenGraphicsFD, so displays on a unix socket or
// without a TCP port work too, and falls back to the TCP port.
func (s *Source) Display(ctx context.Context, uuid string) (Display, error) {
	name := s.nameOf(uuid)
	fail := func(format string, a ...any) (Display, error) {
		return Display{}, fmt.Errorf("no console for %s: "+format, append([]any{name}, a...)...)
	}
	type found struct {
		name string
		vnc  vncDisplay
	}
	r, err := onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (found, error) {
		n, _ := d.GetName()
		if active, err := d.IsActive(); err != nil || !active {
			return found{name: n}, errors.New("it is not running")
		}
		doc, err := d.GetXMLDesc(0)
		if err != nil {
			return found{name: n}, err
		}
		v, err := parseVNC(doc)
		return found{n, v}, err
	})
	if r.name != "" {
		name = r.name
	}
	if err != nil {
		return fail("%v", err)
	}

	switch {
	case r.vnc.index < 0 && r.vnc.spice:
		return Display{}, fmt.Errorf("no console for %s: it has a SPICE display only, and the console needs VNC: %w", name, ErrNoDisplay)
	case r.vnc.index < 0:
		return Display{}, fmt.Errorf("no console for %s: it has no graphics device: %w", name, ErrNoDisplay)
	}

	disp := Display{Name: name, UUID: uuid, Addr: r.vnc.addr}
	tcp := func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", r.vnc.addr)
	}
	uri := s.URI()
	switch {
	case localURI(uri):
		disp.Via = "libvirt graphics fd"
		if r.vnc.addr != "" {
			disp.Via += ", falling back to " + r.vnc.addr
		}
		idx := uint(r.vnc.index)
		disp.Dial = func(ctx context.Context) (net.Conn, error) {
			c, err := s.graphicsFD(ctx, uuid, idx)
			if err == nil || r.vnc.addr == "" {
				return c, err
			}
			return tcp(ctx)
		}
	case r.vnc.addr != "":
		// OpenGraphicsFD passes a descriptor, which cannot cross hosts.
		return fail("its libvirt (%s) is on another machine; open its console there or through an SSH tunnel", uri)
	default:
		return fail("its display has no TCP port")
	}
	return disp, nil
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
		f, err := d.OpenGraphicsFD(idx, libvirt.DomainOpenGraphicsFlags(0))
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
		v, err := f(d)
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
