package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/registry"
	"github.com/horcrux-desktop/horcrux/backend/vm"
	bt "github.com/horcrux-desktop/horcrux/internal/browsertest"
	"github.com/horcrux-desktop/horcrux/internal/busybox"
	"github.com/horcrux-desktop/horcrux/internal/testguest"
)

// The benchmarks of the console kinds run against a real guest, a real
// dockerd and Chromium: HORCRUX_INTEGRATION=1 and -benchtime 1x (each
// measures its own interleaved rounds and reports medians).

func needBench(b *testing.B) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		b.Skip("integration benchmark: set HORCRUX_INTEGRATION=1 (boots a guest under libvirtd, starts dockerd and Chromium)")
	}
}

// needLibvirtd is needBench plus the system libvirtd, held for the benchmark
// (once: the lock is a flock, which a second open in the same process would wait on).
func needLibvirtd(b *testing.B) {
	needBench(b)
	startLibvirtd(b)
}

// benchGuest boots the Linux test guest with o and waits for its serial
// shell. Guests are named with testguest.Name, so no run meets another's.
func benchGuest(b *testing.B, o testguest.Options) {
	conn, err := libvirt.NewConnect("qemu:///system")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	testguest.Start(b, conn, testguest.Build(b), o)
	testguest.WaitForLog(b, o, testguest.Prompt, 120*time.Second)
}

// wsOf mints a console of t on s and opens its WebSocket as a page would.
func wsOf(b *testing.B, s *console.Server, t console.Target, cols, rows int) *websocket.Conn {
	b.Helper()
	pageURL, err := s.Mint(t)
	if err != nil {
		b.Fatal(err)
	}
	_, tk, _ := strings.Cut(pageURL, "#t=")
	req, _ := http.NewRequest(http.MethodPost, s.Origin()+"/console/api/open",
		strings.NewReader(fmt.Sprintf(`{"ticket":%q,"cols":%d,"rows":%d}`, tk, cols, rows)))
	req.Header.Set("Origin", s.Origin())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ WS, Error string }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.WS == "" {
		b.Fatalf("open: %s %s %v", res.Status, body.Error, err)
	}
	h := http.Header{}
	h.Set("Origin", s.Origin())
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+strings.TrimPrefix(s.Origin(), "http://")+body.WS, h)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ws.Close() })
	return ws
}

// wsStream is a console WebSocket as a byte stream, for the same code as a direct stream.
type wsStream struct {
	ws  *websocket.Conn
	buf []byte
}

func (w *wsStream) Read(p []byte) (int, error) {
	for len(w.buf) == 0 {
		_, m, err := w.ws.ReadMessage()
		if err != nil {
			return 0, err
		}
		w.buf = m
	}
	n := copy(p, w.buf)
	w.buf = w.buf[n:]
	return n, nil
}

func (w *wsStream) Write(p []byte) (int, error) {
	return len(p), w.ws.WriteMessage(websocket.BinaryMessage, p)
}

// readUntil reads rw until want has arrived and returns all it read.
func readUntil(rw io.Reader, want []byte, within time.Duration, buf *bytes.Buffer) error {
	deadline := time.Now().Add(within)
	p := make([]byte, 64<<10)
	from := 0 // only the new bytes (and a mark split across reads) are searched
	for !bytes.Contains(buf.Bytes()[from:], want) {
		if time.Now().After(deadline) {
			return fmt.Errorf("no %q within %v (have %d bytes)", want, within, buf.Len())
		}
		from = max(0, buf.Len()-len(want))
		n, err := rw.Read(p)
		buf.Write(p[:n])
		if err != nil {
			return err
		}
	}
	return nil
}

// echoTimes types keys one at a time and times each until its echo is back.
func echoTimes(b *testing.B, rw io.ReadWriter, keys int) []time.Duration {
	var out []time.Duration
	var buf bytes.Buffer
	for i := range keys {
		k := []byte{byte('a' + i%26)}
		buf.Reset()
		start := time.Now()
		if _, err := rw.Write(k); err != nil {
			b.Fatal(err)
		}
		if err := readUntil(rw, k, 5*time.Second, &buf); err != nil {
			b.Fatal(err)
		}
		out = append(out, time.Since(start))
	}
	// Rub the typed line out: Ctrl+U.
	rw.Write([]byte{0x15})
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

// serialConsole resolves the serial console of guest name through the
// registry, as the window does, and starts a proxy for it; src is a
// second, direct connection for the anchor.
func serialConsole(b *testing.B, name string) (uuid string, t console.Target, s *console.Server, src *vm.Source) {
	b.Helper()
	hosts := registry.New(registry.Config{Connect: "qemu:///system"})
	b.Cleanup(func() { hosts.Close() })
	h := hosts.Machines()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, m := range h.Poll(ctx).Items {
		if m.Name == name {
			uuid = m.UUID
		}
	}
	t, err := h.Console(ctx, uuid, console.Serial)
	if err != nil {
		b.Fatal(err)
	}
	s, err = console.NewServer(console.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	src = vm.NewSource(vm.Config{URI: "qemu:///system"})
	b.Cleanup(func() { src.Close() })
	src.Poll(ctx) // connects
	return uuid, t, s, src
}

// BenchmarkSerialKeystrokeEcho: a key typed on a real guest's serial
// console until its echo is back, through the console proxy (a WebSocket
// as the page has) and, as the anchor, on libvirt's stream directly;
// 5 interleaved rounds of 40 keys.
func BenchmarkSerialKeystrokeEcho(b *testing.B) {
	needLibvirtd(b)
	o := testguest.SerialOnly(testguest.Name("hx-bench-echo-"))
	benchGuest(b, o)
	uuid, t, s, src := serialConsole(b, o.Name)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var viaProxy, direct []time.Duration
	for range b.N {
		for range 5 {
			ws := &wsStream{ws: wsOf(b, s, t, 80, 24)}
			viaProxy = append(viaProxy, echoTimes(b, ws, 40)...)
			ws.ws.Close()
			st, err := src.OpenConsole(ctx, uuid, vm.ConsoleOptions{Force: true})
			if err != nil {
				b.Fatal(err)
			}
			direct = append(direct, echoTimes(b, st, 40)...)
			st.Close()
		}
	}
	b.ReportMetric(ms(quantile(viaProxy, 0.5)), "proxy-p50-ms")
	b.ReportMetric(ms(quantile(viaProxy, 0.95)), "proxy-p95-ms")
	b.ReportMetric(ms(quantile(direct, 0.5)), "stream-p50-ms")
	b.ReportMetric(ms(quantile(direct, 0.95)), "stream-p95-ms")
}

// catThrough runs a command printing blocks copies of pattern in the
// terminal rw and returns how long until all of it and the end mark
// arrived; it fails when a block is missing.
func catThrough(b *testing.B, rw io.ReadWriter, command string, pattern string, blocks int) time.Duration {
	b.Helper()
	mark := "hx-end-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var buf bytes.Buffer
	start := time.Now()
	if _, err := rw.Write([]byte(command + "; echo " + mark + "-$((1+1))\r")); err != nil {
		b.Fatal(err)
	}
	if err := readUntil(rw, []byte(mark+"-2"), 20*time.Minute, &buf); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	if got := bytes.Count(buf.Bytes(), []byte(pattern)); got < blocks {
		b.Fatalf("%d of %d blocks of output arrived", got, blocks)
	}
	return took
}

// BenchmarkSerialCat: output of HORCRUX_BENCH_SERIAL_MB MiB (default 10)
// from a real guest's serial console through the proxy and, as the anchor,
// on libvirt's stream directly; the guest under TCG, writing its serial
// port, sets the time.
func BenchmarkSerialCat(b *testing.B) {
	needLibvirtd(b)
	mb := 10
	if v, err := strconv.Atoi(os.Getenv("HORCRUX_BENCH_SERIAL_MB")); err == nil && v > 0 {
		mb = v
	}
	o := testguest.SerialOnly(testguest.Name("hx-bench-cat-"))
	o.Log = false // the log would double the guest's work
	benchGuest2(b, o)
	uuid, t, s, src := serialConsole(b, o.Name)
	size := mb << 20
	const pattern = "0123456789ABCDE" // 15 characters and a newline: 16 bytes a line in the guest
	// size bytes of lines of the pattern and a newline: every whole line must arrive.
	command, lines := fmt.Sprintf("yes %s | head -c %d", pattern, size), size/(len(pattern)+1)
	for range b.N {
		ws := &wsStream{ws: wsOf(b, s, t, 80, 24)}
		viaProxy := catThrough(b, ws, command, pattern, lines)
		ws.ws.Close()
		st, err := src.OpenConsole(context.Background(), uuid, vm.ConsoleOptions{Force: true})
		if err != nil {
			b.Fatal(err)
		}
		direct := catThrough(b, st, command, pattern, lines)
		st.Close()
		b.ReportMetric(viaProxy.Seconds(), "proxy-s")
		b.ReportMetric(direct.Seconds(), "stream-s")
	}
}

// benchGuest2 is benchGuest for a guest without a serial log: it waits on the console instead.
func benchGuest2(b *testing.B, o testguest.Options) {
	conn, err := libvirt.NewConnect("qemu:///system")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	testguest.Start(b, conn, testguest.Build(b), o)
	src := vm.NewSource(vm.Config{URI: "qemu:///system"})
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	src.Poll(ctx) // connects
	for {
		d, err := conn.LookupDomainByName(o.Name)
		if err != nil {
			b.Fatal(err)
		}
		uuid, _ := d.GetUUIDString()
		d.Free()
		st, err := src.OpenConsole(ctx, uuid, vm.ConsoleOptions{Force: true})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		st.Write([]byte("\r"))
		err = readUntil(st, []byte(testguest.Prompt), 5*time.Second, &buf)
		st.Close()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			b.Fatalf("the guest's serial shell did not answer: %v", err)
		}
	}
}

// BenchmarkShellCat10MB: a 10 MiB cat in a container shell through the
// proxy (WebSocket as the page has) and, as the anchor, `docker exec -t`;
// 3 interleaved rounds.
func BenchmarkShellCat10MB(b *testing.B) {
	needBench(b)
	host, docker := busyboxDockerd(b)
	busybox.Import(b, docker)
	name := fmt.Sprintf("hx-bench-shell-%d", os.Getpid())
	docker("run", "-d", "--network=none", "--name", name, busybox.Image, "/bin/sleep", "1000000")
	hosts := registry.New(registry.Config{DockerHost: host})
	defer hosts.Close()
	e := hosts.Engines()[0]
	s, err := console.NewServer(console.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var viaProxy, cli []time.Duration
	for range b.N {
		for range 3 {
			ws := &wsStream{ws: wsOf(b, s, e.Shell(name, nil), 200, 50)}
			viaProxy = append(viaProxy, catThrough(b, ws, "cat /data/big", busybox.BigPattern, busybox.BigFileSize/len(busybox.BigPattern)))
			ws.ws.Close()
			start := time.Now()
			out, err := exec.Command("docker", "--host", host, "exec", "-t", name, "cat", "/data/big").Output()
			if err != nil || len(out) != busybox.BigFileSize {
				b.Fatalf("docker exec -t cat: %d bytes, %v", len(out), err)
			}
			cli = append(cli, time.Since(start))
		}
	}
	b.ReportMetric(quantile(viaProxy, 0.5).Seconds()*1000, "proxy-ms")
	b.ReportMetric(quantile(cli, 0.5).Seconds()*1000, "docker-exec-ms")
}

// BenchmarkSPICEFirstFrame: a fresh console link loaded in Chromium until
// the guest's screen is painted, for a SPICE guest and, as the anchor, the
// noVNC page of a VNC guest; 5 interleaved rounds.
func BenchmarkSPICEFirstFrame(b *testing.B) {
	needLibvirtd(b)
	spice := testguest.SPICESerial(testguest.Name("hx-bench-spice-"))
	vnc := testguest.VNCSerial(testguest.Name("hx-bench-vnc-"))
	benchGuest(b, spice)
	benchGuest(b, vnc)
	hosts := registry.New(registry.Config{Connect: "qemu:///system"})
	defer hosts.Close()
	h := hosts.Machines()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	targets := map[string]console.Target{}
	for _, m := range h.Poll(ctx).Items {
		if m.Name == spice.Name || m.Name == vnc.Name {
			t, err := h.Console(ctx, m.UUID, "")
			if err != nil {
				b.Fatal(err)
			}
			targets[m.Name] = t
		}
	}
	s, err := console.NewServer(console.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	browser := bt.Start(b)
	first := func(t console.Target, painted string) time.Duration {
		pageURL, err := s.Mint(t)
		if err != nil {
			b.Fatal(err)
		}
		tab := bt.NewTab(b, browser)
		start := time.Now()
		tab.Do(b, chromedp.Navigate(pageURL))
		tab.WaitFor(b, 20*time.Second, painted)
		took := time.Since(start)
		return took
	}
	var sp, vn []time.Duration
	for range b.N {
		for range 5 {
			sp = append(sp, first(targets[spice.Name], bt.JSSpicePainted))
			vn = append(vn, first(targets[vnc.Name], bt.JSPainted))
		}
	}
	b.ReportMetric(ms(quantile(sp, 0.5)), "spice-ms")
	b.ReportMetric(ms(slices.Max(sp)), "spice-max-ms")
	b.ReportMetric(ms(quantile(vn, 0.5)), "vnc-ms")
	b.ReportMetric(ms(slices.Max(vn)), "vnc-max-ms")
}
