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

// Display is one domain's VNC console. Dial resolves the display anew
// through libvirt every time it is called, for that domain only: an
// address seen earlier is never reused, so a Reconnect after the domain
// stopped cannot reach whatever took its port since.
type Display struct {
	Name, UUID string
	// Addr is the display's TCP address when it was resolved ("" without
	// a TCP port); for information only, Dial looks it up again.
	Addr string
	// Via says how Dial connects, for logs.
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

// ErrNotRunning is returned for a console of a domain that is not running.
var ErrNotRunning = errors.New("it is not running")

// liveVNC is a running domain's VNC display at one moment: id names the
// QEMU process, which changes whenever the domain is started again.
type liveVNC struct {
	name string
	id   uint
	vnc  vncDisplay
}

// sameRun reports whether a and b describe the same run of the same
// domain with the same display.
func (a liveVNC) sameRun(b liveVNC) bool {
	return a.id == b.id && a.vnc == b.vnc
}

// usable says why a live display cannot serve a console, or nil.
func (r liveVNC) usable(uri string) error {
	switch {
	case r.vnc.index < 0 && r.vnc.spice:
		return fmt.Errorf("it has a SPICE display only, and the console needs VNC: %w", ErrNoDisplay)
	case r.vnc.index < 0:
		return fmt.Errorf("it has no graphics device: %w", ErrNoDisplay)
	case !localURI(uri) && r.vnc.addr != "":
		// OpenGraphicsFD passes a descriptor, which cannot cross hosts, and
		// the address in a remote domain's XML is the remote host's.
		return fmt.Errorf("its libvirt (%s) is on another machine; open its console there or through an SSH tunnel", uri)
	case !localURI(uri):
		return errors.New("its display has no TCP port")
	}
	return nil
}

// Display checks that the running domain uuid has a VNC display this
// machine can reach and returns a Display whose Dial reaches it.
func (s *Source) Display(ctx context.Context, uuid string) (Display, error) {
	uri := s.URI()
	r, err := s.liveVNC(ctx, uuid)
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
	if r.vnc.addr != "" {
		via += ", or its current TCP port checked against the domain"
	}
	return Display{
		Name: name, UUID: uuid, Addr: r.vnc.addr, Via: via,
		Dial: func(ctx context.Context) (net.Conn, error) {
			c, err := dialVNC(ctx, uri, uuid, s.liveVNC, s.graphicsFD, tcpDial)
			if err != nil {
				return nil, fmt.Errorf("no console for %s: %w", name, err)
			}
			return c, nil
		},
	}, nil
}

func tcpDial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// dialVNC connects to the display of domain uuid as it is now. It asks
// libvirt for a socket bound to that domain (OpenGraphicsFD); where libvirt
// cannot hand one over it dials the domain's current TCP port and keeps the
// connection only if the same run of the same domain still holds that port
// afterwards. A port is held by one process at a time, so a connection made
// between two identical looks reached that domain and nothing else.
func dialVNC(ctx context.Context, uri, uuid string,
	look func(context.Context, string) (liveVNC, error),
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
	c, err := graphicsFD(ctx, uuid, uint(before.vnc.index))
	if err == nil || before.vnc.addr == "" {
		return c, err
	}
	c, err = dial(ctx, before.vnc.addr)
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

// liveVNC reads the running domain's VNC display from its live XML.
func (s *Source) liveVNC(ctx context.Context, uuid string) (liveVNC, error) {
	return onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (liveVNC, error) {
		n, _ := d.GetName()
		r := liveVNC{name: n}
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
		r.vnc, err = parseVNC(doc)
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
