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
	"testing"
	"time"
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
		{"no graphics", dom(``), -1, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseVNC(tt.xml)
			if err != nil {
				t.Fatal(err)
			}
			if v.index != tt.index || v.addr != tt.addr || v.spice != tt.spice {
				t.Fatalf("got %+v, want index %d addr %q spice %v", v, tt.index, tt.addr, tt.spice)
			}
		})
	}
	if _, err := parseVNC("<domain"); err == nil {
		t.Fatal("bad XML accepted")
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
	if sec := s.Poll(ctx); !sec.Available {
		t.Fatalf("test driver: %s", sec.Error)
	}

	d, err := s.Display(ctx, "00000000-0000-4000-8000-000000000001")
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

	_, err = s.Display(ctx, "00000000-0000-4000-8000-000000000002")
	if !errors.Is(err, ErrNoDisplay) || !strings.Contains(err.Error(), "headless") {
		t.Fatalf("a domain without graphics: %v", err)
	}
	if _, err := s.Display(ctx, "00000000-0000-4000-8000-00000000dead"); err == nil {
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
		v, err := parseVNC(doc)
		if err != nil || v.addr == "" {
			return
		}
		if _, _, err := net.SplitHostPort(v.addr); err != nil {
			t.Fatalf("address %q from %q: %v", v.addr, doc, err)
		}
	})
}
