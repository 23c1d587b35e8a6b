package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The window tests drive the real binary on a real X server (Xvfb). They run
// when HORCRUX_WINDOW_TEST=1, as `make test` sets; missing tools then fail
// the test rather than skip it.
func windowTest(t *testing.T) {
	t.Helper()
	if os.Getenv("HORCRUX_WINDOW_TEST") != "1" {
		t.Skip("set HORCRUX_WINDOW_TEST=1 (make test does) to run the real-window tests")
	}
	for _, tool := range []string{"Xvfb", "xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install xvfb xdotool imagemagick (make deps)", tool)
		}
	}
}

// buildBinary builds horcrux into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "horcrux")
	args := []string{"build", "-tags", "libvirt_dlopen", "-o", bin}
	// Under `go test -race` (make test) the app is built with -race too: it
	// reuses the race-built packages and checks the real app for data races.
	// Without it, no second cgo configuration is built.
	if raceTest() {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// raceTest says whether this test binary was built with -race.
func raceTest() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// startXvfb starts a private X server and returns its DISPLAY.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -noreset: by default the server resets when its last client leaves,
	// and an app connecting meanwhile fails to open the display (the tests
	// poll with short-lived xdotool clients while the app starts).
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	num := make(chan string, 1)
	go func() {
		buf := make([]byte, 16)
		n, _ := r.Read(buf)
		num <- strings.TrimSpace(string(buf[:n]))
	}()
	select {
	case n := <-num:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb did not report a display: %q", n)
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not start")
	}
	return ""
}

// startApp runs the binary on display with a fresh home, so preferences
// start empty.
func startApp(t *testing.T, bin, display, home string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, logs
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func x(t *testing.T, ctx context.Context, display string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out
}

// waitForWindow returns as soon as the Horcrux window shows on display.
// xdotool search --sync looks only every half second: poll.
func waitForWindow(t *testing.T, display string, logs fmt.Stringer) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		search := exec.Command("xdotool", "search", "--name", "^Horcrux$")
		search.Env = append(os.Environ(), "DISPLAY="+display)
		if out, _ := search.Output(); len(strings.Fields(string(out))) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Horcrux window; app said:\n%s", logs)
		}
	}
}

// screenshot captures the whole X screen.
func screenshot(t *testing.T, display string) image.Image {
	t.Helper()
	out := x(t, context.Background(), display, "import", "-window", "root", "png:-")
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return img
}

// chartPixels counts pixels in rect whose colour is near the first series
// colour (the CPU line); a blank or frozen window has none.
func chartPixels(img image.Image, rect image.Rectangle) int {
	n := 0
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if near(r>>8, 0x3d) && near(g>>8, 0x9c) && near(b>>8, 0xf0) {
				n++
			}
		}
	}
	return n
}

func near(a uint32, b int) bool { d := int(a) - b; return d > -40 && d < 40 }

func TestWindowShowsLiveCharts(t *testing.T) {
	windowTest(t)
	bin := buildBinary(t)
	display := startXvfb(t)
	home := t.TempDir()
	app, logs := startApp(t, bin, display, home)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ids := strings.Fields(string(x(t, ctx, display, "xdotool", "search", "--sync", "--name", "^Horcrux$")))
	if len(ids) == 0 {
		t.Fatalf("no Horcrux window; app said:\n%s", logs)
	}

	// The charts fill in as samples arrive: wait for the CPU line inside the
	// plot area (below the title row, whose current value is blue text too).
	var img image.Image
	for deadline := time.Now().Add(30 * time.Second); ; {
		img = screenshot(t, display)
		if chartPixels(img, image.Rect(60, 115, 545, 270)) > 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no chart line drawn after 30 s; app said:\n%s", logs)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if out := os.Getenv("HORCRUX_SCREENSHOT"); out != "" {
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}

	// Ctrl+Q quits cleanly and remembers the window size. xdotool reports
	// BadWindow when the app quits between key press and release, so what
	// counts is the app's exit; the key is sent again if it did not quit.
	done := make(chan error, 1)
	go func() { done <- app.Wait() }()
	for try := 0; ; try++ {
		search := exec.CommandContext(ctx, "xdotool", "search", "--name", "^Horcrux$")
		search.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := search.Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			w := ids[len(ids)-1]
			for _, args := range [][]string{{"windowfocus", "--sync", w}, {"key", "--window", w, "ctrl+q"}} {
				cmd := exec.CommandContext(ctx, "xdotool", args...)
				cmd.Env = append(os.Environ(), "DISPLAY="+display)
				cmd.Run()
			}
		}
		select {
		case err := <-done:
			done <- err
		case <-time.After(3 * time.Second):
			if try < 3 {
				continue
			}
		}
		break
	}

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("horcrux exited with %v after Ctrl+Q:\n%s", err, logs)
		}
	case <-ctx.Done():
		t.Fatalf("horcrux still running after Ctrl+Q:\n%s", logs)
	}
	if strings.Contains(logs.String(), "Error in Fyne call thread") || strings.Contains(logs.String(), "panic") {
		t.Fatalf("UI thread misuse or panic:\n%s", logs)
	}
	prefs, err := os.ReadFile(filepath.Join(home, ".config", "fyne", "io.github.horcrux-desktop", "preferences.json"))
	if err != nil {
		t.Fatalf("preferences not saved: %v", err)
	}
	if !strings.Contains(string(prefs), `"window.width":1100`) {
		t.Fatalf("window size not remembered: %s", prefs)
	}
}

// TestWindowQuitsCleanlyOnSignal sends SIGTERM, then SIGINT, the moment the
// window shows: each quits as Ctrl+Q does, with status 0 and the preferences
// (the window size) written. The signal used to come before the toolkit's
// own handler and kill the app with status 143.
func TestWindowQuitsCleanlyOnSignal(t *testing.T) {
	windowTest(t)
	bin := buildBinary(t)
	display := startXvfb(t)
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGTERM", syscall.SIGTERM}, {"SIGINT", syscall.SIGINT}} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			app, logs := startApp(t, bin, display, home)
			done := make(chan error, 1)
			go func() { done <- app.Wait() }()

			waitForWindow(t, display, logs)
			if err := app.Process.Signal(tc.sig); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}

			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("horcrux exited with %v after %s, want status 0:\n%s", err, tc.name, logs)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("horcrux still running 30 s after %s:\n%s", tc.name, logs)
			}
			if strings.Contains(logs.String(), "Error in Fyne call thread") || strings.Contains(logs.String(), "panic") {
				t.Fatalf("UI thread misuse or panic:\n%s", logs)
			}
			prefs, err := os.ReadFile(filepath.Join(home, ".config", "fyne", "io.github.horcrux-desktop", "preferences.json"))
			if err != nil {
				t.Fatalf("preferences not saved after %s: %v", tc.name, err)
			}
			if !strings.Contains(string(prefs), `"window.width":`) {
				t.Fatalf("window size not saved after %s: %s", tc.name, prefs)
			}
		})
	}
}

func TestNoDisplayIsAClearError(t *testing.T) {
	windowTest(t)
	bin := buildBinary(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("want a non-zero exit without a display, got %v:\n%s", err, out)
	}
	if !strings.Contains(string(out), "no display") || strings.Contains(string(out), "panic") {
		t.Fatalf("unclear error without a display:\n%s", out)
	}
}
