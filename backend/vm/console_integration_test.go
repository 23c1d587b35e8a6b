package vm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/sshtest"
	"github.com/horcrux-desktop/horcrux/internal/testguest"
	"github.com/horcrux-desktop/horcrux/internal/testlock"
)

// The serial console test boots the project's test guest (Debian's kernel,
// a busybox initramfs) on the real system libvirtd; run it with
//
//	HORCRUX_INTEGRATION=1 go test -race -tags libvirt_dlopen -run IntegrationSerial -v ./backend/vm/

const serialPrefix = "hx-serial-"

// output collects what one reader goroutine reads from a console.
type output struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	err  error
	more chan struct{} // signalled on every read
	done chan struct{} // closed when the reader ends
}

func readAll(r io.Reader) *output {
	o := &output{more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(o.done)
		p := make([]byte, 4096)
		for {
			n, err := r.Read(p)
			o.mu.Lock()
			o.buf.Write(p[:n])
			if err != nil {
				o.err = err
			}
			o.mu.Unlock()
			notify(o.more)
			if err != nil {
				return
			}
		}
	}()
	return o
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until the output from offset from holds want; it returns
// the offset just past it.
func (o *output) waitFor(t *testing.T, from int, want string, timeout time.Duration) int {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		s, err := o.buf.String(), o.err
		o.mu.Unlock()
		if i := strings.Index(s[min(from, len(s)):], want); i >= 0 {
			return from + i + len(want)
		}
		if err != nil {
			t.Fatalf("console ended (%v) before %q; it said:\n%s", err, want, tailOf(s))
		}
		select {
		case <-o.more:
		case <-deadline.C:
			t.Fatalf("no %q on the console within %s; it said:\n%s", want, timeout, tailOf(s))
		}
	}
}

func tailOf(s string) string {
	if len(s) > 1500 {
		return s[len(s)-1500:]
	}
	return s
}

func randomWord(t *testing.T) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "hx-" + hex.EncodeToString(b[:])
}

// consoleSource is a Source on the system libvirtd that has listed once.
func consoleSource(t *testing.T) *Source {
	s := NewSource(Config{URI: itURI, CallTimeout: 10 * time.Second})
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	pollUntil(t, s, 30*time.Second, "the first list", func(sec model.VMSection) bool { return sec.IsUp() })
	return s
}

func uuidOf(t *testing.T, d *libvirt.Domain) string {
	u, err := d.GetUUIDString()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestIntegrationSerialConsole(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 to run against a real libvirtd and QEMU (root, libvirt-daemon-system, qemu-system-x86, qemu-utils, linux-image-amd64, busybox-static, qemu-guest-agent, cpio)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the integration test starts the system libvirtd: run it as root")
	}
	testlock.Hold(t, "libvirtd") // others stop and kill it
	wasRunning := libvirtdPid() != 0
	daemonScript(t, "start")
	t.Cleanup(func() {
		if !wasRunning {
			daemonScript(t, "stop")
		}
	})
	began := time.Now()
	files := testguest.Build(t)
	t.Logf("test guest built (or cached) in %s", time.Since(began).Round(time.Millisecond))

	conn, err := libvirt.NewConnect(itURI)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = conn.Close() })
	testguest.RemoveLeftovers(t, conn, serialPrefix)

	// A: VNC and a serial port without a log file, so its replay is the
	// output the Source saw. B: SPICE and a logged serial port. C: no serial.
	optA := testguest.VNCSerial(testguest.Name(serialPrefix + "a-"))
	optA.Log = false
	optA.Net, optA.Disk = true, testguest.NewDisk(t) // for its agent's facts
	optB := testguest.SPICESerial(testguest.Name(serialPrefix + "b-"))
	optB.VirtioConsole = true
	optC := testguest.Options{Name: testguest.Name(serialPrefix + "c-"), Graphics: testguest.VNC, NoSerial: true}
	s := consoleSource(t)

	domA := testguest.Start(t, conn, files, optA)
	started := time.Now()
	uuidA := uuidOf(t, domA)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Attach at once, before the guest's /init prints its banner.
	tc, err := s.TextConsole(ctx, uuidA, "")
	if err != nil {
		t.Fatal(err)
	}
	if tc.Device != "serial0" || tc.Label != "Serial port 0" {
		t.Errorf("resolved console %+v, want serial0", tc)
	}
	c1, err := tc.Open(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(c1.Replay()) != 0 {
		t.Errorf("replay on the first attach: %q", c1.Replay())
	}
	out1 := readAll(c1)
	at := out1.waitFor(t, 0, testguest.Banner, 90*time.Second)
	at = out1.waitFor(t, at, testguest.Prompt, 30*time.Second)
	t.Logf("TCG boot to the serial shell prompt: %s after start", time.Since(started).Round(100*time.Millisecond))

	t.Run("echo round trip", func(t *testing.T) {
		word := randomWord(t)
		if _, err := c1.Write([]byte("echo " + word + "\r")); err != nil {
			t.Fatal(err)
		}
		// The command line echoes "echo WORD"; the output is WORD on a line of its own.
		at = out1.waitFor(t, at, "\n"+word+"\r\n", 20*time.Second)
		at = out1.waitFor(t, at, testguest.Prompt, 10*time.Second)
	})

	t.Run("guest agent facts", func(t *testing.T) {
		testAgentFacts(t, optA.Name, func(line string) {
			if _, err := c1.Write([]byte(line + "\r")); err != nil {
				t.Fatal(err)
			}
			at = out1.waitFor(t, at, testguest.Prompt, 20*time.Second)
		})
	})

	t.Run("keystroke to echo", func(t *testing.T) {
		const n = 40
		var rtts []time.Duration
		for i := range n {
			k := string(rune('a' + i%26))
			sent := time.Now()
			if _, err := c1.Write([]byte(k)); err != nil {
				t.Fatal(err)
			}
			at = out1.waitFor(t, at, k, 10*time.Second)
			rtts = append(rtts, time.Since(sent))
		}
		if _, err := c1.Write([]byte{0x15}); err != nil { // Ctrl-U: drop the typed line
			t.Fatal(err)
		}
		slices.Sort(rtts)
		t.Logf("keystroke to echo through the libvirt stream (TCG guest, %d keys): p50 %s p95 %s max %s",
			n, rtts[n/2].Round(10*time.Microsecond), rtts[n*95/100].Round(10*time.Microsecond), rtts[n-1].Round(10*time.Microsecond))
	})

	t.Run("held by another client", func(t *testing.T) {
		_, err := s.OpenConsole(ctx, uuidA, ConsoleOptions{})
		if !errors.Is(err, ErrConsoleBusy) {
			t.Fatalf("second open without Force: %v, want ErrConsoleBusy", err)
		}
		t.Logf("second open: %v", err)
		c2, err := tc.Open(ctx, true)
		if err != nil {
			t.Fatalf("open with Force: %v", err)
		}
		defer c2.Close()
		select {
		case <-out1.done:
		case <-time.After(10 * time.Second):
			t.Fatal("the first stream goes on after another client took the console over")
		}
		t.Logf("first stream ended with: %v", out1.err)
		if !errors.Is(out1.err, ErrConsoleTakenOver) {
			t.Errorf("first stream ended with %v", out1.err)
		}
		_ = c1.Close()

		// The replay of the new attach holds what the first one saw, banner included.
		if !strings.Contains(string(c2.Replay()), testguest.Banner) || c2.ReplayFrom() != "output seen since first attached" {
			t.Errorf("replay from %q lacks the banner: %q", c2.ReplayFrom(), tailOf(string(c2.Replay())))
		}
		out2 := readAll(c2)
		word := randomWord(t)
		if _, err := c2.Write([]byte("echo " + word + "\r")); err != nil {
			t.Fatal(err)
		}
		out2.waitFor(t, len(c2.Replay()), "\n"+word+"\r\n", 20*time.Second)
		// Close unblocks the reader, waiting for output that never comes.
		closed := time.Now()
		if err := c2.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case <-out2.done:
		case <-time.After(3 * time.Second):
			t.Fatal("Read still blocked 3 s after Close")
		}
		t.Logf("blocked Read returned %s after Close: %v", time.Since(closed).Round(time.Millisecond), out2.err)
		if !errors.Is(out2.err, ErrConsoleClosed) {
			t.Errorf("Read after Close: %v", out2.err)
		}
		if _, err := c2.Write([]byte("x")); !errors.Is(err, ErrConsoleClosed) {
			t.Errorf("Write after Close: %v", err)
		}
	})

	c3, err := tc.Open(ctx, false) // the console is free again
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	o3 := readAll(c3)
	at3 := 0
	t.Run("replay after reattach", func(t *testing.T) {
		r := string(c3.Replay())
		if !strings.Contains(r, testguest.Banner) {
			t.Errorf("replay lacks the boot banner: %q", tailOf(r))
		}
		if len(r) > ReplayBytes {
			t.Errorf("replay of %d bytes", len(r))
		}
		at3 = o3.waitFor(t, 0, r[max(0, len(r)-20):], 5*time.Second)
		if got := o3.String(); !strings.HasPrefix(got, r) {
			t.Errorf("the stream does not start with its replay")
		}
	})

	t.Run("bulk output", func(t *testing.T) {
		// Every line of a long output arrives, in order (the guest's tty
		// turns \n into \r\n).
		const lines = 20000
		word := randomWord(t)
		sent := time.Now()
		if _, err := c3.Write([]byte("seq 1 " + strconv.Itoa(lines) + "; echo " + word + "-end\r")); err != nil {
			t.Fatal(err)
		}
		cmdEcho := "echo " + word + "-end"
		from := o3.waitFor(t, at3, cmdEcho, 10*time.Second) // the command line's echo
		at3 = o3.waitFor(t, from, "\n"+word+"-end\r\n", 120*time.Second)
		took := time.Since(sent)
		// ash sometimes echoes the command line again, prompt and all,
		// before it runs it: the output starts after its last echo.
		out := o3.String()[:at3]
		from = strings.LastIndex(out, cmdEcho) + len(cmdEcho)
		got := out[from:]
		var want strings.Builder
		for i := 1; i <= lines; i++ {
			want.WriteString("\r\n" + strconv.Itoa(i))
		}
		if !strings.HasPrefix(got, want.String()+"\r\n") {
			t.Errorf("output of seq 1 %d differs from what it printed (%d bytes read, %d expected)", lines, len(got), want.Len())
			w := want.String()
			for i := range min(len(got), len(w)) {
				if got[i] != w[i] {
					t.Logf("first difference at byte %d: got %q, want %q", i, got[max(0, i-40):min(len(got), i+120)], w[max(0, i-40):min(len(w), i+120)])
					break
				}
			}
		}
		t.Logf("seq 1 %d: %d bytes through the serial console in %s", lines, want.Len(), took.Round(time.Millisecond))
		at3 = o3.waitFor(t, at3, testguest.Prompt, 10*time.Second)
	})

	t.Run("remote URI", func(t *testing.T) {
		srv := sshtest.StartForLibvirt(t, "")
		remote := NewSource(Config{URI: srv.LibvirtURI(), CallTimeout: 20 * time.Second})
		defer remote.Close()
		sec := pollUntil(t, remote, 60*time.Second, "the list over qemu+ssh", func(sec model.VMSection) bool { return sec.IsUp() })
		if localURI(sec.URI) {
			t.Fatalf("%s counts as local", sec.URI)
		}
		// The local stream still holds the console: take it over.
		c, err := remote.OpenConsole(ctx, uuidA, ConsoleOptions{Force: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		select {
		case <-o3.done:
		case <-time.After(10 * time.Second):
			t.Fatal("the local stream goes on after the remote client took the console over")
		}
		if !errors.Is(o3.err, ErrConsoleTakenOver) {
			t.Errorf("local stream ended with %v", o3.err)
		}
		if len(c.Replay()) != 0 { // that host's history is its own
			t.Errorf("replay over a URI never attached before: %q", tailOf(string(c.Replay())))
		}
		o := readAll(c)
		word := randomWord(t)
		if _, err := c.Write([]byte("echo " + word + "\r")); err != nil {
			t.Fatal(err)
		}
		o.waitFor(t, 0, "\n"+word+"\r\n", 20*time.Second)
		// Closing the source closes its open consoles and their connection.
		if err := remote.Close(); err != nil {
			t.Errorf("Close of a source with an open console: %v", err)
		}
		select {
		case <-o.done:
		case <-time.After(3 * time.Second):
			t.Fatal("the console's Read still blocked 3 s after its source closed")
		}
		if !errors.Is(o.err, ErrConsoleClosed) {
			t.Errorf("Read after the source closed: %v", o.err)
		}
	})

	t.Run("log file and SPICE guest", func(t *testing.T) {
		domB := testguest.Start(t, conn, files, optB)
		uuidB := uuidOf(t, domB)
		testguest.WaitForLog(t, optB, testguest.Prompt, 90*time.Second)
		devs, err := s.ConsoleDevices(ctx, uuidB)
		if err != nil {
			t.Fatal(err)
		}
		if len(devs) != 2 || devs[0].Device != "serial0" || devs[0].LogFile != optB.LogPath() || !devs[0].Openable() ||
			devs[1] != (ConsoleDevice{Device: "console1", Kind: "virtio", Port: 1, Type: "pty"}) {
			t.Fatalf("devices %+v", devs)
		}
		c, err := s.OpenConsole(ctx, uuidB, ConsoleOptions{Device: "serial0"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.ReplayFrom() != optB.LogPath() || !strings.Contains(string(c.Replay()), testguest.Banner) {
			t.Errorf("replay from %q: %q", c.ReplayFrom(), tailOf(string(c.Replay())))
		}
		o := readAll(c)
		word := randomWord(t)
		if _, err := c.Write([]byte("echo " + word + "\r")); err != nil {
			t.Fatal(err)
		}
		o.waitFor(t, len(c.Replay()), "\n"+word+"\r\n", 20*time.Second)

		// The second console, a virtio one, at the same time.
		v, err := s.OpenConsole(ctx, uuidB, ConsoleOptions{Device: "console1"})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if len(v.Replay()) != 0 {
			t.Errorf("replay of a console never attached: %q", v.Replay())
		}
		ov := readAll(v)
		if _, err := v.Write([]byte("echo " + word + "-hvc\r")); err != nil {
			t.Fatal(err)
		}
		at := ov.waitFor(t, 0, "\n"+word+"-hvc\r\n", 20*time.Second)
		const lines = 20000
		sent := time.Now()
		if _, err := v.Write([]byte("seq 1 " + strconv.Itoa(lines) + "; echo " + word + "-end\r")); err != nil {
			t.Fatal(err)
		}
		at = ov.waitFor(t, at, "\n"+word+"-end\r\n", 60*time.Second)
		t.Logf("seq 1 %d through the virtio console: %s", lines, time.Since(sent).Round(time.Millisecond))
		if !strings.Contains(ov.String(), "\r\n19999\r\n20000\r\n") {
			t.Error("the end of seq's output is missing")
		}

		// The stream ends when the guest stops.
		if err := domB.Destroy(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-o.done:
		case <-time.After(10 * time.Second):
			t.Fatal("the stream goes on after the guest stopped")
		}
		t.Logf("stream of a stopped guest ended with: %v", o.err)
		if o.err != io.EOF {
			t.Errorf("stream of a stopped guest ended with %v, want io.EOF", o.err)
		}
	})

	t.Run("add a serial console", func(t *testing.T) {
		domC := testguest.Start(t, conn, files, optC)
		uuidC := uuidOf(t, domC)
		if _, err := s.OpenConsole(ctx, uuidC, ConsoleOptions{}); !errors.Is(err, ErrNoSerial) {
			t.Errorf("open on a guest without serial: %v", err)
		}
		if err := s.AddSerialConsole(ctx, uuidC); !errors.Is(err, ErrMustBeShutOff) {
			t.Errorf("add to a running guest: %v", err)
		} else {
			t.Logf("add to a running guest: %v", err)
		}
		if err := domC.Destroy(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.OpenConsole(ctx, uuidC, ConsoleOptions{}); !errors.Is(err, ErrNotRunning) {
			t.Errorf("open on a shut-off guest: %v", err)
		}
		if devs, err := s.ConsoleDevices(ctx, uuidC); err != nil || len(devs) != 0 {
			t.Fatalf("devices before: %+v, %v", devs, err)
		}
		if err := s.AddSerialConsole(ctx, uuidC); err != nil {
			t.Fatal(err)
		}
		devs, err := s.ConsoleDevices(ctx, uuidC)
		if err != nil || len(devs) != 1 || devs[0].Kind != "serial" || devs[0].Port != 0 || devs[0].Type != "pty" {
			t.Fatalf("devices after: %+v, %v", devs, err)
		}
		doc, err := domC.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(doc, "<serial type='pty'>") || !strings.Contains(doc, "<console type='pty'>") {
			t.Errorf("inactive XML lacks the serial port or its console:\n%s", doc)
		}
		if err := s.AddSerialConsole(ctx, uuidC); !errors.Is(err, ErrHasSerial) {
			t.Errorf("second add: %v", err)
		}
		// The added console works from the next start.
		if err := domC.Create(); err != nil {
			t.Fatal(err)
		}
		c, err := s.OpenConsole(ctx, uuidC, ConsoleOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		o := readAll(c)
		o.waitFor(t, 0, testguest.Prompt, 90*time.Second)
	})
}
