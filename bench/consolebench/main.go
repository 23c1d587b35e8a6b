//go:build linux

// Command consolebench measures the console proxy beside Debian's websockify in one run:
// throughput both ways, small-message round trips, memory per idle connection, time to
// open connections and many idle sessions held at once; with -firstframe, click to first
// frame in headless Chromium against TigerVNC. It talks to 127.0.0.1 only; bench/console.sh runs it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/novncassets"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if err := serve(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "consolebench serve:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "echo" {
		if err := serveEcho(); err != nil {
			fmt.Fprintln(os.Stderr, "consolebench echo:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.DurationVar(&o.window, "window", 2*time.Second, "length of each throughput sample")
	flag.IntVar(&o.rounds, "rounds", 5, "throughput samples per figure (the median is shown)")
	flag.IntVar(&o.idle, "idle", 200, "connections for the memory and open-time figures")
	flag.IntVar(&o.many, "many", 1000, "idle sessions held at once")
	flag.IntVar(&o.rtts, "rtts", 5000, "round trips for the latency figures, spread over the rounds")
	flag.BoolVar(&o.skipWebsockify, "no-websockify", false, "measure the console proxy only")
	flag.BoolVar(&o.firstFrame, "firstframe", false, "also measure click to first frame (needs Xvnc, Chromium, `make novnc`)")
	flag.BoolVar(&o.compare, "compare", false, "print issue 15's table: Horcrux, websockify and raw TCP (bench/compare.sh)")
	flag.IntVar(&o.held, "held", 10000, "with -compare: idle sessions the console proxy holds for its PSS figure")
	flag.IntVar(&o.heldWebsockify, "held-websockify", 1000, "with -compare: idle sessions websockify holds")
	flag.StringVar(&o.only, "only", "", "with -compare: one row only ("+strings.Join(compareRows, ", ")+")")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute) // every loop below is bounded; this bounds the whole run
	defer cancel()
	runner := run
	if o.compare {
		runner = runCompare
	}
	if err := runner(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "consolebench:", err)
		os.Exit(1)
	}
}

type options struct {
	window         time.Duration
	rounds         int
	idle, many     int
	rtts           int
	skipWebsockify bool
	firstFrame     bool
	compare        bool
	held           int // idle sessions held for -compare's PSS figure
	heldWebsockify int
	only           string
}

// ---- backends: plain TCP servers standing in for a VNC server ----

// startBackends starts the byte pumps every proxy is put in front of: a
// source writing 64 KiB at a time, a sink and an echo server.
func startBackends() (map[string]*backend, error) {
	bs := map[string]*backend{}
	for kind, chunk := range map[string]int{"source": 64 << 10, "sink": 0, "echo": 0} {
		b, err := startBackend(kind, chunk)
		if err != nil {
			closeBackends(bs)
			return nil, err
		}
		bs[kind] = b
	}
	return bs, nil
}

func closeBackends(bs map[string]*backend) {
	for _, b := range bs {
		b.close()
	}
}

// backend is a loopback TCP server of one kind: source writes chunk-sized blocks, sink counts what it reads, echo echoes.
type backend struct {
	ln    net.Listener
	kind  string
	chunk int
	got   atomic.Uint64
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startBackend(kind string, chunk int) (*backend, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &backend{ln: ln, kind: kind, chunk: chunk, conns: map[net.Conn]struct{}{}}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns[c] = struct{}{}
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer func() {
					b.mu.Lock()
					delete(b.conns, c)
					b.mu.Unlock()
					c.Close()
				}()
				b.handle(c)
			}()
		}
	}()
	return b, nil
}

func (b *backend) handle(c net.Conn) {
	switch b.kind {
	case "source":
		buf := make([]byte, b.chunk)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	case "sink":
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			b.got.Add(uint64(n))
			if err != nil {
				return
			}
		}
	default:
		_, _ = io.Copy(c, c)
	}
}

func (b *backend) addr() string { return b.ln.Addr().String() }

func (b *backend) close() {
	b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// ---- the console server in its own process, so its memory can be measured alone ----

// serve runs console.Server with one target per backend and answers "mint KIND N" on stdin
// with N WebSocket paths, each redeemed through the page API as the console page would.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	targets := map[string]*string{}
	for _, k := range []string{"source", "source1k", "sink", "echo", "idle"} {
		targets[k] = fs.String(k, "", k+" backend address")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if os.Getenv("CONSOLEBENCH_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1 // every allocation: per-session costs are a few hundred bytes each
	}
	if f := os.Getenv("CONSOLEBENCH_CPUPROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	s, err := console.NewServer(console.Config{Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Printf("origin %s\n", s.Origin())
	client := &http.Client{Timeout: 10 * time.Second}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 1 && f[0] == "stats" {
			fmt.Println(runtimeStats(len(s.Sessions())))
			if name := os.Getenv("CONSOLEBENCH_HEAPPROFILE"); name != "" {
				if out, err := os.Create(name); err == nil {
					_ = pprof.WriteHeapProfile(out)
					out.Close()
				}
			}
			continue
		}
		if len(f) != 3 || f[0] != "mint" {
			fmt.Println("error: want mint KIND N")
			continue
		}
		addr, n := targets[f[1]], 0
		n, _ = strconv.Atoi(f[2])
		if addr == nil || *addr == "" || n <= 0 || n > 20000 {
			fmt.Println("error: bad mint")
			continue
		}
		for i := 0; i < n; i++ {
			path, err := mintPath(client, s, console.TCPTarget("bench-"+f[1], "bench-"+f[1], *addr))
			if err != nil {
				fmt.Println("error:", err)
				break
			}
			fmt.Println(path)
		}
		client.CloseIdleConnections()
		fmt.Println("ok")
	}
	return nil
}

// mintPath mints a page link and redeems it like the page does, returning the WebSocket path.
func mintPath(client *http.Client, s *console.Server, t console.Target) (string, error) {
	pageURL, err := s.Mint(t)
	if err != nil {
		return "", err
	}
	_, frag, _ := strings.Cut(pageURL, "#t=")
	req, _ := http.NewRequest(http.MethodPost, s.Origin()+"/console/api/open", strings.NewReader(`{"ticket":"`+frag+`"}`))
	req.Header.Set("Origin", s.Origin())
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var body struct{ WS, Error string }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.WS == "" {
		return "", fmt.Errorf("open: %s %s %v", res.Status, body.Error, err)
	}
	return body.WS, nil
}

// proxyUnderTest is either our console server (child process) or websockify (one process per backend).
type proxyUnderTest interface {
	name() string
	// urls returns n WebSocket URLs (and the Origin to send) to reach backend kind.
	urls(kind string, n int) ([]string, string, error)
	// pss returns the proxy's proportional set size in KiB, children included.
	pss() (int, error)
	// cpu is a reading of the CPU time the processes serving backend kind have used.
	cpu(kind string) cpuReading
	close()
}

type ours struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	origin string
}

func startOurs(self string, bs map[string]*backend, idle string) (*ours, error) {
	args := []string{"serve"}
	if idle != "" {
		args = append(args, "-idle", idle)
	}
	for k, b := range bs {
		args = append(args, "-"+k, b.addr())
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	o := &ours{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	if !o.out.Scan() || !strings.HasPrefix(o.out.Text(), "origin ") {
		o.close()
		return nil, errors.New("the console server did not start")
	}
	o.origin = strings.TrimPrefix(o.out.Text(), "origin ")
	return o, nil
}

func (o *ours) name() string { return "horcrux console" }

func (o *ours) urls(kind string, n int) ([]string, string, error) {
	if _, err := fmt.Fprintf(o.stdin, "mint %s %d\n", kind, n); err != nil {
		return nil, "", err
	}
	var out []string
	for o.out.Scan() {
		line := o.out.Text()
		switch {
		case line == "ok":
			if len(out) != n {
				return nil, "", fmt.Errorf("got %d URLs, want %d", len(out), n)
			}
			return out, o.origin, nil
		case strings.HasPrefix(line, "error"):
			return nil, "", errors.New(line)
		default:
			out = append(out, "ws://"+strings.TrimPrefix(o.origin, "http://")+line)
		}
	}
	return nil, "", errors.New("the console server went away")
}

func (o *ours) pss() (int, error) { return pssTree(o.cmd.Process.Pid) }

func (o *ours) cpu(string) cpuReading { return readCPU(o.cmd.Process.Pid) }

// stats asks the console server's process for its runtime figures.
func (o *ours) stats() string {
	if _, err := fmt.Fprintln(o.stdin, "stats"); err != nil || !o.out.Scan() {
		return "no runtime figures"
	}
	return o.out.Text()
}

func (o *ours) close() {
	o.stdin.Close()
	done := make(chan struct{})
	go func() { _ = o.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = o.cmd.Process.Kill()
		<-done
	}
}

type websockify struct {
	procs map[string]*exec.Cmd
	ports map[string]int
}

func startWebsockify(bs map[string]*backend, idle string) (*websockify, error) {
	w := &websockify{procs: map[string]*exec.Cmd{}, ports: map[string]int{}}
	addrs := map[string]string{}
	for kind, b := range bs {
		addrs[kind] = b.addr()
	}
	if idle != "" {
		addrs["idle"] = idle
	}
	for kind, addr := range addrs {
		port, err := freePort()
		if err != nil {
			w.close()
			return nil, err
		}
		cmd := exec.Command("websockify", fmt.Sprintf("127.0.0.1:%d", port), addr)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		// Its own process group: close() ends the forked children with it.
		cmd.SysProcAttr = newProcessGroup()
		if err := cmd.Start(); err != nil {
			w.close()
			return nil, fmt.Errorf("websockify: %w", err)
		}
		w.procs[kind], w.ports[kind] = cmd, port
		if err := waitListening(fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second); err != nil {
			w.close()
			return nil, fmt.Errorf("websockify: %w", err)
		}
	}
	return w, nil
}

func (w *websockify) name() string { return "websockify " + websockifyVersion() }

func (w *websockify) urls(kind string, n int) ([]string, string, error) {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("ws://127.0.0.1:%d/", w.ports[kind])
	}
	return out, fmt.Sprintf("http://127.0.0.1:%d", w.ports[kind]), nil
}

// pss measures the websockify serving the idle sessions (the echo one when there is none).
func (w *websockify) pss() (int, error) {
	if p := w.procs["idle"]; p != nil {
		return pssTree(p.Process.Pid)
	}
	return pssTree(w.procs["echo"].Process.Pid)
}

// cpu reads the websockify of kind and its forked children (one per connection).
func (w *websockify) cpu(kind string) cpuReading { return readCPU(w.procs[kind].Process.Pid) }

func (w *websockify) close() {
	for _, cmd := range w.procs {
		killGroup(cmd)
		_ = cmd.Wait()
	}
}

func websockifyVersion() string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "websockify").Output()
	if err != nil {
		return ""
	}
	v, _, _ := strings.Cut(string(out), "+")
	return v
}

// ---- measurements ----

type result struct {
	downloads, uploads64k, uploads1k []float64       // MB/s, one per round
	rtts                             []time.Duration // round trips, from all rounds
	kibPerIdle                       float64
	open                             time.Duration
	many                             string
}

func dial(url, origin string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	ws, _, err := d.Dial(url, http.Header{"Origin": {origin}})
	return ws, err
}

// rate is a throughput figure: MB/s, and the proxy's CPU seconds per GB moved.
type rate struct{ mbps, cpuPerGB float64 }

func rateOf(bytes uint64, start time.Time, c0, c1 cpuReading) rate {
	r := rate{mbps: float64(bytes) / time.Since(start).Seconds() / 1e6}
	if bytes > 0 {
		r.cpuPerGB = c1.since(c0).Seconds() / (float64(bytes) / 1e9)
	}
	return r
}

// download reads for the window.
func download(p proxyUnderTest, kind string, window time.Duration) (rate, error) {
	u, origin, err := p.urls(kind, 1)
	if err != nil {
		return rate{}, err
	}
	ws, err := dial(u[0], origin)
	if err != nil {
		return rate{}, err
	}
	defer ws.Close()
	c0 := p.cpu(kind)
	start := time.Now()
	_ = ws.SetReadDeadline(start.Add(window))
	var total int64
	buf := make([]byte, 256<<10) // io.Discard would read in 8 KiB steps and make the client the bottleneck
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			break
		}
		for {
			n, err := r.Read(buf)
			total += int64(n)
			if err != nil {
				break
			}
		}
	}
	return rateOf(uint64(total), start, c0, p.cpu(kind)), nil
}

// upload writes messages of size for the window; the rate is what the sink received.
func upload(p proxyUnderTest, sink *backend, size int, window time.Duration) (rate, error) {
	u, origin, err := p.urls("sink", 1)
	if err != nil {
		return rate{}, err
	}
	ws, err := dial(u[0], origin)
	if err != nil {
		return rate{}, err
	}
	defer ws.Close()
	msg := make([]byte, size)
	// Warm up until the sink sees bytes: the proxy may connect to it only now.
	warm := time.Now().Add(5 * time.Second)
	before := sink.got.Load()
	for sink.got.Load() == before && time.Now().Before(warm) {
		if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return rate{}, err
		}
	}
	c0 := p.cpu("sink")
	start, got0 := time.Now(), sink.got.Load()
	_ = ws.SetWriteDeadline(start.Add(window + 5*time.Second))
	for time.Since(start) < window {
		if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return rate{}, err
		}
	}
	return rateOf(sink.got.Load()-got0, start, c0, p.cpu("sink")), nil
}

// roundTrips measures n 16-byte echo round trips, after a tenth as many to warm up.
func roundTrips(p proxyUnderTest, n int) ([]time.Duration, error) {
	u, origin, err := p.urls("echo", 1)
	if err != nil {
		return nil, err
	}
	ws, err := dial(u[0], origin)
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	msg := make([]byte, 16)
	var samples []time.Duration
	_ = ws.SetReadDeadline(time.Now().Add(60 * time.Second))
	for i := 0; i < n+n/10; i++ {
		t0 := time.Now()
		if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return nil, err
		}
		for got := 0; got < len(msg); {
			_, p, err := ws.ReadMessage()
			if err != nil {
				return nil, err
			}
			got += len(p)
		}
		if i >= n/10 {
			samples = append(samples, time.Since(t0))
		}
	}
	return samples, nil
}

// percentile of the samples, 0 < q < 1.
func percentile(samples []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s))*q)]
}

// openIdle opens n echo connections one after the other, checks each with one echo, and returns them with the time the handshakes took.
func openIdle(p proxyUnderTest, n int, budget time.Duration) ([]*websocket.Conn, time.Duration, error) {
	us, origin, err := p.urls("echo", n)
	if err != nil {
		return nil, 0, err
	}
	var conns []*websocket.Conn
	start := time.Now()
	for _, u := range us {
		if time.Since(start) > budget {
			return conns, time.Since(start), fmt.Errorf("opened %d of %d within %v", len(conns), n, budget)
		}
		ws, err := dial(u, origin)
		if err != nil {
			return conns, time.Since(start), fmt.Errorf("connection %d: %w", len(conns)+1, err)
		}
		conns = append(conns, ws)
	}
	took := time.Since(start)
	for _, ws := range conns {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := ws.WriteMessage(websocket.BinaryMessage, []byte("x")); err != nil {
			return conns, took, err
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			return conns, took, fmt.Errorf("echo on an idle connection: %w", err)
		}
	}
	return conns, took, nil
}

func closeAll(conns []*websocket.Conn) {
	for _, ws := range conns {
		ws.Close()
	}
}

// throughput takes one sample of each throughput figure and a share of the round trips.
func throughput(p proxyUnderTest, bs map[string]*backend, o options, r *result) error {
	d, err := download(p, "source", o.window)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	u64, err := upload(p, bs["sink"], 64<<10, o.window)
	if err != nil {
		return fmt.Errorf("upload 64 KiB: %w", err)
	}
	u1, err := upload(p, bs["sink"], 1<<10, o.window)
	if err != nil {
		return fmt.Errorf("upload 1 KiB: %w", err)
	}
	rtts, err := roundTrips(p, o.rtts/o.rounds)
	if err != nil {
		return fmt.Errorf("round trips: %w", err)
	}
	r.rtts = append(r.rtts, rtts...)
	r.downloads = append(r.downloads, d.mbps)
	r.uploads64k = append(r.uploads64k, u64.mbps)
	r.uploads1k = append(r.uploads1k, u1.mbps)
	return nil
}

// median of the samples; the machine is shared, so one sample is noise.
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// idleFigures takes the memory and connection figures.
func idleFigures(p proxyUnderTest, o options, r *result) error {
	time.Sleep(time.Second) // let closed connections go before the baseline
	base, err := p.pss()
	if err != nil {
		return err
	}
	conns, took, err := openIdle(p, o.idle, 60*time.Second)
	if err != nil {
		closeAll(conns)
		return fmt.Errorf("idle connections: %w", err)
	}
	r.open = took
	time.Sleep(2 * time.Second) // idle
	after, err := p.pss()
	closeAll(conns)
	if err != nil {
		return err
	}
	r.kibPerIdle = float64(after-base) / float64(o.idle)

	time.Sleep(time.Second)
	conns, took, err = openIdle(p, o.many, 120*time.Second)
	switch {
	case err != nil:
		r.many = fmt.Sprintf("failed after %d: %v", len(conns), err)
	default:
		time.Sleep(time.Second)
		pss, _ := p.pss()
		r.many = fmt.Sprintf("%d held (opened in %.1f s, %.0f MB PSS)", len(conns), took.Seconds(), float64(pss)/1024)
	}
	closeAll(conns)
	time.Sleep(time.Second)
	return nil
}

func run(ctx context.Context, o options) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bs, err := startBackends()
	if err != nil {
		return err
	}
	defer closeBackends(bs)
	var proxies []proxyUnderTest
	us, err := startOurs(self, bs, "")
	if err != nil {
		return err
	}
	defer us.close()
	proxies = append(proxies, us)
	if !o.skipWebsockify {
		w, err := startWebsockify(bs, "")
		if err != nil {
			return err
		}
		defer w.close()
		proxies = append(proxies, w)
	}

	results := make([]result, len(proxies))
	// Throughput and latency in alternating rounds, so a busy moment of the shared machine hits both.
	for round := 0; round < o.rounds; round++ {
		for i, p := range proxies {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(os.Stderr, "round %d: %s throughput and round trips...\n", round+1, p.name())
			if err := throughput(p, bs, o, &results[i]); err != nil {
				return fmt.Errorf("%s: %w", p.name(), err)
			}
		}
	}
	for i, p := range proxies {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(os.Stderr, "%s: memory, connections...\n", p.name())
		if err := idleFigures(p, o, &results[i]); err != nil {
			return fmt.Errorf("%s: %w", p.name(), err)
		}
	}

	fmt.Printf("| figure | %s |", proxies[0].name())
	for _, p := range proxies[1:] {
		fmt.Printf(" %s | ratio |", p.name())
	}
	fmt.Printf("\n|---|---|")
	for range proxies[1:] {
		fmt.Printf("---|---|")
	}
	fmt.Println()
	row := func(label string, f func(result) float64, unit string, higherBetter bool, format string) {
		fmt.Printf("| %s | "+format+" %s |", label, f(results[0]), unit)
		for _, r := range results[1:] {
			ratio := f(results[0]) / f(r)
			if !higherBetter {
				ratio = f(r) / f(results[0])
			}
			fmt.Printf(" "+format+" %s | %.2fx |", f(r), unit, ratio)
		}
		fmt.Println()
	}
	row("download, VM to browser (64 KiB writes)", func(r result) float64 { return median(r.downloads) }, "MB/s", true, "%.0f")
	row("upload, 64 KiB messages", func(r result) float64 { return median(r.uploads64k) }, "MB/s", true, "%.0f")
	row("upload, 1 KiB messages", func(r result) float64 { return median(r.uploads1k) }, "MB/s", true, "%.0f")
	row("round trip p50 (16 B echo)", func(r result) float64 { return float64(percentile(r.rtts, 0.5).Microseconds()) }, "µs", false, "%.0f")
	row("round trip p99", func(r result) float64 { return float64(percentile(r.rtts, 0.99).Microseconds()) }, "µs", false, "%.0f")
	row(fmt.Sprintf("PSS per idle connection (%d)", o.idle), func(r result) float64 { return r.kibPerIdle }, "KiB", false, "%.1f")
	row(fmt.Sprintf("open %d connections", o.idle), func(r result) float64 { return r.open.Seconds() }, "s", false, "%.2f")
	fmt.Printf("| %d idle sessions at once | %s |", o.many, results[0].many)
	for _, r := range results[1:] {
		fmt.Printf(" %s | |", r.many)
	}
	fmt.Println()

	if o.firstFrame && novncassets.Check() != nil {
		fmt.Printf("\nClick to first frame: not measured, %v\n", novncassets.Check())
	} else if o.firstFrame {
		ff, err := clickToFirstFrame(ctx, 5)
		if err != nil {
			return fmt.Errorf("click to first frame: %w", err)
		}
		fmt.Printf("\nClick to first frame (mint -> page load -> first framebuffer update drawn by noVNC; Chromium already running, TigerVNC 1024x768): %s\n", ff)
	}
	return nil
}

// ---- helpers ----

func freePort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after %v", addr, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processTree is root and its descendants, from /proc.
func processTree(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := procStat(pid); len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], pid)
		}
	}
	tree := []int{root}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree
}

// procStat is the fields of /proc/PID/stat after the command name (in parentheses, and
// it may hold spaces): f[0] is the state, f[1] the parent, f[11] and f[12] utime and stime.
func procStat(pid int) []string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(raw), ')')
	return strings.Fields(string(raw[i+1:]))
}

// pssTree is the proportional set size of root and its descendants, in KiB.
func pssTree(root int) (int, error) {
	total := 0
	for _, pid := range processTree(root) {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err != nil {
			if pid == root {
				return 0, err
			}
			continue
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "Pss:" {
				kb, _ := strconv.Atoi(f[1])
				total += kb
			}
		}
	}
	return total, nil
}

// cpuReading is the CPU time (user and system, in clock ticks) of each process of a tree.
type cpuReading map[int]int64

// readCPU reads root's tree.
func readCPU(root int) cpuReading {
	r := cpuReading{}
	for _, pid := range processTree(root) {
		if f := procStat(pid); len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			r[pid] = u + s
		}
	}
	return r
}

// since is the CPU time used between c0 and r: by the processes in both, and all of that of
// the ones started since (a connection's forked child); ones gone since are not counted.
func (r cpuReading) since(c0 cpuReading) time.Duration {
	var ticks int64
	for pid, t := range r {
		ticks += t - c0[pid]
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux's every architecture.
const clockTicks = 100

// runtimeStats is the console server process's Go memory, per session when there are any.
func runtimeStats(sessions int) string {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	per := func(b uint64) string {
		if sessions == 0 {
			return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
		}
		return fmt.Sprintf("%.1f KiB/session", float64(b)/1024/float64(sessions))
	}
	return fmt.Sprintf("%d sessions, %d goroutines, live heap %s, stacks %s (runtime, after a GC)",
		sessions, runtime.NumGoroutine(), per(m.HeapAlloc), per(m.StackInuse))
}
