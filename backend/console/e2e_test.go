package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/horcrux-desktop/horcrux/novncassets"
)

// browserFlags are the ones ENVIRONMENT.md verified for headless Chromium as root.
func browserFlags(userDataDir string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(userDataDir),
	)
}

// startBrowser starts headless Chromium with a fresh profile; the returned context is its first tab.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatalf("chromium is not installed (apt-get install chromium): %v", err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browserFlags(t.TempDir())...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout on this first call
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// tab is one browser tab with its console messages recorded.
type tab struct {
	ctx  context.Context
	mu   sync.Mutex
	msgs []string
}

func newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	tb := &tab{ctx: ctx}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.msgs = append(tb.msgs, m.String())
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return tb
}

// do runs actions with a deadline derived from the tab's context.
func (tb *tab) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v\nconsole:\n%s", err, tb.console())
	}
}

func evalIn[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v\nconsole:\n%s", expr, err, tb.console())
	}
	return v
}

// waitFor polls a JavaScript boolean expression in the tab until it holds.
func (tb *tab) waitFor(t *testing.T, within time.Duration, expr string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !evalIn[bool](t, tb, expr) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; status %q, message %q\nconsole:\n%s", within, expr,
				evalIn[string](t, tb, `document.getElementById('status').dataset.state + ': ' + document.getElementById('status-text').textContent`),
				evalIn[string](t, tb, `document.getElementById('message').textContent`), tb.console())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (tb *tab) console() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return strings.Join(tb.msgs, "\n")
}

// problems returns the console messages where the browser refused something under the CSP, and uncaught exceptions.
func (tb *tab) problems() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, m := range tb.msgs {
		if strings.Contains(m, "Content Security Policy") || strings.HasPrefix(m, string(chromedp.ConsoleException)) {
			out = append(out, m)
		}
	}
	return out
}

const (
	jsState     = `document.getElementById('status').dataset.state`
	jsStatus    = `document.getElementById('status-text').textContent`
	jsMessage   = `document.getElementById('message').textContent`
	jsConnected = jsState + ` === 'connected'`
	// jsPixel is the RGBA of the noVNC canvas at (100, 100), away from the X cursor in the middle.
	jsPixel = `(() => { const c = document.querySelector('#screen canvas');
		if (!c || c.width < 100) return [];
		const d = c.getContext('2d').getImageData(100, 100, 1, 1).data;
		return Array.from(d); })()`
	// jsPainted holds when the canvas shows something other than black at a few points.
	jsPainted = `(() => { const c = document.querySelector('#screen canvas');
		if (!c || c.width < 100) return false;
		const g = c.getContext('2d');
		for (const [x, y] of [[10, 10], [c.width / 2, c.height / 2], [c.width - 10, c.height - 10], [11, 10]]) {
			const d = g.getImageData(x, y, 1, 1).data;
			if (d[0] || d[1] || d[2]) return true;
		}
		return false; })()`
)

// requireAssets fails an integration run without noVNC, naming the make target.
func requireAssets(t *testing.T) {
	t.Helper()
	if err := novncassets.Check(); err != nil {
		t.Fatalf("run make novnc: %v", err)
	}
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
	browser := startBrowser(t)

	pageURL, err := s.Mint(TCPTarget("ci-vm", "0f4c1a2b-1111-2222-3333-444455556666", plain.addr))
	if err != nil {
		t.Fatal(err)
	}

	// The page loads, noVNC connects and draws the X display.
	page := newTab(t, browser)
	start := time.Now()
	page.do(t, chromedp.Navigate(pageURL))
	page.waitFor(t, 15*time.Second, jsConnected)
	t.Logf("mint to connected: %v", time.Since(start).Round(time.Millisecond))
	if title := evalIn[string](t, page, `document.title`); !strings.Contains(title, "ci-vm") {
		t.Errorf("title %q does not name the VM", title)
	}
	if h := evalIn[string](t, page, `location.hash`); h != "" {
		t.Errorf("the ticket stayed in the address bar: hash %q", h)
	}
	page.waitFor(t, 15*time.Second, jsPainted)
	if painted {
		page.waitFor(t, 15*time.Second, `(() => { const d = `+jsPixel+`; return d[0] === 51 && d[1] === 102 && d[2] === 204; })()`)
	}
	if n := len(s.Sessions()); n != 1 {
		t.Fatalf("%d sessions open, want 1", n)
	}
	// The statistics come from the proxy's counters.
	page.waitFor(t, 10*time.Second, `/frames\/s/.test(document.getElementById('stats').textContent)`)
	if info := s.Sessions()[0]; info.VM != "ci-vm" || info.BytesFromVM == 0 || info.BytesToVM == 0 {
		t.Errorf("session info %+v: want VM ci-vm and bytes both ways", info)
	}

	// The tools send keys and text to the VM and change the view; none of them throws.
	before := s.Sessions()[0].BytesToVM
	page.do(t,
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
	evalIn[bool](t, page, `(() => { const s = document.getElementById('sel-keys');
		s.value = 'ctrl-alt-f2'; s.dispatchEvent(new Event('change')); return s.value === ''; })()`)
	// Ctrl+Alt+Del is 6 key events, Ctrl+Alt+F2 6, "hello VM" typed 16, 8 bytes each, plus the clipboard message.
	eventually(t, 10*time.Second, "the key events to reach the VM", func() bool {
		return s.Sessions()[0].BytesToVM >= before+28*8
	})
	if evalIn[bool](t, page, `document.getElementById('status').dataset.state !== 'connected'`) {
		t.Fatalf("the tools broke the session: %s", evalIn[string](t, page, jsStatus))
	}

	// A second load of the same link is refused with words the user can act on.
	second := newTab(t, browser)
	second.do(t, chromedp.Navigate(pageURL))
	second.waitFor(t, 10*time.Second, jsState+` === 'error'`)
	if msg := evalIn[string](t, second, jsMessage); !strings.Contains(strings.ToLower(msg), "this console link was already used; open the console again from horcrux") {
		t.Errorf("second load says %q", msg)
	}

	// Disconnect, then Reconnect with the page secret.
	page.do(t, chromedp.Click(chromedp.ID("btn-disconnect")))
	page.waitFor(t, 10*time.Second, jsState+` === 'disconnected'`)
	eventually(t, 5*time.Second, "the session to close", func() bool { return len(s.Sessions()) == 0 })
	page.do(t, chromedp.Click(chromedp.ID("btn-reconnect")))
	page.waitFor(t, 15*time.Second, jsConnected)
	eventually(t, 5*time.Second, "one session after Reconnect", func() bool { return len(s.Sessions()) == 1 })

	// The VM's VNC server dies mid-session: the page says so, the server keeps serving.
	plain.kill()
	page.waitFor(t, 15*time.Second, jsState+` === 'disconnected'`)
	if status := evalIn[string](t, page, jsStatus); !strings.Contains(status, "closed the connection") {
		t.Errorf("after Xvnc died the page says %q, want the reason", status)
	}
	eventually(t, 5*time.Second, "no sessions after Xvnc died", func() bool { return len(s.Sessions()) == 0 })

	// A password-protected server drives the credentials prompt.
	locked := startXvnc(t, "s3cret-pw")
	pageURL2, err := s.Mint(TCPTarget("locked-vm", "aaaabbbb-cccc-dddd-eeee-ffff00001111", locked.addr))
	if err != nil {
		t.Fatal(err)
	}
	page2 := newTab(t, browser)
	page2.do(t, chromedp.Navigate(pageURL2))
	page2.waitFor(t, 15*time.Second, `!document.getElementById('cred-form').hidden`)
	page2.do(t,
		chromedp.SendKeys(chromedp.ID("cred-password"), "wrong-pw"),
		chromedp.Click(chromedp.ID("cred-submit")),
	)
	page2.waitFor(t, 15*time.Second, jsState+` === 'disconnected'`)
	if status := evalIn[string](t, page2, jsStatus); !strings.Contains(status, "authentication failed") {
		t.Errorf("a wrong password shows %q", status)
	}
	page2.do(t, chromedp.Click(chromedp.ID("btn-reconnect")))
	page2.waitFor(t, 15*time.Second, `!document.getElementById('cred-form').hidden`)
	page2.do(t,
		chromedp.SendKeys(chromedp.ID("cred-password"), "s3cret-pw"),
		chromedp.Click(chromedp.ID("cred-submit")),
	)
	page2.waitFor(t, 15*time.Second, jsConnected)
	page2.waitFor(t, 15*time.Second, jsPainted)
	if v := evalIn[string](t, page2, `document.getElementById('cred-password').value`); v != "" {
		t.Errorf("the password field still holds %q", v)
	}
	if logs.contains("s3cret-pw") || logs.contains("wrong-pw") {
		t.Error("a password reached the log")
	}
	if shot := os.Getenv("HORCRUX_CONSOLE_SHOT"); shot != "" {
		saveShot(t, page2, shot)
	}

	for _, tb := range []*tab{page, second, page2} {
		if v := tb.problems(); len(v) > 0 {
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
	browser := startBrowser(t)
	tb := newTab(t, browser)
	tb.do(t, chromedp.Navigate(other.URL))
	code := evalIn[float64](t, tb, fmt.Sprintf(`new Promise((resolve) => {
		const ws = new WebSocket('ws://%s/console/ws?vm=x&ticket=%s');
		ws.onclose = (e) => resolve(e.code);
	})`, strings.TrimPrefix(s.Origin(), "http://"), strings.Repeat("A", TicketLen)))
	if code != 1006 {
		t.Errorf("close code %v, want 1006", code)
	}
	eventually(t, 5*time.Second, "the refusal in the log", func() bool { return logs.contains("is not " + s.Origin()) })
}

func saveShot(t *testing.T, tb *tab, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("screenshot: %v", err)
	}
}
