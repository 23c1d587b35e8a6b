package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func TestParseVNC(t *testing.T) {
	dom := func(devices string) string {
		return "<domain type='kvm'><name>x</name><devices>" + devices + "</devices></domain>"
	}
	tests := []struct {
		name  string
		xml   string
		index int
		addr  string
		spice bool
	}{
		{"wildcard listen is loopback", dom(`<graphics type='vnc' port='5901' autoport='yes' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>`), 0, "127.0.0.1:5901", false},
		{"ipv6 wildcard", dom(`<graphics type='vnc' port='5902' listen='::'/>`), 0, "127.0.0.1:5902", false},
		{"loopback kept", dom(`<graphics type='vnc' port='5903' listen='127.0.0.1'/>`), 0, "127.0.0.1:5903", false},
		{"ipv6 loopback", dom(`<graphics type='vnc' port='5904' listen='::1'/>`), 0, "[::1]:5904", false},
		{"second device", dom(`<graphics type='spice' port='5930'/><graphics type='vnc' port='5905'/>`), 1, "127.0.0.1:5905", false},
		{"unix socket", dom(`<graphics type='vnc' socket='/run/vnc.sock'/>`), 0, "", false},
		{"socket listener", dom(`<graphics type='vnc'><listen type='socket' socket='/run/v.sock'/></graphics>`), 0, "", false},
		{"not started yet", dom(`<graphics type='vnc' port='-1' autoport='yes'/>`), 0, "", false},
		{"spice only", dom(`<graphics type='spice' port='5930'/>`), -1, "", true},
		{"vnc after spice", dom(`<graphics type='spice' port='5930'/><graphics type='vnc' port='5906'/>`), 1, "127.0.0.1:5906", false},
		{"no graphics", dom(``), -1, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseGraphics(tt.xml, VNC)
			if err != nil {
				t.Fatal(err)
			}
			if v.index != tt.index || v.addr != tt.addr || (v.other == SPICE) != tt.spice {
				t.Fatalf("got %+v, want index %d addr %q spice %v", v, tt.index, tt.addr, tt.spice)
			}
		})
	}
	if _, err := parseGraphics("<domain", VNC); err == nil {
		t.Fatal("bad XML accepted")
	}
}

func TestParseSPICE(t *testing.T) {
	doc := `<domain><devices><graphics type='vnc' port='5901'/><graphics type='spice' port='5930' autoport='yes' listen='0.0.0.0'/></devices></domain>`
	v, err := parseGraphics(doc, SPICE)
	if err != nil || v.index != 1 || v.addr != "127.0.0.1:5930" || v.other != "" {
		t.Fatalf("spice of vnc+spice: %+v %v", v, err)
	}
	v, err = parseGraphics(`<domain><devices><graphics type='vnc' port='5901'/></devices></domain>`, SPICE)
	if err != nil || v.index != -1 || v.other != VNC {
		t.Fatalf("spice of vnc only: %+v %v", v, err)
	}
	r := liveDisplay{name: "x", proto: SPICE, disp: v}
	if err := r.usable("qemu:///system"); err == nil || !strings.Contains(err.Error(), "no SPICE display (it has VNC") {
		t.Errorf("usable: %v", err)
	}
}

func TestLocalURI(t *testing.T) {
	for uri, want := range map[string]bool{
		"qemu:///system": true, "qemu:///session": true, "test:///default": true,
		"qemu+unix:///system?socket=/x": true, "qemu+ssh://root@host/system": false, "qemu+tcp://10.0.0.1/system": false,
	} {
		if got := localURI(uri); got != want {
			t.Errorf("localURI(%q) = %v", uri, got)
		}
	}
}

func TestDisplayOnTestDriver(t *testing.T) {
	// A stand-in VNC server on a free port, named in the domain's XML.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "RFB 003.008\n")
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	node := filepath.Join(t.TempDir(), "node.xml")
	doc := fmt.Sprintf(`<node>
<domain type='test'><name>withvnc</name><uuid>00000000-0000-4000-8000-000000000001</uuid><memory unit='MiB'>64</memory><os><type>hvm</type></os>
<devices><graphics type='vnc' port='%d' autoport='no' listen='0.0.0.0'/></devices></domain>
<domain type='test'><name>headless</name><uuid>00000000-0000-4000-8000-000000000002</uuid><memory unit='MiB'>64</memory><os><type>hvm</type></os><devices/></domain>
</node>`, port)
	if err := os.WriteFile(node, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newTestSource(t, "test://"+node)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if sec := s.Poll(ctx); !sec.IsUp() {
		t.Fatalf("test driver: %s", sec.Reason)
	}

	d, err := s.Display(ctx, "00000000-0000-4000-8000-000000000001", VNC)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "withvnc" || d.Addr != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Fatalf("display %+v", d)
	}
	// The test driver has no OpenGraphicsFD: Dial falls back to the port.
	c, err := d.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	banner := make([]byte, 12)
	_, err = io.ReadFull(c, banner)
	c.Close()
	if err != nil || string(banner) != "RFB 003.008\n" {
		t.Fatalf("dialled something else: %q, %v", banner, err)
	}

	_, err = s.Display(ctx, "00000000-0000-4000-8000-000000000002", VNC)
	if !errors.Is(err, ErrNoDisplay) || !strings.Contains(err.Error(), "headless") {
		t.Fatalf("a domain without graphics: %v", err)
	}
	if _, err := s.Display(ctx, "00000000-0000-4000-8000-00000000dead", VNC); err == nil {
		t.Fatal("a display for an unknown domain")
	}
}

// FuzzParseVNC feeds domain XML (from libvirt, possibly a remote one) to the
// display parser: it must not panic, and an address it returns must be one
// net.Dial can take.
func FuzzParseVNC(f *testing.F) {
	f.Add(`<domain><devices><graphics type='vnc' port='5901' listen='0.0.0.0'/></devices></domain>`)
	f.Add(`<domain><devices><graphics type='vnc'><listen type='socket' socket='/x'/></graphics></devices></domain>`)
	f.Add(`<domain><devices><graphics type='spice' port='5930'/></devices></domain>`)
	f.Fuzz(func(t *testing.T, doc string) {
		for _, p := range []Protocol{VNC, SPICE} {
			v, err := parseGraphics(doc, p)
			if err != nil || v.addr == "" {
				continue
			}
			if _, _, err := net.SplitHostPort(v.addr); err != nil {
				t.Fatalf("address %q from %q: %v", v.addr, doc, err)
			}
		}
		v, err := parseGraphics(doc, VNC)
		if err != nil || v.addr == "" {
			return
		}
		if _, _, err := net.SplitHostPort(v.addr); err != nil {
			t.Fatalf("address %q from %q: %v", v.addr, doc, err)
		}
	})
}

// vncStandIn accepts on a free loopback port, greets like a VNC server and
// counts the connections it took.
func vncStandIn(t *testing.T) (port int, accepted func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			io.WriteString(c, "RFB 003.008\n")
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// TestReconnectNeverReachesAnotherDomain: a console resolved for vm-a, then
// vm-a stops and vm-b starts on the same port. Dialling vm-a's console again
// must fail and must not touch the port.
func TestReconnectNeverReachesAnotherDomain(t *testing.T) {
	port, accepted := vncStandIn(t)
	const uuidA, uuidB = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
	node := filepath.Join(t.TempDir(), "node.xml")
	dom := func(name, uuid, state string) string {
		return fmt.Sprintf(`<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>%s</name><uuid>%s</uuid>
<memory unit='MiB'>64</memory><os><type>hvm</type></os>
<devices><graphics type='vnc' port='%d' autoport='no' listen='127.0.0.1'/></devices>%s</domain>`, name, uuid, port, state)
	}
	doc := "<node>" + dom("vm-a", uuidA, "") + dom("vm-b", uuidB, "<test:runstate>5</test:runstate>") + "</node>"
	if err := os.WriteFile(node, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newTestSource(t, "test://"+node)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if sec := s.Poll(ctx); !sec.IsUp() {
		t.Fatalf("test driver: %s", sec.Reason)
	}
	d, err := s.Display(ctx, uuidA, VNC)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Dial(ctx)
	if err != nil {
		t.Fatalf("first connect to vm-a: %v", err)
	}
	c.Close()
	// The stand-in counts a connection once its accept returns.
	for deadline := time.Now().Add(10 * time.Second); accepted() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the display took %d connections, want 1", accepted())
		}
	}

	if err := s.Act(ctx, uuidA, model.ForceOffVM); err != nil {
		t.Fatal(err)
	}
	if err := s.Act(ctx, uuidB, model.StartVM); err != nil {
		t.Fatal(err)
	}
	c, err = d.Dial(ctx)
	if err == nil {
		c.Close()
		t.Fatal("Reconnect to vm-a's console reached vm-b's display")
	}
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "vm-a") {
		t.Errorf("the error does not say vm-a is not running: %v", err)
	}
	if n := accepted(); n != 1 {
		t.Fatalf("vm-b's display was dialled (%d connections)", n)
	}

	// vm-a started again (a new run, the same machine) is its console again.
	if err := s.Act(ctx, uuidB, model.ForceOffVM); err != nil {
		t.Fatal(err)
	}
	if err := s.Act(ctx, uuidA, model.StartVM); err != nil {
		t.Fatal(err)
	}
	c, err = d.Dial(ctx)
	if err != nil {
		t.Fatalf("vm-a restarted: %v", err)
	}
	c.Close()
}

// TestDialVNCChecksTheRunAfterConnecting covers the moment between looking
// up the port and connecting: a connection made while the domain restarted
// or moved its display is dropped.
func TestDialVNCChecksTheRunAfterConnecting(t *testing.T) {
	run := func(id uint, addr string) liveDisplay {
		return liveDisplay{name: "vm-a", id: id, disp: graphicsDisplay{index: 0, addr: addr}}
	}
	noFD := func(context.Context, string, uint) (net.Conn, error) { return nil, errors.New("no fd here") }
	tests := []struct {
		name    string
		looks   []liveDisplay
		lookErr []error
		wantErr string
		dials   int
	}{
		{"same run", []liveDisplay{run(7, "127.0.0.1:5900"), run(7, "127.0.0.1:5900")}, nil, "", 1},
		{"restarted meanwhile", []liveDisplay{run(7, "127.0.0.1:5900"), run(8, "127.0.0.1:5900")}, nil, "restarted", 1},
		{"display moved", []liveDisplay{run(7, "127.0.0.1:5900"), run(7, "127.0.0.1:5901")}, nil, "moved", 1},
		{"stopped meanwhile", []liveDisplay{run(7, "127.0.0.1:5900"), {}}, []error{nil, ErrNotRunning}, "not running", 1},
		{"not running", []liveDisplay{{}}, []error{ErrNotRunning}, "not running", 0},
		{"no tcp port", []liveDisplay{run(7, "")}, nil, "no fd here", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, dials := 0, 0
			var conns []net.Conn
			look := func(context.Context, string) (liveDisplay, error) {
				r := tt.looks[i]
				var err error
				if i < len(tt.lookErr) {
					err = tt.lookErr[i]
				}
				i++
				return r, err
			}
			dial := func(context.Context, string) (net.Conn, error) {
				dials++
				a, b := net.Pipe()
				conns = append(conns, b)
				return a, nil
			}
			c, err := dialDisplay(context.Background(), "qemu:///system", "u", look, noFD, dial)
			if dials != tt.dials {
				t.Errorf("dialled %d times, want %d", dials, tt.dials)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			// A dropped connection is closed, not leaked.
			for _, b := range conns {
				b.SetReadDeadline(time.Now().Add(time.Second))
				if _, err := b.Read(make([]byte, 1)); err != io.EOF {
					t.Errorf("connection left open: %v", err)
				}
			}
		})
	}
}
