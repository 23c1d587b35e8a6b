package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/horcrux-desktop/horcrux/internal/browsertest"
	"github.com/horcrux-desktop/horcrux/novncassets"
)

// requireAssets fails an integration run without noVNC, naming the make target.
func requireAssets(t *testing.T) {
	t.Helper()
	if err := novncassets.Check(); err != nil {
		t.Fatalf("run make novnc: %v", err)
	}
}

// pageServer is a console server for a test that drives its pages in
// Chromium; it closes when the test ends.
func pageServer(t *testing.T) *Server {
	t.Helper()
	needIntegration(t, "Chromium")
	requireAssets(t)
	s, err := NewServer(Config{Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestBrowserConsoleEndToEnd(t *testing.T) {
	needIntegration(t, "Xvnc and Chromium")
	requireAssets(t)

	plain := startXvnc(t, "")
	painted := plain.paint(t)
	logs := &logRecorder{}
	s, err := NewServer(Config{Log: testLogTo(t, logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	browser := bt.Start(t)

	pageURL, err := s.Mint(TCPTarget("ci-vm", "0f4c1a2b-1111-2222-3333-444455556666", plain.addr))
	if err != nil {
		t.Fatal(err)
	}

	// The page loads, noVNC connects and draws the X display.
	page := bt.NewTab(t, browser)
	start := time.Now()
	page.Do(t, chromedp.Navigate(pageURL))
	page.WaitFor(t, 15*time.Second, bt.JSConnected)
	t.Logf("mint to connected: %v", time.Since(start).Round(time.Millisecond))
	if title := bt.Eval[string](t, page, `document.title`); !strings.Contains(title, "ci-vm") {
		t.Errorf("title %q does not name the VM", title)
	}
	if h := bt.Eval[string](t, page, `location.hash`); h != "" {
		t.Errorf("the ticket stayed in the address bar: hash %q", h)
	}
	page.WaitFor(t, 15*time.Second, bt.JSPainted)
	if painted {
		page.WaitFor(t, 15*time.Second, `(() => { const d = `+bt.JSPixel+`; return d[0] === 51 && d[1] === 102 && d[2] === 204; })()`)
	}
	if n := len(s.Sessions()); n != 1 {
		t.Fatalf("%d sessions open, want 1", n)
	}
	// The statistics come from the proxy's counters.
	page.WaitFor(t, 10*time.Second, `/frames\/s/.test(document.getElementById('stats').textContent)`)
	if info := s.Sessions()[0]; info.VM != "ci-vm" || info.BytesFromVM == 0 || info.BytesToVM == 0 {
		t.Errorf("session info %+v: want VM ci-vm and bytes both ways", info)
	}

	// The tools send keys and text to the VM and change the view; none of them throws.
	before := s.Sessions()[0].BytesToVM
	page.Do(t,
		chromedp.Click(chromedp.ID("btn-cad")),
		chromedp.Click(chromedp.ID("btn-clipboard")),
		chromedp.SendKeys(chromedp.ID("clip-to-vm"), "hello VM"),
		chromedp.Click(chromedp.ID("btn-paste")),
		chromedp.Click(chromedp.ID("btn-type")),
		chromedp.Click(chromedp.ID("btn-scale")),
		chromedp.Click(chromedp.ID("btn-scale")),
		chromedp.Click(chromedp.ID("chk-viewonly")),
		chromedp.Click(chromedp.ID("chk-viewonly")),
		chromedp.Click(chromedp.ID("btn-shot")),
	)
	bt.Eval[bool](t, page, `(() => { const s = document.getElementById('sel-keys');
		s.value = 'ctrl-alt-f2'; s.dispatchEvent(new Event('change')); return s.value === ''; })()`)
	// Ctrl+Alt+Del is 6 key events, Ctrl+Alt+F2 6, "hello VM" typed 16, 8 bytes each, plus the clipboard message.
	eventually(t, 10*time.Second, "the key events to reach the VM", func() bool {
		return s.Sessions()[0].BytesToVM >= before+28*8
	})
	if bt.Eval[bool](t, page, `document.getElementById('status').dataset.state !== 'connected'`) {
		t.Fatalf("the tools broke the session: %s", bt.Eval[string](t, page, bt.JSStatus))
	}

	// A second load of the same link is refused with words the user can act on.
	second := bt.NewTab(t, browser)
	second.Do(t, chromedp.Navigate(pageURL))
	second.WaitFor(t, 10*time.Second, bt.JSState+` === 'error'`)
	if msg := bt.Eval[string](t, second, bt.JSMessage); !strings.Contains(strings.ToLower(msg), "this console link was already used; open the console again from horcrux") {
		t.Errorf("second load says %q", msg)
	}

	// Disconnect, then Reconnect with the page secret.
	page.Do(t, chromedp.Click(chromedp.ID("btn-disconnect")))
	page.WaitFor(t, 10*time.Second, bt.JSState+` === 'disconnected'`)
	eventually(t, 5*time.Second, "the session to close", func() bool { return len(s.Sessions()) == 0 })
	page.Do(t, chromedp.Click(chromedp.ID("btn-reconnect")))
	page.WaitFor(t, 15*time.Second, bt.JSConnected)
	eventually(t, 5*time.Second, "one session after Reconnect", func() bool { return len(s.Sessions()) == 1 })

	// The VM's VNC server dies mid-session: the page says so, the server keeps serving.
	plain.kill()
	page.WaitFor(t, 15*time.Second, bt.JSState+` === 'disconnected'`)
	if status := bt.Eval[string](t, page, bt.JSStatus); !strings.Contains(status, "closed the connection") {
		t.Errorf("after Xvnc died the page says %q, want the reason", status)
	}
	eventually(t, 5*time.Second, "no sessions after Xvnc died", func() bool { return len(s.Sessions()) == 0 })

	// A password-protected server drives the credentials prompt.
	locked := startXvnc(t, "s3cret-pw")
	pageURL2, err := s.Mint(TCPTarget("locked-vm", "aaaabbbb-cccc-dddd-eeee-ffff00001111", locked.addr))
	if err != nil {
		t.Fatal(err)
	}
	page2 := bt.NewTab(t, browser)
	page2.Do(t, chromedp.Navigate(pageURL2))
	page2.WaitFor(t, 15*time.Second, `!document.getElementById('cred-form').hidden`)
	page2.Do(t,
		chromedp.SendKeys(chromedp.ID("cred-password"), "wrong-pw"),
		chromedp.Click(chromedp.ID("cred-submit")),
	)
	page2.WaitFor(t, 15*time.Second, bt.JSState+` === 'disconnected'`)
	if status := bt.Eval[string](t, page2, bt.JSStatus); !strings.Contains(status, "authentication failed") {
		t.Errorf("a wrong password shows %q", status)
	}
	page2.Do(t, chromedp.Click(chromedp.ID("btn-reconnect")))
	page2.WaitFor(t, 15*time.Second, `!document.getElementById('cred-form').hidden`)
	page2.Do(t,
		chromedp.SendKeys(chromedp.ID("cred-password"), "s3cret-pw"),
		chromedp.Click(chromedp.ID("cred-submit")),
	)
	page2.WaitFor(t, 15*time.Second, bt.JSConnected)
	page2.WaitFor(t, 15*time.Second, bt.JSPainted)
	if v := bt.Eval[string](t, page2, `document.getElementById('cred-password').value`); v != "" {
		t.Errorf("the password field still holds %q", v)
	}
	if logs.contains("s3cret-pw") || logs.contains("wrong-pw") {
		t.Error("a password reached the log")
	}
	if shot := os.Getenv("HORCRUX_CONSOLE_SHOT"); shot != "" {
		saveShot(t, page2, shot)
	}

	for _, tb := range []*bt.Tab{page, second, page2} {
		if v := tb.Problems(); len(v) > 0 {
			t.Errorf("CSP violations or exceptions in the page:\n%s", strings.Join(v, "\n"))
		}
	}
}

// TestBrowserWrongOriginIsLogged opens the WebSocket from a page of another origin: the page only sees 1006, the log says why.
func TestBrowserWrongOriginIsLogged(t *testing.T) {
	needIntegration(t, "Chromium")
	requireAssets(t)
	logs := &logRecorder{}
	s, err := NewServer(Config{Log: testLogTo(t, logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A page of another origin (same host, other port) with no CSP of its own.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>elsewhere</title><link rel=icon href=data:,>")
	}))
	defer other.Close()
	browser := bt.Start(t)
	tb := bt.NewTab(t, browser)
	tb.Do(t, chromedp.Navigate(other.URL))
	code := bt.Eval[float64](t, tb, fmt.Sprintf(`new Promise((resolve) => {
		const ws = new WebSocket('ws://%s/console/ws?vm=x&ticket=%s');
		ws.onclose = (e) => resolve(e.code);
	})`, strings.TrimPrefix(s.Origin(), "http://"), strings.Repeat("A", TicketLen)))
	if code != 1006 {
		t.Errorf("close code %v, want 1006", code)
	}
	eventually(t, 5*time.Second, "the refusal in the log", func() bool { return logs.contains("is not " + s.Origin()) })
}

func saveShot(t *testing.T, tb *bt.Tab, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("screenshot: %v", err)
	}
}
