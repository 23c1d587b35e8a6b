// Package browsertest drives headless Chromium against Horcrux's console
// page, for the end-to-end tests of the console and of `horcrux console`.
package browsertest

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// Expressions that read the console page's state.
const (
	JSState     = `document.getElementById('status').dataset.state`
	JSStatus    = `document.getElementById('status-text').textContent`
	JSMessage   = `document.getElementById('message').textContent`
	JSConnected = JSState + ` === 'connected'`
	// JSPixel is the RGBA of the noVNC canvas at (100, 100), away from the X cursor in the middle.
	JSPixel = `(() => { const c = document.querySelector('#screen canvas');
		if (!c || c.width < 100) return [];
		const d = c.getContext('2d').getImageData(100, 100, 1, 1).data;
		return Array.from(d); })()`
	// JSPainted holds when noVNC's canvas shows anything but black.
	JSPainted = `(` + jsPainted + `)('#screen canvas')`
	// JSSpicePainted holds when spice-html5's canvas shows anything but black.
	JSSpicePainted = `(` + jsPainted + `)('#spice-screen canvas')`
	// jsPainted scans a whole canvas, since a BIOS screen is mostly black.
	jsPainted = `(sel) => { const c = document.querySelector(sel);
		if (!c || c.width < 100) return false;
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		for (let i = 0; i < d.length; i += 4) if (d[i] || d[i + 1] || d[i + 2]) return true;
		return false; }`
)

// flags are the ones ENVIRONMENT.md verified for headless Chromium as root.
func flags(userDataDir string) []chromedp.ExecAllocatorOption {
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

// Start starts headless Chromium with a fresh profile; the returned context
// is its first tab. It is stopped when the test ends.
func Start(t testing.TB) context.Context {
	t.Helper()
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatalf("chromium is not installed (apt-get install chromium): %v", err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags(t.TempDir())...)
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

// Tab is one browser tab with its console messages recorded.
type Tab struct {
	Ctx  context.Context
	mu   sync.Mutex
	msgs []string
}

// NewTab opens a tab in browser; it is closed when the test ends.
func NewTab(t testing.TB, browser context.Context) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	tb := &Tab{Ctx: ctx}
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

// Do runs actions with a deadline derived from the tab's context.
func (tb *Tab) Do(t testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v\nconsole:\n%s", err, tb.Console())
	}
}

// Eval evaluates a JavaScript expression in the tab, awaiting promises.
func Eval[T any](t testing.TB, tb *Tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v\nconsole:\n%s", expr, err, tb.Console())
	}
	return v
}

// WaitFor polls a JavaScript boolean expression in the tab until it holds.
func (tb *Tab) WaitFor(t testing.TB, within time.Duration, expr string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !Eval[bool](t, tb, expr) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; status %q, message %q\nconsole:\n%s", within, expr,
				Eval[string](t, tb, JSState+` + ': ' + `+JSStatus), Eval[string](t, tb, JSMessage), tb.Console())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Console is what the page logged so far.
func (tb *Tab) Console() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return strings.Join(tb.msgs, "\n")
}

// Problems returns the console messages where the browser refused something
// under the CSP, and uncaught exceptions.
func (tb *Tab) Problems() []string {
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

// TypeKeys types text into the element sel as a keyboard does: a raw key
// down, the character, a key up ("\r" is Enter). chromedp's plain KeyEvent
// sends a key down that carries the text and then the character again,
// which a terminal page rightly takes as two keys.
func TypeKeys(t testing.TB, tb *Tab, sel, text string) {
	t.Helper()
	raw := func(p *input.DispatchKeyEventParams) {
		if p.Type == input.DispatchKeyEventTypeKeyDown {
			p.Type = input.DispatchKeyEventTypeRawKeyDown
		}
	}
	tb.Do(t, chromedp.Click(chromedp.CSS(sel)), chromedp.KeyEvent(text, raw))
}
