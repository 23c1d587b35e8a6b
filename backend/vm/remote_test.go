package vm

import (
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSSHBase(t *testing.T) {
	for _, tt := range []struct {
		uri  string
		want []string // after the keep-alive options
		host string
		err  bool
	}{
		{"qemu+ssh://root@host.example:2222/system?keyfile=/k/id&no_verify=1", []string{"-l", "root", "-p", "2222", "-i", "/k/id",
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"}, "host.example", false},
		{"qemu+libssh2://h/system", nil, "h", false},
		{"qemu+ssh://-oProxyCommand=x/system", nil, "", true},
		{"qemu+tls://h/system", nil, "", true},
		{"qemu:///system", nil, "", true},
	} {
		args, host, err := sshBase(tt.uri)
		if (err != nil) != tt.err {
			t.Errorf("%s: err %v", tt.uri, err)
			continue
		}
		if err != nil {
			continue
		}
		if host != tt.host || !slices.Contains(args, "BatchMode=yes") || !slices.Equal(args[len(args)-len(tt.want):], tt.want) {
			t.Errorf("%s: %q %v", tt.uri, host, args)
		}
	}
	for uri, want := range map[string]bool{"qemu+ssh://h/system": true, "qemu+libssh://h/system": true, "qemu+tcp://h/system": false, "qemu:///system": false} {
		if sshTransport(uri) != want {
			t.Errorf("sshTransport(%s) != %v", uri, want)
		}
	}
}

// TestFallbackConnReplaysTheOpening: the first connection ends unread
// (forwarding refused); the second gets what was written and carries on.
func TestFallbackConnReplaysTheOpening(t *testing.T) {
	first, firstPeer := net.Pipe()
	second, secondPeer := net.Pipe()
	redials := 0
	c := &fallbackConn{cur: first, refused: func(net.Conn) bool { return true },
		redial: func() (net.Conn, error) { redials++; return second, nil }}
	defer c.Close()
	go func() {
		// The refused forward: reads the client's opening, then closes.
		buf := make([]byte, 5)
		io.ReadFull(firstPeer, buf)
		firstPeer.Close()
	}()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 5)
		io.ReadFull(secondPeer, buf)
		got <- string(buf)
		secondPeer.Write([]byte("world"))
	}()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "world" {
		t.Fatalf("read %q %v", buf, err)
	}
	select {
	case g := <-got:
		if g != "hello" {
			t.Errorf("second connection got %q", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the opening was not replayed")
	}
	if redials != 1 {
		t.Errorf("%d redials", redials)
	}
}

// TestFallbackConnOnlyBeforeTheFirstByte: once anything was read, an end is an end.
func TestFallbackConnOnlyBeforeTheFirstByte(t *testing.T) {
	first, peer := net.Pipe()
	c := &fallbackConn{cur: first, refused: func(net.Conn) bool { return true },
		redial: func() (net.Conn, error) { t.Fatal("redialled after data"); return nil, nil }}
	go func() { peer.Write([]byte("RFB")); peer.Close() }()
	buf := make([]byte, 3)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(buf); err == nil {
		t.Fatal("no end after the peer closed")
	}
	// Another failure than a refused forward is passed on as it is.
	other, peer2 := net.Pipe()
	c2 := &fallbackConn{cur: other, refused: func(net.Conn) bool { return false },
		redial: func() (net.Conn, error) { t.Fatal("redialled for another failure"); return nil, nil }}
	peer2.Close()
	if _, err := c2.Read(buf); err == nil || strings.Contains(err.Error(), "redial") {
		t.Fatalf("err %v", err)
	}
}
