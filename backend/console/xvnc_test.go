package console

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// integration reports whether the real-engine tests run (HORCRUX_INTEGRATION=1, as `make test` sets).
func integration() bool { return os.Getenv("HORCRUX_INTEGRATION") == "1" }

// needIntegration skips a test that needs Xvnc or Chromium unless HORCRUX_INTEGRATION=1.
func needIntegration(t *testing.T, what string) {
	t.Helper()
	if !integration() {
		t.Skipf("needs %s: set HORCRUX_INTEGRATION=1 to run it", what)
	}
}

// testLog sends the server's log to the test log, so a refusal's reason is in the output.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testLogTo logs to the test log and to rec.
func testLogTo(t *testing.T, rec *logRecorder) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, rec), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// logRecorder keeps log lines for assertions.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	return len(p), nil
}

// contains reports whether one log line holds all of parts.
func (l *logRecorder) contains(parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for _, line := range l.lines {
		for _, p := range parts {
			if !strings.Contains(line, p) {
				continue next
			}
		}
		return true
	}
	return false
}

// eventually polls cond every 20 ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noGoroutineLeak records the goroutine count and, at cleanup, waits for it to come back.
func noGoroutineLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutines: %d before, %d after Close\n%s", before, runtime.NumGoroutine(), buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// xvnc is a TigerVNC server started for one test.
type xvnc struct {
	display int
	addr    string // 127.0.0.1:RFBPORT
	cmd     *exec.Cmd
	exited  chan struct{}
}

// startXvnc runs Xvnc on a free display and port; password "" means SecurityTypes None.
func startXvnc(t *testing.T, password string) *xvnc {
	t.Helper()
	if _, err := exec.LookPath("Xvnc"); err != nil {
		t.Fatalf("Xvnc is not installed (apt-get install tigervnc-standalone-server): %v", err)
	}
	dir := t.TempDir()
	security := []string{"-SecurityTypes", "None"}
	if password != "" {
		pwFile := filepath.Join(dir, "passwd")
		out, err := exec.Command("x11vnc", "-storepasswd", password, pwFile).CombinedOutput()
		if err != nil {
			t.Fatalf("x11vnc -storepasswd (apt-get install x11vnc): %v\n%s", err, out)
		}
		security = []string{"-SecurityTypes", "VncAuth", "-PasswordFile", pwFile}
	}
	for attempt := 0; attempt < 5; attempt++ {
		// -displayfd: the server takes a free display itself and says which,
		// so stale lock files and parallel X servers never collide with it.
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		port := freePort(t)
		args := append([]string{"-displayfd", "3", "-geometry", "1024x768", "-depth", "24"}, security...)
		args = append(args, "-localhost", "-interface", "127.0.0.1", "-rfbport", fmt.Sprint(port),
			"-UseBlacklist=0", "-nolisten", "tcp", "-retro")
		cmd := exec.Command("Xvnc", args...)
		cmd.ExtraFiles = []*os.File{w}
		logFile, err := os.Create(filepath.Join(dir, fmt.Sprintf("xvnc-%d.log", attempt)))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting Xvnc: %v", err)
		}
		w.Close()
		x := &xvnc{addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, exited: make(chan struct{})}
		go func() {
			_ = cmd.Wait()
			logFile.Close()
			close(x.exited)
		}()
		num := make(chan int, 1)
		go func() {
			defer r.Close()
			var n int
			if _, err := fmt.Fscan(r, &n); err != nil {
				n = -1
			}
			num <- n
		}()
		select {
		case x.display = <-num:
		case <-time.After(10 * time.Second):
			x.display = -1
		}
		if x.display >= 0 && x.waitBanner(5*time.Second) {
			t.Cleanup(x.kill)
			return x
		}
		x.kill()
		log, _ := os.ReadFile(logFile.Name())
		t.Logf("Xvnc with port %d did not come up; retrying\n%s", port, log)
	}
	t.Fatal("could not start Xvnc")
	return nil
}

// waitBanner waits until the server answers with an RFB banner, or exits.
func (x *xvnc) waitBanner(within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-x.exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", x.addr, time.Second)
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && strings.HasPrefix(line, "RFB ") {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// paint fills the root window with #3366cc using ImageMagick's display, when it is installed.
func (x *xvnc) paint(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("display"); err != nil {
		t.Logf("ImageMagick's display is not installed: the screen keeps Xvnc's stipple")
		return false
	}
	cmd := exec.Command("display", "-window", "root", "-size", "64x64", "xc:#3366cc")
	cmd.Env = append(os.Environ(), fmt.Sprintf("DISPLAY=:%d", x.display))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	_ = cmd.Run() // exits 1 after setting the background; the canvas check below is what counts
	return true
}

// kill stops Xvnc and waits for it. SIGTERM lets it remove its lock file;
// one that does not go within 5 s is killed.
func (x *xvnc) kill() {
	if x.cmd.Process != nil {
		_ = x.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-x.exited:
	case <-time.After(5 * time.Second):
		_ = x.cmd.Process.Kill()
		<-x.exited
	}
}

// freePort asks the kernel for a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestProxyRealVNC proxies to TigerVNC: the banner arrives, a dying server closes the
// WebSocket with a reason, and the console server goes on serving new sessions.
func TestProxyRealVNC(t *testing.T) {
	needIntegration(t, "Xvnc")
	noGoroutineLeak(t)
	x := startXvnc(t, "")
	s := newTestServer(t, Config{})
	ws := connect(t, s, TCPTarget("xvnc-vm", uuidA, x.addr))
	if got := readBanner(t, ws); got != "RFB 003.008\n" {
		t.Fatalf("banner %q", got)
	}
	x.kill()
	ce := closeOf(t, ws)
	if ce.Code != websocket.CloseNormalClosure || !strings.Contains(ce.Text, "VNC server of xvnc-vm closed the connection") {
		t.Errorf("close %d %q, want 1000 with the reason", ce.Code, ce.Text)
	}
	eventually(t, 5*time.Second, "the session to go", func() bool { return len(s.Sessions()) == 0 })

	y := startXvnc(t, "")
	ws2 := connect(t, s, TCPTarget("xvnc-vm-2", uuidB, y.addr))
	if got := readBanner(t, ws2); got != "RFB 003.008\n" {
		t.Fatalf("banner after the first server died: %q", got)
	}
	ws2.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	y.kill()
}
