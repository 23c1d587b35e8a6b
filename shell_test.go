package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "github.com/horcrux-desktop/horcrux/internal/browsertest"
	"github.com/horcrux-desktop/horcrux/internal/busybox"
	"github.com/horcrux-desktop/horcrux/novncassets"
)

// busyboxDockerd starts a dockerd of its own for one test and returns its DOCKER_HOST.
func busyboxDockerd(t testing.TB) (host string, docker func(args ...string) string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "hx-root-dockerd-")
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HORCRUX_DOCKERD_DIR="+dir)
	start := exec.Command("scripts/dockerd.sh", "start")
	start.Env = env
	out, err := start.Output()
	if err != nil {
		t.Fatalf("dockerd: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		stop := exec.Command("scripts/dockerd.sh", "stop")
		stop.Env = env
		stop.Run()
		os.RemoveAll(dir)
	})
	_, host, _ = strings.Cut(strings.TrimSpace(string(out)), "export DOCKER_HOST=")
	docker = func(args ...string) string {
		t.Helper()
		out, err := exec.Command("docker", append([]string{"--host", host}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	return host, docker
}

// TestShellOfARealContainer runs `horcrux shell --print-url` against a real
// dockerd and a busybox container and types in the page in Chromium: the
// command's output comes back, and `stty size` follows the page's size.
func TestShellOfARealContainer(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 (make test does) to run against dockerd and Chromium")
	}
	if err := novncassets.Check(); err != nil {
		t.Fatalf("run make novnc: %v", err)
	}
	host, docker := busyboxDockerd(t)
	busybox.Import(t, docker)
	name := fmt.Sprintf("hx-shell-e2e-%d", os.Getpid())
	docker("run", "-d", "--network=none", "--name", name, busybox.Image, "/bin/sleep", "1000000")
	docker("create", "--network=none", "--name", name+"-stopped", busybox.Image, "/bin/sleep", "1")

	bin := buildBinary(t)
	// A stopped container and a missing one are refused in words.
	for want, arg := range map[string]string{"not running": name + "-stopped", "no container named": name + "-missing"} {
		out, err := exec.Command(bin, "shell", "--docker-host", host, "--print-url", arg).CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("shell %s: %v %s", arg, err, out)
		}
	}
	pageURL := printedURL(t, bin, "shell", "--docker-host", host, "--print-url", name)
	if !strings.Contains(pageURL, "/console/term.html#t=") {
		t.Fatalf("a shell opens %q", pageURL)
	}

	browser := bt.Start(t)
	page := bt.NewTab(t, browser)
	page.Do(t, chromedp.EmulateViewport(1000, 700), chromedp.Navigate(pageURL))
	page.WaitFor(t, 20*time.Second, bt.JSConnected)
	var b [6]byte
	rand.Read(b[:])
	word := "hx" + hex.EncodeToString(b[:])
	typeLine(t, page, "echo "+word+"-ok")
	page.WaitFor(t, 10*time.Second, jsRows+`.includes('`+word+`-ok`+`')`)
	if title := bt.Eval[string](t, page, `document.title`); !strings.Contains(title, name) || !strings.Contains(title, "shell") {
		t.Errorf("page title %q", title)
	}

	// The shell's terminal follows the page: stty size prints rows and columns.
	before := bt.Eval[string](t, page, `document.body.dataset.size`)
	page.Do(t, chromedp.EmulateViewport(640, 420))
	// The resize goes out on the WebSocket before the keys typed after it.
	page.WaitFor(t, 10*time.Second, `document.body.dataset.size !== '`+before+`'`)
	size := bt.Eval[string](t, page, `document.body.dataset.size`)
	var cols, rows int
	if _, err := fmt.Sscanf(size, "%dx%d", &cols, &rows); err != nil {
		t.Fatalf("page size %q: %v", size, err)
	}
	typeLine(t, page, "stty size")
	page.WaitFor(t, 10*time.Second, jsRows+fmt.Sprintf(`.includes('%d %d')`, rows, cols))

	// exit ends the shell: the page says so and horcrux keeps serving.
	typeLine(t, page, "exit")
	page.WaitFor(t, 10*time.Second, bt.JSState+` === 'disconnected'`)
	if msg := bt.Eval[string](t, page, bt.JSMessage); !strings.Contains(msg, "ended") {
		t.Errorf("after exit the page says %q", msg)
	}
	if p := page.Problems(); len(p) > 0 {
		t.Errorf("CSP violations or exceptions:\n%s", strings.Join(p, "\n"))
	}
}

// jsRows is the text xterm.js shows.
const jsRows = `(document.querySelector('.xterm-rows')?.textContent ?? '')`

// typeLine types a line into the terminal page as a keyboard does and presses Enter.
func typeLine(t *testing.T, tb *bt.Tab, line string) {
	t.Helper()
	bt.TypeKeys(t, tb, "#term", line+"\r")
}
