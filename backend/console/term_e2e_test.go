package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/horcrux-desktop/horcrux/internal/browsertest"
)

// jsRows is the text xterm.js shows.
const jsRows = `(document.querySelector('.xterm-rows')?.textContent ?? '')`

// TestBrowserTerminalPage drives the terminal page in Chromium against a
// stand-in console: replay first, typing echoes, resizes reach the
// console, and a console in use offers Take over.
func TestBrowserTerminalPage(t *testing.T) {
	s := pageServer(t)
	browser := bt.Start(t)

	f := &fakeTerm{}
	pageURL, err := s.Mint(f.target(Shell))
	if err != nil {
		t.Fatal(err)
	}
	page := bt.NewTab(t, browser)
	page.Do(t, chromedp.EmulateViewport(1000, 700), chromedp.Navigate(pageURL))
	page.WaitFor(t, 15*time.Second, bt.JSConnected)
	page.WaitFor(t, 5*time.Second, jsRows+`.includes('boot log')`)
	if title := bt.Eval[string](t, page, `document.title`); !strings.Contains(title, "vm-a") || !strings.Contains(title, "shell") {
		t.Errorf("title %q", title)
	}
	bt.TypeKeys(t, page, "#term", "typed-word")
	page.WaitFor(t, 5*time.Second, jsRows+`.includes('typed-word')`)

	f.mu.Lock()
	first := f.opened[0]
	f.mu.Unlock()
	if first.Cols < 40 || first.Rows < 10 {
		t.Errorf("opened at %dx%d, want the page's terminal size", first.Cols, first.Rows)
	}
	page.Do(t, chromedp.EmulateViewport(600, 400))
	eventually(t, 5*time.Second, "a smaller size to reach the console", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		n := len(f.resizes)
		return n > 0 && f.resizes[n-1][0] < first.Cols && f.resizes[n-1][1] < first.Rows
	})

	// A console another client holds: the page says so and takes over when asked.
	busy := &fakeTerm{busy: true}
	pageURL, err = s.Mint(busy.target(Serial))
	if err != nil {
		t.Fatal(err)
	}
	held := bt.NewTab(t, browser)
	held.Do(t, chromedp.Navigate(pageURL))
	held.WaitFor(t, 10*time.Second, `!document.getElementById('busy').hidden`)
	if msg := bt.Eval[string](t, held, bt.JSMessage); !strings.Contains(msg, "in use by another client") {
		t.Errorf("busy console says %q", msg)
	}
	bt.Eval[bool](t, held, `(window.confirm = () => true, true)`)
	held.Do(t, chromedp.Click(chromedp.ID("btn-takeover")))
	held.WaitFor(t, 10*time.Second, bt.JSConnected)
	held.WaitFor(t, 5*time.Second, jsRows+`.includes('boot log')`)

	for _, tb := range []*bt.Tab{page, held} {
		if v := tb.Problems(); len(v) > 0 {
			t.Errorf("CSP violations or exceptions in the page:\n%s", strings.Join(v, "\n"))
		}
	}
}
