package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeTerm stands in for a serial console or shell: it echoes what is
// written and records resizes and how it was opened.
type fakeTerm struct {
	mu      sync.Mutex
	opened  []TextOptions
	resizes [][2]int
	busy    bool // Open without Force fails with ErrBusy
	peers   []net.Conn
}

type termConn struct {
	net.Conn
	f *fakeTerm
}

func (c termConn) Resize(cols, rows int) error {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.resizes = append(c.f.resizes, [2]int{cols, rows})
	return nil
}

func (f *fakeTerm) open(_ context.Context, o TextOptions) (io.ReadWriteCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, o)
	if f.busy && !o.Force {
		return nil, fmt.Errorf("%w: operation failed: Active console session exists for this domain", ErrBusy)
	}
	a, b := net.Pipe()
	f.peers = append(f.peers, b)
	go func() { _, _ = io.Copy(b, b) }()
	return termConn{a, f}, nil
}

func (f *fakeTerm) target(kind Kind) Target {
	return Target{Kind: kind, VM: "vm-a", UUID: uuidA, Device: "serial0", Open: f.open,
		Replay: func() []byte { return []byte("boot log\r\n") }, Desc: "fake terminal"}
}

// readText reads binary messages until want has arrived.
func readText(t *testing.T, ws *websocket.Conn, want string) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	for !strings.Contains(string(got), want) {
		mt, p, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %q: %v (have %q)", want, err, got)
		}
		if mt != websocket.BinaryMessage {
			t.Fatalf("message type %d, want binary", mt)
		}
		got = append(got, p...)
	}
}

func TestTextConsoleReplayEchoResize(t *testing.T) {
	s := newTestServer(t, Config{})
	f := &fakeTerm{}
	pageURL, err := s.Mint(f.target(Serial))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pageURL, "/console/term.html#t=") {
		t.Fatalf("a serial console opens %s, want the terminal page", pageURL)
	}
	res, body := post(t, s, apiOpen, s.Origin(), nil, fmt.Sprintf(`{"ticket":%q,"cols":120,"rows":40}`, fragmentTicket(t, pageURL)))
	if res.StatusCode != http.StatusOK || body["kind"] != "serial" || body["device"] != "serial0" || body["title"] != "serial console" {
		t.Fatalf("open: %s %v", res.Status, body)
	}
	ws, _, err := dialWS(s, body["ws"].(string), s.Origin())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	readText(t, ws, "boot log\r\n")
	if err := ws.WriteMessage(websocket.BinaryMessage, []byte("echo hi\r")); err != nil {
		t.Fatal(err)
	}
	readText(t, ws, "echo hi\r")
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"resize","cols":90,"rows":30}`)); err != nil {
		t.Fatal(err)
	}
	// The echo after the resize proves the resize was handled first.
	if err := ws.WriteMessage(websocket.BinaryMessage, []byte("x")); err != nil {
		t.Fatal(err)
	}
	readText(t, ws, "x")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.opened) != 1 || f.opened[0] != (TextOptions{Cols: 120, Rows: 40}) {
		t.Errorf("opened with %+v, want the page's size 120x40", f.opened)
	}
	if len(f.resizes) != 1 || f.resizes[0] != [2]int{90, 30} {
		t.Errorf("resizes %v, want [90 30]", f.resizes)
	}
	if ss := s.Sessions(); len(ss) != 1 || ss[0].Kind != Serial || ss[0].Device != "serial0" {
		t.Errorf("sessions %+v", ss)
	}
}

func TestTextConsoleBadControlEndsSession(t *testing.T) {
	s := newTestServer(t, Config{})
	f := &fakeTerm{}
	for _, bad := range []string{`{"type":"resize","cols":0,"rows":5}`, `{"type":"exec"}`, `not json`, `{"type":"resize","cols":1,"rows":1,"x":1}`} {
		ws := connect(t, s, f.target(Shell))
		if err := ws.WriteMessage(websocket.TextMessage, []byte(bad)); err != nil {
			t.Fatal(err)
		}
		ce := closeOf(t, ws)
		if ce.Code != websocket.CloseUnsupportedData || !strings.Contains(ce.Text, "the page sent") {
			t.Errorf("%s: close %d %q", bad, ce.Code, ce.Text)
		}
	}
}

func TestTextConsoleBusyThenTakeOver(t *testing.T) {
	s := newTestServer(t, Config{})
	f := &fakeTerm{busy: true}
	pageURL, err := s.Mint(f.target(Serial))
	if err != nil {
		t.Fatal(err)
	}
	path, secret := openPage(t, s, pageURL)
	ws, _, err := dialWS(s, path, s.Origin())
	if err != nil {
		t.Fatal(err)
	}
	ce := closeOf(t, ws)
	if ce.Code != CloseBusy || !strings.Contains(ce.Text, "in use by another client") {
		t.Fatalf("busy console: close %d %q", ce.Code, ce.Text)
	}
	res, body := post(t, s, apiTicket, s.Origin(), http.Header{pageHeader: {secret}}, `{"force":true,"cols":80,"rows":24}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ticket: %s %v", res.Status, body)
	}
	ws, _, err = dialWS(s, body["ws"].(string), s.Origin())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	readText(t, ws, "boot log")
	// A plain Reconnect afterwards does not take over again unasked.
	res, body = post(t, s, apiTicket, s.Origin(), http.Header{pageHeader: {secret}}, ``)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ticket: %s %v", res.Status, body)
	}
	ws2, _, err := dialWS(s, body["ws"].(string), s.Origin())
	if err != nil {
		t.Fatal(err)
	}
	if ce := closeOf(t, ws2); ce.Code != CloseBusy {
		t.Errorf("reconnect without force: close %d %q", ce.Code, ce.Text)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.opened) != 3 || f.opened[0].Force || !f.opened[1].Force || f.opened[2].Force {
		t.Errorf("opens %+v, want only the second forced", f.opened)
	}
}

func TestTicketRequestChecked(t *testing.T) {
	s := newTestServer(t, Config{})
	f := &fakeTerm{}
	pageURL, err := s.Mint(f.target(Shell))
	if err != nil {
		t.Fatal(err)
	}
	_, secret := openPage(t, s, pageURL)
	for _, bad := range []string{`{"cols":-1}`, `{"rows":100000}`, `{"channels":9}`, `{"extra":1}`, `[`} {
		res, body := post(t, s, apiTicket, s.Origin(), http.Header{pageHeader: {secret}}, bad)
		if res.StatusCode != http.StatusBadRequest || body["error"] == nil {
			t.Errorf("%s: %s %v", bad, res.Status, body)
		}
	}
	// A terminal gets no extra channel tickets: one connection at a time.
	res, body := post(t, s, apiTicket, s.Origin(), http.Header{pageHeader: {secret}}, `{"channels":4}`)
	if res.StatusCode != http.StatusOK || body["channels"] != nil {
		t.Errorf("channels for a shell: %s %v", res.Status, body)
	}
}

func TestSPICEChannelsAreSessionsOfOnePage(t *testing.T) {
	s := newTestServer(t, Config{})
	vnc := startFakeVNC(t) // any server: the proxy does not read what SPICE carries
	target := TCPTarget("vm-a", uuidA, vnc.addr())
	target.Kind = SPICE
	pageURL, err := s.Mint(target)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pageURL, "/console/spice.html#t=") {
		t.Fatalf("a SPICE console opens %s", pageURL)
	}
	mainPath, secret := openPage(t, s, pageURL)
	main, _, err := dialWS(s, mainPath, s.Origin())
	if err != nil {
		t.Fatal(err)
	}
	defer main.Close()
	readBanner(t, main)
	res, body := post(t, s, apiTicket, s.Origin(), http.Header{pageHeader: {secret}}, `{"channels":3}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ticket: %s %v", res.Status, body)
	}
	chans := body["channels"].([]any)
	if len(chans) != 3 {
		t.Fatalf("channels %v", chans)
	}
	for _, p := range chans {
		ws, _, err := dialWS(s, p.(string), s.Origin())
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		readBanner(t, ws)
		// Each channel ticket works once.
		if _, res, err := dialWS(s, p.(string), s.Origin()); err == nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("a channel ticket used twice: %v %v", err, res)
		}
	}
	if n := len(s.Sessions()); n != 4 {
		t.Errorf("%d sessions, want the main channel and 3 more open together", n)
	}
	_ = main.WriteMessage(websocket.BinaryMessage, []byte("still here"))
	readText(t, main, "still here")
}

func TestDialTimeoutForTextOpen(t *testing.T) {
	s := newTestServer(t, Config{DialTimeout: 50 * time.Millisecond})
	release := make(chan struct{})
	defer close(release)
	target := Target{Kind: Serial, VM: "vm-a", UUID: uuidA, Open: func(context.Context, TextOptions) (io.ReadWriteCloser, error) {
		<-release // a library call that ignores ctx
		return nil, errors.New("late")
	}}
	ws := connect(t, s, target)
	ce := closeOf(t, ws)
	if ce.Code != websocket.CloseInternalServerErr || !strings.Contains(ce.Text, "no answer") {
		t.Errorf("close %d %q", ce.Code, ce.Text)
	}
}

func FuzzParseControl(f *testing.F) {
	f.Add([]byte(`{"type":"resize","cols":80,"rows":24}`))
	f.Add([]byte(`{"type":"resize","cols":80,"rows":24}{}`))
	f.Add([]byte(`{"type":"resize","cols":1e9,"rows":-1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseControl(b)
		if err == nil && (c.Type != "resize" || c.Cols < 1 || c.Rows < 1 || c.Cols > maxTermSize || c.Rows > maxTermSize || len(b) > maxControl) {
			t.Fatalf("parseControl(%q) accepted %+v", b, c)
		}
	})
}
