package doctor

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveTCP listens on 127.0.0.1 and runs handle for each connection.
func serveTCP(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = ln.Close()
		close(done)
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
				// Hold the connection until the prober hangs up or the test ends.
				go func() { <-done; _ = c.Close() }()
				_, _ = c.Read(make([]byte, 1))
			}()
		}
	}()
	return ln.Addr().String()
}

// closedPort is a 127.0.0.1 port nothing listens on (just released).
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func writes(s string) func(net.Conn) { return func(c net.Conn) { _, _ = c.Write([]byte(s)) } }

func TestProbeRFB(t *testing.T) {
	// A silent server gets a short wait; the others a long one that only
	// bounds the test, so a slow machine cannot fail them.
	const short, long = 300 * time.Millisecond, 20 * time.Second
	tests := []struct {
		name   string
		addr   string
		kind   rfbKind
		status Status
		detail string
	}{
		{"VNC server", serveTCP(t, writes("RFB 003.008\n")), rfbOK, StatusOK, "answers: RFB 003.008"},
		{"old VNC server", serveTCP(t, writes("RFB 003.003\n")), rfbOK, StatusOK, "answers: RFB 003.003"},
		{"HTTP server", serveTCP(t, writes("HTTP/1.0 200 OK\r\n")), rfbNotVNC, StatusFailed, `answers but is not a VNC server (it sent "HTTP/1.0 200")`},
		{"one wrong byte is enough", serveTCP(t, writes("S")), rfbNotVNC, StatusFailed, `answers but is not a VNC server (it sent "S")`},
		{"half a banner, then silence", serveTCP(t, writes("RFB 003")), rfbNotVNC, StatusFailed, `answers but is not a VNC server (it sent "RFB 003")`},
		{"malformed banner", serveTCP(t, writes("RFB 0x3.008\n")), rfbNotVNC, StatusFailed, "answers but is not a VNC server"},
		{"silent server", serveTCP(t, func(net.Conn) {}), rfbSilent, StatusFailed, "answers but is not a VNC server (it sent nothing within 300ms)"},
		{"hangs up at once", serveTCP(t, func(c net.Conn) { _ = c.Close() }), rfbClosed, StatusFailed, "closed it without a VNC greeting"},
		{"closed port", closedPort(t), rfbRefused, StatusFailed, "nothing listens there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait := long
			if tt.kind == rfbSilent || strings.Contains(tt.name, "silence") {
				wait = short
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			a := probeRFB(ctx, "tcp", tt.addr)
			if a.kind != tt.kind {
				t.Fatalf("kind %d, want %d (%+v)", a.kind, tt.kind, a)
			}
			status, detail := describeRFB(tt.addr, a, wait)
			if status != tt.status || !strings.Contains(detail, tt.detail) || !strings.Contains(detail, tt.addr) {
				t.Errorf("%s %q, want %s and %q", status, detail, tt.status, tt.detail)
			}
		})
	}
}

func TestProbeRFBUnixAndCancel(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "vnc.sock")
	ln, err := net.Listen("unix", sock)
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
			_, _ = c.Write([]byte("RFB 003.008\n"))
			_ = c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if a := probeRFB(ctx, "unix", sock); a.kind != rfbOK || a.got != "RFB 003.008" {
		t.Errorf("unix socket: %+v", a)
	}
	if a := probeRFB(ctx, "unix", filepath.Join(dir, "missing.sock")); a.kind != rfbRefused {
		t.Errorf("missing socket: %+v", a)
	}
	// Cancelled (no deadline) while the server stays silent: the read ends.
	silent := serveTCP(t, func(net.Conn) {})
	cctx, ccancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, ccancel)
	if a := probeRFB(cctx, "tcp", silent); a.kind != rfbSilent {
		t.Errorf("cancelled probe: %+v", a)
	}
}
