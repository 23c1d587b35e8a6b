package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"
)

// fakeVNC is a TCP server that greets like a VNC server and then echoes, standing in for a VM.
type fakeVNC struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

const banner = "RFB 003.008\n"

func startFakeVNC(t *testing.T) *fakeVNC {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeVNC{ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				if _, err := io.WriteString(c, banner); err != nil {
					return
				}
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(f.close)
	return f
}

func (f *fakeVNC) addr() string { return f.ln.Addr().String() }

// dropAll closes every accepted connection, as a VM that goes away.
func (f *fakeVNC) dropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

func (f *fakeVNC) close() {
	f.ln.Close()
	f.dropAll()
	f.wg.Wait()
}

const uuidA, uuidB = "11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-aaaaaaaaaaaa"

func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = testLog(t)
	}
	if cfg.RefusalLogEvery == 0 {
		cfg.RefusalLogEvery = time.Nanosecond // most tests look for each refusal's reason
	}
	if cfg.assets == nil {
		cfg.assets = &assets{page: fstest.MapFS{
			"index.html": {Data: []byte("<!doctype html><title>t</title>")},
			"console.js": {Data: []byte("export {};")},
		}, libs: fstest.MapFS{"novnc/core/rfb.js": {Data: []byte("export default class RFB {}")}}}
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fragmentTicket takes the page ticket out of a minted URL.
func fragmentTicket(t *testing.T, pageURL string) string {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	q, err := url.ParseQuery(u.Fragment)
	if err != nil {
		t.Fatal(err)
	}
	return q.Get("t")
}

// post calls one of the page's API endpoints as the page would.
func post(t *testing.T, s *Server, path, origin string, header http.Header, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.Origin()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res, out
}

// openPage redeems a page link as the page does; it returns the WebSocket path and the page secret.
func openPage(t *testing.T, s *Server, pageURL string) (wsPath, secret string) {
	t.Helper()
	res, body := post(t, s, apiOpen, s.Origin(), nil, fmt.Sprintf(`{"ticket":%q}`, fragmentTicket(t, pageURL)))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("open: %s %v", res.Status, body)
	}
	return body["ws"].(string), body["page"].(string)
}

// dialWS opens the proxy WebSocket the way a browser on the page would.
func dialWS(s *Server, path, origin string, protocols ...string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: protocols}
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return d.Dial("ws://"+strings.TrimPrefix(s.Origin(), "http://")+path, h)
}

// connect mints, opens and dials a console of target in one go.
func connect(t *testing.T, s *Server, target Target) *websocket.Conn {
	t.Helper()
	pageURL, err := s.Mint(target)
	if err != nil {
		t.Fatal(err)
	}
	path, _ := openPage(t, s, pageURL)
	ws, res, err := dialWS(s, path, s.Origin())
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, res)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// readBanner reads binary messages until the RFB banner is complete.
func readBanner(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	for len(got) < len(banner) {
		mt, p, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("reading the banner: %v (have %q)", err, got)
		}
		if mt != websocket.BinaryMessage {
			t.Fatalf("message type %d, want binary", mt)
		}
		got = append(got, p...)
	}
	return string(got)
}

// echo sends msg and reads it back from the fake VNC server.
func echo(t *testing.T, ws *websocket.Conn, msg string) {
	t.Helper()
	if err := ws.WriteMessage(websocket.BinaryMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for len(got) < len(msg) {
		_, p, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p...)
	}
	if string(got) != msg {
		t.Fatalf("echo %q, want %q", got, msg)
	}
}

// connectFake opens a session to the fake VNC server and reads its banner.
func connectFake(t *testing.T, s *Server, target Target) *websocket.Conn {
	t.Helper()
	ws := connect(t, s, target)
	if got := readBanner(t, ws); got != banner {
		t.Fatalf("banner %q", got)
	}
	return ws
}

// closeOf reads until the connection closes and returns the close error.
func closeOf(t *testing.T, ws *websocket.Conn) *websocket.CloseError {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("the connection ended without a close frame: %v", err)
		}
		return ce
	}
}

func TestProxyRoundTrip(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	ws := connectFake(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	msg := "a key event, say"
	echo(t, ws, msg)
	eventually(t, 5*time.Second, "the counters", func() bool {
		ss := s.Sessions()
		return len(ss) == 1 && ss[0].BytesFromVM == uint64(len(banner)+len(msg)) && ss[0].BytesToVM == uint64(len(msg))
	})
	info := s.Sessions()[0]
	if info.VM != "vm-a" || info.UUID != uuidA || info.Target != vnc.addr() || info.ID == "" {
		t.Errorf("session info %+v", info)
	}

	// The VM goes away: the browser gets a close frame with the reason.
	vnc.dropAll()
	ce := closeOf(t, ws)
	if ce.Code != websocket.CloseNormalClosure || !strings.Contains(ce.Text, "closed the connection") {
		t.Errorf("close %d %q, want 1000 and the reason", ce.Code, ce.Text)
	}
	eventually(t, 5*time.Second, "the session to go", func() bool { return len(s.Sessions()) == 0 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSubprotocols(t *testing.T) {
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	for _, tc := range []struct {
		offer []string
		want  string // the echoed subprotocol
		ok    bool
	}{
		{nil, "", true},
		{[]string{"binary"}, "binary", true},
		{[]string{"base64", "binary"}, "binary", true},
		{[]string{"foo"}, "", false},
		{[]string{"base64"}, "", false},
	} {
		t.Run(fmt.Sprint(tc.offer), func(t *testing.T) {
			pageURL, err := s.Mint(TCPTarget("vm-a", uuidA, vnc.addr()))
			if err != nil {
				t.Fatal(err)
			}
			path, _ := openPage(t, s, pageURL)
			ws, res, err := dialWS(s, path, s.Origin(), tc.offer...)
			if !tc.ok {
				if err == nil {
					ws.Close()
					t.Fatal("handshake accepted")
				}
				if res == nil || res.StatusCode != http.StatusBadRequest {
					t.Fatalf("response %v, want 400", res)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer ws.Close()
			if ws.Subprotocol() != tc.want {
				t.Errorf("subprotocol %q, want %q", ws.Subprotocol(), tc.want)
			}
			readBanner(t, ws)
		})
	}
}

func TestOriginRefused(t *testing.T) {
	vnc := startFakeVNC(t)
	logs := &logRecorder{}
	s := newTestServer(t, Config{Log: testLogTo(t, logs)})
	port := strings.TrimPrefix(s.Origin(), "http://127.0.0.1:")
	for _, origin := range []string{"", "http://localhost:" + port, "http://127.0.0.1:1", "https://127.0.0.1:" + port, "null", "http://evil.example"} {
		t.Run(origin, func(t *testing.T) {
			pageURL, err := s.Mint(TCPTarget("vm-a", uuidA, vnc.addr()))
			if err != nil {
				t.Fatal(err)
			}
			path, _ := openPage(t, s, pageURL)
			ws, res, err := dialWS(s, path, origin)
			if err == nil {
				ws.Close()
				t.Fatal("handshake accepted")
			}
			if res == nil || res.StatusCode != http.StatusForbidden {
				t.Fatalf("response %v, want 403", res)
			}
			if !logs.contains("WebSocket Origin", origin, "is not "+s.Origin(), "status=403") {
				t.Error("the refusal's reason is not in the log")
			}
			// The ticket is still good from the right origin: a refused origin does not burn it.
			ws, _, err = dialWS(s, path, s.Origin())
			if err != nil {
				t.Fatalf("the right origin after a wrong one: %v", err)
			}
			ws.Close()
		})
	}
	// The API calls need the origin too.
	res, _ := post(t, s, apiOpen, "http://localhost:"+port, nil, `{"ticket":"x"}`)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("open from another origin: %s, want 403", res.Status)
	}
}

func TestWebSocketTicketRules(t *testing.T) {
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})

	// A ticket opens one WebSocket only.
	pageURL, err := s.Mint(TCPTarget("vm-a", uuidA, vnc.addr()))
	if err != nil {
		t.Fatal(err)
	}
	pathA, secretA := openPage(t, s, pageURL)
	ws, _, err := dialWS(s, pathA, s.Origin())
	if err != nil {
		t.Fatal(err)
	}
	ws.Close()
	if _, res, err := dialWS(s, pathA, s.Origin()); err == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("reused WebSocket ticket: %v %v, want 403", err, res)
	}

	// Another VM's ticket is refused (and spent).
	pageB, err := s.Mint(TCPTarget("vm-b", uuidB, vnc.addr()))
	if err != nil {
		t.Fatal(err)
	}
	pathB, _ := openPage(t, s, pageB)
	swapped := strings.Replace(pathB, "vm="+uuidB, "vm="+uuidA, 1)
	if _, res, err := dialWS(s, swapped, s.Origin()); err == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("vm-b's ticket for vm-a: %v %v, want 403", err, res)
	}

	// Malformed queries.
	for _, q := range []string{"", "?vm=" + uuidA, "?vm=" + uuidA + "&ticket=short", "?vm=" + uuidA + "&ticket=" + newTicket().String() + "&x=1",
		"?vm=a%20b&ticket=" + newTicket().String()} {
		if _, res, err := dialWS(s, wsPath+q, s.Origin()); err == nil || res.StatusCode != http.StatusBadRequest {
			t.Errorf("query %q: %v %v, want 400", q, err, res)
		}
	}

	// The page secret buys a fresh ticket for the same VM; the previous unused one is revoked.
	hdr := http.Header{pageHeader: {secretA}}
	res, body := post(t, s, apiTicket, s.Origin(), hdr, "{}")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ticket: %s %v", res.Status, body)
	}
	fresh := body["ws"].(string)
	if !strings.Contains(fresh, "vm="+uuidA) {
		t.Fatalf("fresh ticket path %q is not for vm-a", fresh)
	}
	res, body = post(t, s, apiTicket, s.Origin(), hdr, "{}")
	if res.StatusCode != http.StatusOK {
		t.Fatal(res.Status)
	}
	if _, res, err := dialWS(s, fresh, s.Origin()); err == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("a superseded ticket: %v %v, want 403", err, res)
	}
	ws, _, err = dialWS(s, body["ws"].(string), s.Origin())
	if err != nil {
		t.Fatal(err)
	}
	readBanner(t, ws)
	ws.Close()

	// A wrong page secret gets nothing.
	for _, bad := range []string{"", "nope", newTicket().String()} {
		res, _ := post(t, s, apiTicket, s.Origin(), http.Header{pageHeader: {bad}}, "{}")
		if res.StatusCode == http.StatusOK {
			t.Errorf("page secret %q accepted", bad)
		}
	}
}

func TestPageLinkRefusals(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{Now: clock, TicketTTL: 30 * time.Second})
	target := TCPTarget("vm-a", uuidA, vnc.addr())

	openWith := func(ticket string) (int, string) {
		res, body := post(t, s, apiOpen, s.Origin(), nil, fmt.Sprintf(`{"ticket":%q}`, ticket))
		msg, _ := body["error"].(string)
		return res.StatusCode, msg
	}

	used, _ := s.Mint(target)
	openPage(t, s, used)
	if code, msg := openWith(fragmentTicket(t, used)); code != http.StatusGone || msg != "this console link was already used; open the console again from Horcrux" {
		t.Errorf("second load: %d %q", code, msg)
	}

	late, _ := s.Mint(target)
	advance(30 * time.Second)
	if code, msg := openWith(fragmentTicket(t, late)); code != http.StatusGone || !strings.Contains(msg, "expired") {
		t.Errorf("expired link: %d %q", code, msg)
	}
	if code, msg := openWith(newTicket().String()); code != http.StatusNotFound || !strings.Contains(msg, "not known") {
		t.Errorf("unknown link: %d %q", code, msg)
	}
	if code, msg := openWith("not-a-ticket"); code != http.StatusBadRequest || !strings.Contains(msg, "damaged") {
		t.Errorf("malformed link: %d %q", code, msg)
	}

	// A WebSocket ticket expires too.
	fresh, _ := s.Mint(target)
	path, _ := openPage(t, s, fresh)
	advance(31 * time.Second)
	if _, res, err := dialWS(s, path, s.Origin()); err == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("expired WebSocket ticket: %v %v, want 403", err, res)
	}
}

func TestTextFrameClosesSession(t *testing.T) {
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	ws := connect(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	readBanner(t, ws)
	if err := ws.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	ce := closeOf(t, ws)
	if ce.Code != websocket.CloseUnsupportedData || !strings.Contains(ce.Text, "text frames are not accepted") {
		t.Errorf("close %d %q, want 1003 with the reason", ce.Code, ce.Text)
	}
	eventually(t, 5*time.Second, "the session to go", func() bool { return len(s.Sessions()) == 0 })
}

func TestOversizedMessageClosesSession(t *testing.T) {
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{ReadLimit: 1024})
	ws := connect(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	readBanner(t, ws)
	if err := ws.WriteMessage(websocket.BinaryMessage, make([]byte, 1025)); err != nil {
		t.Fatal(err)
	}
	if ce := closeOf(t, ws); ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("close %d %q, want 1009", ce.Code, ce.Text)
	}
	eventually(t, 5*time.Second, "the session to go", func() bool { return len(s.Sessions()) == 0 })
}

func TestDialFailureReason(t *testing.T) {
	s := newTestServer(t, Config{})
	dead := freePort(t) // nothing listens there now
	ws := connect(t, s, TCPTarget("vm-a", uuidA, fmt.Sprintf("127.0.0.1:%d", dead)))
	ce := closeOf(t, ws)
	if ce.Code != websocket.CloseInternalServerErr || !strings.Contains(ce.Text, "cannot reach the VNC server of vm-a") {
		t.Errorf("close %d %q", ce.Code, ce.Text)
	}
}

func TestListenOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::1]:0", "[::]:0", "localhost:0", "192.0.2.1:0", "127.0.0.2:0", "127.0.0.1", "127.0.0.1:x"} {
		if s, err := NewServer(Config{Addr: addr, Log: testLog(t)}); err == nil {
			s.Close()
			t.Errorf("NewServer(%q) started", addr)
		}
	}
}

func TestHostHeaderChecked(t *testing.T) {
	s := newTestServer(t, Config{})
	req, _ := http.NewRequest(http.MethodGet, s.Origin()+pagePath, nil)
	req.Host = "attacker.example:" + strings.TrimPrefix(s.Origin(), "http://127.0.0.1:")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %s, want 421", res.Status)
	}
}

func get(t *testing.T, s *Server, path string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(s.Origin() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestSecurityHeadersAndTypes(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, tc := range []struct {
		path, ctype string
		status      int
	}{
		{"/console/", "text/html; charset=utf-8", 200},
		{"/console/console.js", "text/javascript; charset=utf-8", 200},
		{"/console/novnc/core/rfb.js", "text/javascript; charset=utf-8", 200},
		{"/console/nothing.js", "", 404},
		{"/console/novnc/", "", 404},
		{"/console/../server.go", "", 404},
		{"/", "", 404},
		{"/console/api/open", "application/json", 405},
	} {
		res, _ := get(t, s, tc.path)
		if res.StatusCode != tc.status {
			t.Errorf("%s: %s, want %d", tc.path, res.Status, tc.status)
		}
		if tc.ctype != "" && res.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, res.Header.Get("Content-Type"), tc.ctype)
		}
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "connect-src 'self' ws://" + strings.TrimPrefix(s.Origin(), "http://"), "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", tc.path, csp, want)
			}
		}
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", tc.path, h)
		}
	}
}

func TestBuildWithoutNoVNC(t *testing.T) {
	s := newTestServer(t, Config{assets: &assets{
		page: fstest.MapFS{"index.html": {Data: []byte("page")}},
		err:  errors.New("noVNC 1.7.0 is not embedded in this build: run `make novnc` in the Horcrux source tree, then rebuild"),
	}})
	pageURL, err := s.Mint(TCPTarget("vm-a", uuidA, "127.0.0.1:5900"))
	if err != nil {
		t.Fatal(err)
	}
	res, body := get(t, s, strings.TrimPrefix(strings.Split(pageURL, "#")[0], s.Origin()))
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "make novnc") {
		t.Errorf("page without noVNC: %s %q", res.Status, body)
	}
	if res.Header.Get("Content-Security-Policy") == "" {
		t.Error("the error page has no CSP")
	}
}

func TestMintChecksTarget(t *testing.T) {
	s := newTestServer(t, Config{})
	good := TCPTarget("vm", uuidA, "127.0.0.1:5900")
	for name, bad := range map[string]Target{
		"no dial":  {VM: "vm", UUID: uuidA},
		"no name":  {UUID: uuidA, Dial: good.Dial},
		"no uuid":  {VM: "vm", Dial: good.Dial},
		"odd uuid": {VM: "vm", UUID: "a&b=c", Dial: good.Dial},
	} {
		if _, err := s.Mint(bad); err == nil {
			t.Errorf("%s: minted", name)
		}
	}
	pageURL, err := s.Mint(good)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pageURL, s.Origin()+"/console/#t=") || len(fragmentTicket(t, pageURL)) != TicketLen {
		t.Errorf("page URL %q", pageURL)
	}
	if err := checkPageURL(pageURL); err != nil {
		t.Errorf("checkPageURL(Mint()): %v", err)
	}
	s.Close()
	if _, err := s.Mint(good); !errors.Is(err, ErrClosed) {
		t.Errorf("Mint after Close: %v", err)
	}
}

func TestTCPTargetLoopback(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:5901":   "127.0.0.1:5901",
		"[::]:5902":      "[::1]:5902",
		":5903":          "127.0.0.1:5903",
		"127.0.0.1:5904": "127.0.0.1:5904",
		"[::1]:5905":     "[::1]:5905",
	} {
		if got := TCPTarget("vm", uuidA, in).Desc; got != want {
			t.Errorf("TCPTarget(%q) dials %q, want %q", in, got, want)
		}
	}
	if _, err := TCPTarget("vm", uuidA, "no-port").Dial(context.Background()); err == nil {
		t.Error("a bad address dialled")
	}
}

func TestCloseSessionAndWaitIdle(t *testing.T) {
	vnc := startFakeVNC(t)
	s := newTestServer(t, Config{})
	ws := connect(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	readBanner(t, ws)

	idle := make(chan error, 1)
	go func() { idle <- s.WaitIdle(context.Background(), 50*time.Millisecond) }()
	select {
	case err := <-idle:
		t.Fatalf("WaitIdle returned %v with a session open", err)
	case <-time.After(200 * time.Millisecond):
	}

	id := s.Sessions()[0].ID
	if s.CloseSession("no-such-id") {
		t.Error("CloseSession of an unknown ID reported true")
	}
	if !s.CloseSession(id) {
		t.Fatal("CloseSession reported false")
	}
	if ce := closeOf(t, ws); !strings.Contains(ce.Text, "closed from Horcrux") {
		t.Errorf("close %d %q", ce.Code, ce.Text)
	}
	select {
	case err := <-idle:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitIdle did not return after the last session closed")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitIdle(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitIdle with a cancelled context: %v", err)
	}
	s.Close()
	if err := s.WaitIdle(context.Background(), time.Hour); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitIdle after Close: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done is open after Close")
	}
}

func TestCloseEndsEverything(t *testing.T) {
	noGoroutineLeak(t)
	vnc := startFakeVNC(t)
	s, err := NewServer(Config{Log: testLog(t), assets: &assets{page: fstest.MapFS{}, libs: fstest.MapFS{}}})
	if err != nil {
		t.Fatal(err)
	}
	var conns []*websocket.Conn
	for i := 0; i < 5; i++ {
		ws := connect(t, s, TCPTarget(fmt.Sprint("vm-", i), uuidA, vnc.addr()))
		readBanner(t, ws)
		conns = append(conns, ws)
	}
	// An idle keep-alive HTTP connection too.
	if res, _ := get(t, s, "/console/"); res.StatusCode == 0 {
		t.Fatal("no answer")
	}
	if n := len(s.Sessions()); n != 5 {
		t.Fatalf("%d sessions, want 5", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ws := range conns {
		if ce := closeOf(t, ws); ce.Code != websocket.CloseGoingAway {
			t.Errorf("close %d %q, want 1001", ce.Code, ce.Text)
		}
		ws.Close()
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(s.Origin(), "http://"), time.Second); err == nil {
		t.Error("the listener is still open")
	}
	http.DefaultClient.CloseIdleConnections()
	vnc.close()
}

func TestPingKeepsSessionAndDeadPeerEnds(t *testing.T) {
	vnc := startFakeVNC(t)
	rec := &logRecorder{}
	s := newTestServer(t, Config{PingPeriod: 20 * time.Millisecond, PongWait: 300 * time.Millisecond, Log: testLogTo(t, rec)})
	ws := connect(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	pings := make(chan struct{}, 100)
	ws.SetPingHandler(func(data string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	// Reading answers pings (the handler runs inside ReadMessage).
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for i := 0; i < 3; i++ {
		select {
		case <-pings:
		case <-time.After(10 * time.Second):
			t.Fatal("no ping from the server")
		}
	}
	if len(s.Sessions()) != 1 {
		t.Fatal("the session ended although pongs came back")
	}

	// A client that never reads never answers pings: the server ends the
	// session and says why in those words.
	mute := connect(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	_ = mute
	eventually(t, 10*time.Second, "the mute session to end", func() bool { return len(s.Sessions()) == 1 })
	eventually(t, 10*time.Second, "the end logged as a ping timeout", func() bool {
		return rec.contains("session ended", "stopped answering pings")
	})
	if rec.contains("session ended", "reading from the browser failed") {
		t.Error("a ping timeout was logged as a read failure")
	}
}

func TestAssetFor(t *testing.T) {
	for _, tc := range []struct {
		in    string
		name  string
		novnc bool
		ok    bool
	}{
		{"/console/", "index.html", false, true},
		{"/console/console.js", "console.js", false, true},
		{"/console/novnc/core/rfb.js", "novnc/core/rfb.js", true, true},
		{"/console/xterm/lib/xterm.mjs", "xterm/lib/xterm.mjs", true, true},
		{"/console/spice/src/main.js", "spice/src/main.js", true, true},
		{"/console/term.html", "term.html", false, true},
		{"/console/novnc/", "", false, false},
		{"/console/../etc/passwd", "", false, false},
		{"/console/a//b", "", false, false},
		{"/console/a\\b", "", false, false},
		{"/console/./x", "", false, false},
		{"/consolex", "", false, false},
		{"/", "", false, false},
	} {
		name, novnc, ok := assetFor(tc.in)
		if name != tc.name || novnc != tc.novnc || ok != tc.ok {
			t.Errorf("assetFor(%q) = %q, %v, %v", tc.in, name, novnc, ok)
		}
	}
}

func FuzzConsoleURL(f *testing.F) {
	tk := newTicket().String()
	f.Add("/console/", "vm="+uuidA+"&ticket="+tk, "http://127.0.0.1:8080/console/#t="+tk)
	f.Add("/console/novnc/core/rfb.js", "", "http://127.0.0.1:1/console/")
	f.Add("/console/../x", "vm=a&vm=b&ticket="+tk, "http://localhost:80/console/#t=x")
	f.Add("/console//x", "ticket="+tk+"&vm=%zz", "http://127.0.0.1:65536/console/")
	f.Add("\\console\\", "vm=&ticket=", "http://user@127.0.0.1:5/console/?q#t")
	f.Fuzz(func(t *testing.T, urlPath, rawQuery, pageURL string) {
		if name, _, ok := assetFor(urlPath); ok {
			if !strings.HasPrefix(urlPath, pagePath) || slices.Contains(strings.Split(name, "/"), "..") || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
				t.Fatalf("assetFor(%q) = %q", urlPath, name)
			}
		}
		if uuid, ticket, err := parseWSQuery(rawQuery); err == nil {
			if checkUUID(uuid) != nil {
				t.Fatalf("parseWSQuery(%q) accepted vm %q", rawQuery, uuid)
			}
			if _, err := ParseTicket(ticket.String()); err != nil {
				t.Fatal(err)
			}
		}
		if err := checkPageURL(pageURL); err == nil {
			u, err := url.Parse(pageURL)
			if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Path != pagePath {
				t.Fatalf("checkPageURL accepted %q", pageURL)
			}
		} else if _, frag, found := strings.Cut(pageURL, "#"); found && len(frag) >= 8 && strings.Contains(err.Error(), frag) {
			t.Fatalf("the error quotes the URL's fragment: %v", err)
		}
	})
}

func TestIndexPreloadsNoVNC(t *testing.T) {
	s := newTestServer(t, Config{assets: &assets{
		page: fstest.MapFS{"index.html": {Data: []byte("<head>\n" + preloadMarker + "\n</head>")}},
		libs: fstest.MapFS{"novnc/core/rfb.js": {}, "novnc/core/util/int.js": {}, "novnc/LICENSE.txt": {}},
	}})
	_, body := get(t, s, "/console/")
	for _, want := range []string{`<link rel="modulepreload" href="novnc/core/rfb.js">`, `<link rel="modulepreload" href="novnc/core/util/int.js">`} {
		if !strings.Contains(body, want) {
			t.Errorf("index lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "LICENSE") || strings.Contains(body, preloadMarker) {
		t.Errorf("index:\n%s", body)
	}
}

// TestRepeatedRefusalsLoggedOncePerInterval: 1000 bad tickets give one line
// and a count, not 1000 lines.
func TestRepeatedRefusalsLoggedOncePerInterval(t *testing.T) {
	rec := &logRecorder{}
	s := newTestServer(t, Config{Log: slog.New(slog.NewTextHandler(rec, nil)), RefusalLogEvery: time.Hour})
	for range 1000 {
		if res, _ := post(t, s, apiOpen, s.Origin(), nil, fmt.Sprintf(`{"ticket":%q}`, newTicket().String())); res.StatusCode != http.StatusNotFound {
			t.Fatalf("a bad ticket got %d", res.StatusCode)
		}
	}
	s.Close()
	rec.mu.Lock()
	lines := append([]string(nil), rec.lines...)
	rec.mu.Unlock()
	if len(lines) != 2 {
		t.Fatalf("%d log lines for 1000 refusals, want the first and a count:\n%s", len(lines), strings.Join(lines, ""))
	}
	if !strings.Contains(lines[1], "more_refused=999") {
		t.Errorf("the count line: %s", lines[1])
	}
}

// TestOnSessionHook: the hook hears a session start and end, with the VM
// and the reason it ended.
func TestOnSessionHook(t *testing.T) {
	vnc := startFakeVNC(t)
	events := make(chan SessionEvent, 4)
	s := newTestServer(t, Config{OnSession: func(e SessionEvent) { events <- e }})
	ws := connect(t, s, TCPTarget("vm-a", uuidA, vnc.addr()))
	readBanner(t, ws)
	next := func() SessionEvent {
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no session event within 10 s")
		}
		return SessionEvent{}
	}
	start := next()
	if start.Ended || start.Session.VM != "vm-a" || start.Session.UUID != uuidA || start.Session.Kind != VNC {
		t.Errorf("start event %+v", start)
	}
	if !s.CloseSession(start.Session.ID) {
		t.Fatal("CloseSession reported false")
	}
	end := next()
	if !end.Ended || end.Session.ID != start.Session.ID || !strings.Contains(end.Reason, "closed from Horcrux") {
		t.Errorf("end event %+v", end)
	}
}
