//go:build linux

package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// The -compare mode prints issue 15's table: the console proxy beside websockify and
// raw loopback TCP (the limit), in interleaved rounds, median [min-max] of the rounds,
// each row with the command that reproduces it alone. bench/compare.sh runs it.

// compareRows are the figures -only may pick.
var compareRows = []string{"download", "upload64k", "upload1k", "rtt", "idle"}

// rawTCP measures the backends directly: what any proxy can at most reach.
type rawTCP struct{}

func (rawTCP) name() string { return "raw TCP" }

// samples holds one figure's per-round values for one column.
type samples []float64

func (s samples) String() string {
	if len(s) == 0 {
		return "-"
	}
	c := append(samples(nil), s...)
	sort.Float64s(c)
	f := "%.0f"
	switch m := c[len(c)/2]; {
	case m < 10:
		f = "%.2f"
	case m < 100:
		f = "%.1f"
	}
	return fmt.Sprintf(f+" ["+f+"-"+f+"]", c[len(c)/2], c[0], c[len(c)-1])
}

func (s samples) median() float64 {
	if len(s) == 0 {
		return 0
	}
	c := append(samples(nil), s...)
	sort.Float64s(c)
	return c[len(c)/2]
}

// column is one tool's figures.
type column struct {
	download, up64, up1, rtt samples // MB/s, MB/s, MB/s, µs (p50 of each round)
	downCPU, up64CPU         samples // the proxy's CPU seconds per GB moved
	idleKiB                  samples // PSS per idle session, one per round
	held                     int
	idleNote                 string
}

func wants(only, row string) bool { return only == "" || only == row }

// rawDownload reads from the source backend for the window; MB/s.
func rawDownload(addr string, window time.Duration) (float64, error) {
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(window))
	buf := make([]byte, 256<<10)
	var total int64
	for {
		n, err := c.Read(buf)
		total += int64(n)
		if err != nil {
			break
		}
	}
	return float64(total) / time.Since(start).Seconds() / 1e6, nil
}

// rawUpload writes size-byte writes to the sink for the window; the MB/s the sink received.
func rawUpload(sink *backend, size int, window time.Duration) (float64, error) {
	c, err := net.Dial("tcp4", sink.addr())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	msg := make([]byte, size)
	start, got0 := time.Now(), sink.got.Load()
	_ = c.SetWriteDeadline(start.Add(window + 5*time.Second))
	for time.Since(start) < window {
		if _, err := c.Write(msg); err != nil {
			return 0, err
		}
	}
	return float64(sink.got.Load()-got0) / time.Since(start).Seconds() / 1e6, nil
}

// rawRoundTrips times n 16-byte echoes after a tenth as many to warm up.
func rawRoundTrips(addr string, n int) ([]time.Duration, error) {
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	msg, in := make([]byte, 16), make([]byte, 16)
	var out []time.Duration
	for i := 0; i < n+n/10; i++ {
		t0 := time.Now()
		if _, err := c.Write(msg); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(c, in); err != nil {
			return nil, err
		}
		if i >= n/10 {
			out = append(out, time.Since(t0))
		}
	}
	return out, nil
}

// roundCompare takes one round of the throughput and latency figures of one column.
func roundCompare(p proxyUnderTest, bs map[string]*backend, o options, col *column) error {
	var d, u64, u1 rate
	var rtts []time.Duration
	var err error
	raw := p == nil
	if wants(o.only, "download") {
		if raw {
			d.mbps, err = rawDownload(bs["source"].addr(), o.window)
		} else {
			d, err = download(p, "source", o.window)
		}
		if err != nil {
			return fmt.Errorf("download: %w", err)
		}
		col.download = append(col.download, d.mbps)
		if !raw {
			col.downCPU = append(col.downCPU, d.cpuPerGB)
		}
	}
	if wants(o.only, "upload64k") {
		if raw {
			u64.mbps, err = rawUpload(bs["sink"], 64<<10, o.window)
		} else {
			u64, err = upload(p, bs["sink"], 64<<10, o.window)
		}
		if err != nil {
			return fmt.Errorf("upload 64 KiB: %w", err)
		}
		col.up64 = append(col.up64, u64.mbps)
		if !raw {
			col.up64CPU = append(col.up64CPU, u64.cpuPerGB)
		}
	}
	if wants(o.only, "upload1k") {
		if raw {
			u1.mbps, err = rawUpload(bs["sink"], 1<<10, o.window)
		} else {
			u1, err = upload(p, bs["sink"], 1<<10, o.window)
		}
		if err != nil {
			return fmt.Errorf("upload 1 KiB: %w", err)
		}
		col.up1 = append(col.up1, u1.mbps)
	}
	if wants(o.only, "rtt") {
		if raw {
			rtts, err = rawRoundTrips(bs["echo"].addr(), o.rtts/o.rounds)
		} else {
			rtts, err = roundTrips(p, o.rtts/o.rounds)
		}
		if err != nil {
			return fmt.Errorf("round trips: %w", err)
		}
		col.rtt = append(col.rtt, float64(percentile(rtts, 0.5).Nanoseconds())/1e3)
	}
	return nil
}

// heldFigure opens n idle sessions to the idle echo backend in batches (tickets live 60 s),
// checks each with one echo, waits, and returns the proxy's PSS growth per session in KiB.
func heldFigure(p proxyUnderTest, n int) (float64, string, error) {
	time.Sleep(time.Second) // let earlier connections go before the baseline
	base, err := p.pss()
	if err != nil {
		return 0, "", err
	}
	var conns []*websocket.Conn
	defer func() { closeAll(conns) }()
	start := time.Now()
	for len(conns) < n {
		batch := min(1000, n-len(conns))
		us, origin, err := p.urls("idle", batch)
		if err != nil {
			return 0, "", err
		}
		for _, u := range us {
			d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
			ws, _, err := d.Dial(u, http.Header{"Origin": {origin}})
			if err != nil {
				return 0, "", fmt.Errorf("session %d: %w", len(conns)+1, err)
			}
			conns = append(conns, ws)
		}
		if time.Since(start) > 5*time.Minute {
			return 0, "", fmt.Errorf("opened only %d of %d sessions in 5 min", len(conns), n)
		}
	}
	took := time.Since(start)
	// websockify drops a few of 1000 (1006): they are counted and left out of the figure.
	dropped, firstErr := 0, error(nil)
	for _, ws := range conns {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		err := ws.WriteMessage(websocket.BinaryMessage, []byte("x"))
		if err == nil {
			_, _, err = ws.ReadMessage()
		}
		if err != nil {
			dropped++
			firstErr = cmp.Or(firstErr, err)
		}
	}
	if _, ok := p.(*ours); ok && dropped > 0 {
		return 0, "", fmt.Errorf("%d of %d idle sessions failed their echo, the first with %w", dropped, n, firstErr)
	}
	// Idle: PSS falls for some seconds while the runtime gives back what opening the
	// sessions left (handshake garbage, the stacks of renewed goroutines); take it once it
	// settles (under 0.5 % change over 2 s), within 60 s.
	idleStart := time.Now()
	time.Sleep(3 * time.Second)
	after, err := p.pss()
	if err != nil {
		return 0, "", err
	}
	for steady := 0; steady < 2 && time.Since(idleStart) < 60*time.Second; {
		time.Sleep(time.Second)
		now, err := p.pss()
		if err != nil {
			return 0, "", err
		}
		if math.Abs(float64(now-after)) < 0.005*float64(after) {
			steady++
		} else {
			steady = 0
		}
		after = now
	}
	note := fmt.Sprintf("opened in %.1f s, idle %.0f s, %.0f MB PSS", took.Seconds(), time.Since(idleStart).Seconds(), float64(after)/1024)
	if dropped > 0 {
		note += fmt.Sprintf(", %d of %d dropped before their echo (%v), the figure is over the %d left", dropped, n, firstErr, n-dropped)
	}
	if st, ok := p.(interface{ stats() string }); ok {
		note += "; " + st.stats()
	}
	return float64(after-base) / float64(n-dropped), note, nil
}

// fdCap is the most sessions one proxy process can hold under the open-file limit:
// each holds the browser's socket and the VM's.
func fdCap() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur > 1<<30 {
		return 1 << 30
	}
	return int(l.Cur-64) / 2 / 100 * 100
}

func runCompare(ctx context.Context, o options) error {
	if o.rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	if o.only != "" && !strings.Contains(" "+strings.Join(compareRows, " ")+" ", " "+o.only+" ") {
		return fmt.Errorf("-only %q: one of %s", o.only, strings.Join(compareRows, ", "))
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bs, err := startBackends()
	if err != nil {
		return err
	}
	defer closeBackends(bs)
	// The idle sessions' VM ends live in another process: one process could not hold
	// both ends' descriptors of 10 000 sessions under the open-file limit.
	idle, idleAddr, err := startEchoChild(self)
	if err != nil {
		return err
	}
	defer idle.close()

	us, err := startOurs(self, bs, idleAddr)
	if err != nil {
		return err
	}
	defer func() { us.close() }()
	proxies := []proxyUnderTest{us}
	if !o.skipWebsockify {
		w, err := startWebsockify(bs, idleAddr)
		if err != nil {
			return err
		}
		defer w.close()
		proxies = append(proxies, w)
	}
	cols := make([]column, len(proxies)+1) // the last is raw TCP
	if o.only != "idle" {
		for round := 0; round < o.rounds; round++ {
			for i := range cols {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				var p proxyUnderTest
				label := rawTCP{}.name()
				if i < len(proxies) {
					p, label = proxies[i], proxies[i].name()
				}
				fmt.Fprintf(os.Stderr, "round %d/%d: %s\n", round+1, o.rounds, label)
				if err := roundCompare(p, bs, o, &cols[i]); err != nil {
					return fmt.Errorf("%s: %w", label, err)
				}
			}
		}
	}
	if wants(o.only, "idle") {
		held := []int{o.held, o.heldWebsockify}
		for round := 0; round < o.rounds; round++ {
			for i, p := range proxies {
				if i == 0 && round > 0 {
					// A fresh process: one that held sessions before keeps their memory
					// resident, and the next ones would fit in it for free.
					us.close()
					if us, err = startOurs(self, bs, idleAddr); err != nil {
						return err
					}
					proxies[0], p = us, us
				}
				n := held[min(i, 1)]
				limit := ""
				if c := fdCap(); n > c {
					limit = fmt.Sprintf("%d asked, the open-file limit allows %d in one process; ", n, c)
					n = c
				}
				fmt.Fprintf(os.Stderr, "round %d/%d: %s: %d idle sessions...\n", round+1, o.rounds, p.name(), n)
				kib, note, err := heldFigure(p, n)
				if err != nil {
					return fmt.Errorf("%s: idle sessions: %w", p.name(), err)
				}
				cols[i].idleKiB = append(cols[i].idleKiB, kib)
				cols[i].held = n
				cols[i].idleNote += fmt.Sprintf("\n- round %d: %s%s", round+1, limit, note)
			}
		}
	}
	printCompare(proxies, cols, o)
	return nil
}

func printCompare(proxies []proxyUnderTest, cols []column, o options) {
	names := []string{"Horcrux", "websockify", "raw TCP"}
	if len(proxies) > 1 {
		names[1] = proxies[1].name()
	} else {
		names = []string{"Horcrux", "raw TCP"}
	}
	ws := func(f func(column) samples) float64 {
		if len(proxies) < 2 {
			return 0
		}
		return f(cols[1]).median()
	}
	raw := cols[len(cols)-1]
	fmt.Printf("| figure | %s | goal (met?) | reproduce |\n|---|", strings.Join(names, " | "))
	for range names {
		fmt.Print("---|")
	}
	fmt.Println("---|---|")
	repro := func(row string) string {
		return fmt.Sprintf("`bench/compare.sh --proxy-only --rounds %d --only %s`", o.rounds, row)
	}
	row := func(key, label string, f func(column) samples, goal string) {
		if !wants(o.only, key) {
			return
		}
		fmt.Printf("| %s |", label)
		for _, c := range cols {
			fmt.Printf(" %s |", f(c))
		}
		fmt.Printf(" %s | %s |\n", goal, repro(key))
	}
	ratio := func(a, b float64) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", a/b)
	}
	dl := func(c column) samples { return c.download }
	h := cols[0]
	row("download", "download, 64 KiB writes (MB/s)", dl, fmt.Sprintf(">= 1.5x websockify and >= 60 %% of raw (%s, %.0f %%)",
		ratio(h.download.median(), ws(dl)), 100*h.download.median()/max(raw.download.median(), 1e-9)))
	u64 := func(c column) samples { return c.up64 }
	row("upload64k", "upload, 64 KiB messages (MB/s)", u64, ">= 4x websockify ("+ratio(h.up64.median(), ws(u64))+")")
	u1 := func(c column) samples { return c.up1 }
	row("upload1k", "upload, 1 KiB messages (MB/s)", u1, ">= 6x websockify ("+ratio(h.up1.median(), ws(u1))+")")
	dc := func(c column) samples { return c.downCPU }
	row("download", "proxy CPU per GB downloaded (s)", dc, "what the download costs ("+ratio(h.downCPU.median(), ws(dc))+")")
	uc := func(c column) samples { return c.up64CPU }
	row("upload64k", "proxy CPU per GB uploaded, 64 KiB (s)", uc, "what the upload costs ("+ratio(h.up64CPU.median(), ws(uc))+")")
	rt := func(c column) samples { return c.rtt }
	row("rtt", "round trip p50, 16 B echo (µs)", rt, "<= 0.6x websockify ("+ratio(h.rtt.median(), ws(rt))+")")
	if wants(o.only, "idle") {
		fmt.Printf("| PSS per idle session (KiB) |")
		for _, c := range cols[:len(cols)-1] {
			fmt.Printf(" %s (%d held) |", c.idleKiB, c.held)
		}
		fmt.Printf(" - | <= 16 KiB, 10 000 held | %s |\n", repro("idle"))
		for i, c := range cols[:len(cols)-1] {
			fmt.Printf("\n%s, idle sessions:%s\n", names[i], c.idleNote)
		}
		fmt.Println()
	}
	fmt.Printf("\n%d interleaved rounds of %v per throughput figure, %d round trips in all per tool; median [min-max] of the rounds.\n",
		o.rounds, o.window, o.rtts)
}

// ---- the idle sessions' echo server, in its own process ----

// serveEcho is `consolebench echo`: an echo server with small buffers, printing its address, until stdin closes.
func serveEcho() error {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			_, _ = io.CopyBuffer(c, struct{ io.Reader }{c}, make([]byte, 512))
		}()
	}
}

type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func startEchoChild(self string) (*child, string, error) {
	cmd := exec.Command(self, "echo")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	c := &child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		c.close()
		return nil, "", fmt.Errorf("echo server: %w", err)
	}
	return c, strings.TrimSpace(line), nil
}

func (c *child) close() {
	c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}
