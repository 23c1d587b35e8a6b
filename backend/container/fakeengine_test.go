package container

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// fakeEngine speaks just enough of the Docker Engine API (v1.41, as dockerd
// 20.10) over HTTP on 127.0.0.1 for the real client to run against it, so the
// Source is tested through its true I/O path without a daemon.
type fakeEngine struct {
	t      *testing.T
	srv    *httptest.Server
	events chan events.Message
	// frameEvery is the real time between stats frames; frames are stamped
	// 1 s apart whatever it is, so rates are exact.
	frameEvery time.Duration

	mu         sync.Mutex
	containers map[string]*fakeContainer
	streams    int // stats requests being served
	subscribed int // events requests being served
	lists      int
	execs      map[string]*fakeExec
	execCmds   [][]string // the command of every exec created, in order
	// podman makes execs behave as Podman's: 127 for a command that cannot
	// start, and the pid forgotten once the command ends (dockerd keeps it).
	podman bool
	// noStat makes the engine answer stats of paths with an error, as one
	// without the archive API.
	noStat bool
	// hangStart, when not nil, holds every exec start until it is closed,
	// as an engine that hangs.
	hangStart chan struct{}
}

// fakeExec is one exec of the fake engine; guarded by fakeEngine.mu.
type fakeExec struct {
	id, container string
	cmd           []string
	running       bool
	pid, exitCode int
	rows, cols    uint
	hungUp        bool // the client closed the connection
}

type fakeContainer struct {
	id, name, state string
	exitCode        int
	restarts        int
	startedAt       time.Time
	tty             bool
	stop            chan struct{} // closed when the container stops: ends its stats streams
	bins            []string      // the commands an exec can start
	command         string
	ports           []container.Port
	health          string // the health check's status; "" for none
}

const fakeAPI = "/v1.41"

func newFakeEngine(t *testing.T) *fakeEngine {
	f := &fakeEngine{
		t:          t,
		events:     make(chan events.Message, 64),
		frameEvery: 20 * time.Millisecond,
		containers: make(map[string]*fakeContainer),
		execs:      make(map[string]*fakeExec),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", f.ping)
	mux.HandleFunc("GET "+fakeAPI+"/version", f.version)
	mux.HandleFunc("GET "+fakeAPI+"/containers/json", f.list)
	mux.HandleFunc("GET "+fakeAPI+"/containers/{id}/json", f.inspect)
	mux.HandleFunc("GET "+fakeAPI+"/containers/{id}/stats", f.stats)
	mux.HandleFunc("GET "+fakeAPI+"/containers/{id}/logs", f.logs)
	mux.HandleFunc("POST "+fakeAPI+"/containers/{id}/{action}", f.act)
	mux.HandleFunc("DELETE "+fakeAPI+"/containers/{id}", f.remove)
	mux.HandleFunc("GET "+fakeAPI+"/events", f.watch)
	mux.HandleFunc("POST "+fakeAPI+"/containers/{id}/exec", f.execCreate)
	mux.HandleFunc("POST "+fakeAPI+"/exec/{id}/start", f.execStart)
	mux.HandleFunc("POST "+fakeAPI+"/exec/{id}/resize", f.execResize)
	mux.HandleFunc("GET "+fakeAPI+"/exec/{id}/json", f.execInspect)
	mux.HandleFunc("HEAD "+fakeAPI+"/containers/{id}/archive", f.statPath)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake engine: unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	f.srv = httptest.NewServer(mux)
	return f
}

// kill stops the engine at once, as a crashed daemon: no new connections,
// every open one cut.
func (f *fakeEngine) kill() {
	f.srv.Listener.Close()
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// host is the address to give Config.Host.
func (f *fakeEngine) host() string { return "tcp://" + f.srv.Listener.Addr().String() }

func (f *fakeEngine) add(id, name, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &fakeContainer{id: id, name: name, state: state, stop: make(chan struct{}),
		bins: []string{"/bin/bash", "/bin/sh", "/bin/echo"}}
	if state == "running" {
		c.startedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	f.containers[id] = c
}

// setState changes a container as the engine would, ending its stats streams
// when it stops, and emits the matching event.
func (f *fakeEngine) setState(id, state, action string) {
	f.mu.Lock()
	c := f.containers[id]
	was := c.state
	c.state = state
	if live(was) && !live(state) {
		close(c.stop)
		c.stop = make(chan struct{})
		c.startedAt = time.Time{}
	}
	if !live(was) && live(state) {
		c.startedAt = time.Now().UTC()
	}
	f.mu.Unlock()
	f.emit(id, action)
}

func (f *fakeEngine) emit(id, action string) {
	f.events <- events.Message{Type: events.ContainerEventType, Action: events.Action(action),
		Actor: events.Actor{ID: id}, TimeNano: time.Now().UnixNano()}
}

func (f *fakeEngine) counts() (streams, subscribed, lists int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.streams, f.subscribed, f.lists
}

func (f *fakeEngine) ping(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", "1.41")
	w.Header().Set("Ostype", "linux")
	w.Write([]byte("OK"))
}

func (f *fakeEngine) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, types.Version{Version: "20.10.24+dfsg1", APIVersion: "1.41", Os: "linux",
		Components: []types.ComponentVersion{{Name: "Engine", Version: "20.10.24+dfsg1"}}})
}

func (f *fakeEngine) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.lists++
	out := make([]container.Summary, 0, len(f.containers))
	for _, c := range f.containers {
		status := "Up 2 minutes"
		switch c.state {
		case "exited":
			status = fmt.Sprintf("Exited (%d) 1 second ago", c.exitCode)
		case "paused":
			status = "Up 2 minutes (Paused)"
		case "created":
			status = "Created"
		}
		out = append(out, container.Summary{ID: c.id, Names: []string{"/" + c.name}, Image: "test/sleeper:1",
			State: container.ContainerState(c.state), Status: status, Command: c.command, Ports: c.ports})
	}
	f.mu.Unlock()
	writeJSON(w, out)
}

func (f *fakeEngine) get(w http.ResponseWriter, r *http.Request) *fakeContainer {
	id := r.PathValue("id")
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		return c
	}
	for _, c := range f.containers {
		if c.name == id {
			return c
		}
	}
	failJSON(w, http.StatusNotFound, "No such container: "+id)
	return nil
}

func (f *fakeEngine) inspect(w http.ResponseWriter, r *http.Request) {
	c := f.get(w, r)
	if c == nil {
		return
	}
	f.mu.Lock()
	started := "0001-01-01T00:00:00Z"
	if !c.startedAt.IsZero() {
		started = c.startedAt.Format(time.RFC3339Nano)
	}
	info := container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: c.id, Name: "/" + c.name, RestartCount: c.restarts,
			State: &container.State{Status: container.ContainerState(c.state), Running: live(c.state),
				Paused: c.state == "paused", ExitCode: c.exitCode, StartedAt: started}},
		Config: &container.Config{Tty: c.tty},
	}
	if c.health != "" {
		info.State.Health = &container.Health{Status: container.HealthStatus(c.health)}
	}
	f.mu.Unlock()
	writeJSON(w, info)
}

// stats streams frames like dockerd 20.10: the first has no precpu_stats,
// each later one carries the previous frame's CPU figures.
func (f *fakeEngine) stats(w http.ResponseWriter, r *http.Request) {
	c := f.get(w, r)
	if c == nil {
		return
	}
	if r.URL.Query().Get("stream") != "1" {
		f.t.Errorf("fake engine: stats without streaming: %s", r.URL)
	}
	f.mu.Lock()
	stop := c.stop
	running := live(c.state)
	f.streams++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.streams--
		f.mu.Unlock()
	}()
	if !running {
		return
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var pre container.CPUStats
	var preRead time.Time
	tick := time.NewTicker(f.frameEvery)
	defer tick.Stop()
	enc := json.NewEncoder(w)
	for k := uint64(0); ; k++ {
		select {
		case <-tick.C:
		case <-stop:
			return
		case <-r.Context().Done():
			return
		}
		fr := fakeFrame(c.id, k, base)
		fr.PreCPUStats, fr.PreRead = pre, preRead
		pre, preRead = fr.CPUStats, fr.Read
		if err := enc.Encode(fr); err != nil {
			return
		}
		w.(http.Flusher).Flush()
	}
}

// fakeFrame is frame k of a container using half a core of two, 60 MiB
// (64 MiB minus 4 MiB inactive file cache), receiving 1000 B/s, sending
// 10 B/s and reading 4096 B/s, by the frames' own 1 s stamps.
func fakeFrame(id string, k uint64, base time.Time) container.StatsResponse {
	var fr container.StatsResponse
	fr.ID, fr.Name = id, "/"+id
	fr.Read = base.Add(time.Duration(k) * time.Second)
	fr.CPUStats.CPUUsage.TotalUsage = 1e9 + k*5e8
	fr.CPUStats.SystemUsage = 1e12 + k*2e9
	fr.CPUStats.OnlineCPUs = 2
	fr.MemoryStats = container.MemoryStats{Usage: 64 << 20, Limit: 1 << 30,
		Stats: map[string]uint64{"total_inactive_file": 4 << 20, "cache": 8 << 20}}
	fr.PidsStats.Current = 7
	fr.Networks = map[string]container.NetworkStats{"eth0": {RxBytes: k * 1000, TxBytes: k * 10}}
	fr.BlkioStats.IoServiceBytesRecursive = []container.BlkioStatEntry{
		{Major: 8, Op: "Read", Value: k * 4096}, {Major: 8, Op: "Write", Value: 0}, {Major: 8, Op: "Total", Value: k * 4096}}
	return fr
}

func (f *fakeEngine) logs(w http.ResponseWriter, r *http.Request) {
	c := f.get(w, r)
	if c == nil {
		return
	}
	if c.tty {
		w.Write([]byte("tty line one\r\ntty line two\r\n"))
		return
	}
	out := stdcopy.NewStdWriter(w, stdcopy.Stdout)
	errw := stdcopy.NewStdWriter(w, stdcopy.Stderr)
	out.Write([]byte("sleeper: started\n"))
	errw.Write([]byte("sleeper: stderr is here too\n"))
	out.Write([]byte("sleeper: still here\n"))
}

func (f *fakeEngine) act(w http.ResponseWriter, r *http.Request) {
	c := f.get(w, r)
	if c == nil {
		return
	}
	f.mu.Lock()
	state := c.state
	f.mu.Unlock()
	conflict := func(msg string) { failJSON(w, http.StatusConflict, msg) }
	switch r.PathValue("action") {
	case "start":
		if live(state) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		f.setState(c.id, "running", "start")
	case "stop":
		if !live(state) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		f.setState(c.id, "exited", "die")
	case "restart":
		f.setState(c.id, "exited", "die")
		f.setState(c.id, "running", "start")
		f.emit(c.id, "restart")
	case "pause":
		if state != "running" {
			conflict("Container " + c.id + " is not running")
			return
		}
		f.setState(c.id, "paused", "pause")
	case "unpause":
		if state != "paused" {
			conflict("Container " + c.id + " is not paused")
			return
		}
		f.setState(c.id, "running", "unpause")
	default:
		http.NotFound(w, r)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeEngine) remove(w http.ResponseWriter, r *http.Request) {
	c := f.get(w, r)
	if c == nil {
		return
	}
	if r.URL.Query().Get("force") != "1" {
		f.t.Errorf("fake engine: remove without force: %s", r.URL)
	}
	f.setState(c.id, "removing", "die")
	f.mu.Lock()
	delete(f.containers, c.id)
	f.mu.Unlock()
	f.emit(c.id, "destroy")
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeEngine) watch(w http.ResponseWriter, r *http.Request) {
	filters := r.URL.Query().Get("filters")
	for _, want := range []string{`"type":{"container":true}`, `"start":true`, `"die":true`, `"destroy":true`} {
		if !strings.Contains(filters, want) {
			f.t.Errorf("fake engine: events filter %s lacks %s", filters, want)
		}
	}
	f.mu.Lock()
	f.subscribed++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.subscribed--
		f.mu.Unlock()
	}()
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	enc := json.NewEncoder(w)
	for {
		select {
		case m := <-f.events:
			if enc.Encode(m) != nil {
				return
			}
			w.(http.Flusher).Flush()
		case <-r.Context().Done():
			return
		}
	}
}

// failJSON answers with an error as dockerd does.
func failJSON(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func find(sec model.ContainerSection, name string) *model.Container {
	i := slices.IndexFunc(sec.Items, func(c model.Container) bool { return c.Name == name })
	if i < 0 {
		return nil
	}
	return &sec.Items[i]
}

// setBins says which commands an exec can start in container id.
func (f *fakeEngine) setBins(id string, bins ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers[id].bins = bins
}

// execsMade lists the commands of the execs created so far.
func (f *fakeEngine) execsMade() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.execCmds {
		out = append(out, strings.Join(c, " "))
	}
	return out
}

// lastExec returns a copy of the last exec created.
func (f *fakeEngine) lastExec() fakeExec {
	f.mu.Lock()
	defer f.mu.Unlock()
	var last *fakeExec
	for _, e := range f.execs {
		if last == nil || e.id > last.id {
			last = e
		}
	}
	if last == nil {
		return fakeExec{}
	}
	return *last
}

// execCreate refuses containers that are not running in dockerd's words.
func (f *fakeEngine) execCreate(w http.ResponseWriter, r *http.Request) {
	c := f.get(w, r)
	if c == nil {
		return
	}
	var opts container.ExecOptions
	if err := json.NewDecoder(r.Body).Decode(&opts); err != nil {
		failJSON(w, http.StatusBadRequest, err.Error())
		return
	}
	if !opts.Tty || !opts.AttachStdin || !opts.AttachStdout || !opts.AttachStderr || len(opts.Cmd) == 0 {
		f.t.Errorf("fake engine: exec options %+v; want a terminal, all streams and a command", opts)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch c.state {
	case "running":
	case "paused":
		failJSON(w, http.StatusConflict, "Container "+c.id+" is paused, unpause the container before exec")
		return
	default:
		failJSON(w, http.StatusConflict, "Container "+c.id+" is not running")
		return
	}
	e := &fakeExec{id: fmt.Sprintf("exec-%04d", len(f.execCmds)), container: c.id, cmd: opts.Cmd}
	f.execs[e.id] = e
	f.execCmds = append(f.execCmds, opts.Cmd)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(container.ExecCreateResponse{ID: e.id})
}

func (f *fakeEngine) exec(w http.ResponseWriter, r *http.Request) *fakeExec {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.execs[r.PathValue("id")]; ok {
		return e
	}
	failJSON(w, http.StatusNotFound, "No such exec instance: "+r.PathValue("id"))
	return nil
}

// execStart hijacks the connection and plays the command on it: a tiny
// shell (echoing input as a terminal does, answering `stty size` and
// `echo`, ending on `exit`), or /bin/echo, or the engine's words when the
// command is not in the container.
func (f *fakeEngine) execStart(w http.ResponseWriter, r *http.Request) {
	e := f.exec(w, r)
	if e == nil {
		return
	}
	if r.Header.Get("Upgrade") != "tcp" {
		f.t.Errorf("fake engine: exec start without a hijack: %v", r.Header)
	}
	if f.hangStart != nil {
		<-f.hangStart
		return
	}
	// Read the start options first: closing a connection with unread
	// bytes resets it, and the client would lose the output before.
	var opts container.ExecStartOptions
	if err := json.NewDecoder(r.Body).Decode(&opts); err != nil || !opts.Tty {
		f.t.Errorf("fake engine: exec start options %+v, %v; want a terminal", opts, err)
	}
	conn, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		f.t.Errorf("fake engine: hijack: %v", err)
		return
	}
	defer conn.Close()
	rw.WriteString("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
	rw.Flush()

	f.mu.Lock()
	e.running = true // dockerd: running, no pid yet, while the runtime starts it
	cmd := e.cmd
	found := slices.Contains(f.containers[e.container].bins, cmd[0])
	f.mu.Unlock()
	time.Sleep(10 * time.Millisecond)
	end := func(code int) {
		f.mu.Lock()
		e.running, e.exitCode = false, code
		if f.podman || code == 126 || code == 127 {
			e.pid = 0
		}
		f.mu.Unlock()
	}
	if !found {
		if f.podman {
			end(127)
			fmt.Fprintf(rw, "Error: runc: exec failed: unable to start container process: exec: %q: stat %s: no such file or directory: OCI runtime attempted to invoke a command that was not found\n", cmd[0], cmd[0])
		} else {
			end(126)
			fmt.Fprintf(rw, "OCI runtime exec failed: exec failed: unable to start container process: exec: %q: stat %s: no such file or directory: unknown\r\n", cmd[0], cmd[0])
		}
		rw.Flush()
		return
	}
	f.mu.Lock()
	e.pid = 4242
	f.mu.Unlock()
	if cmd[0] == "/bin/echo" {
		rw.WriteString(strings.Join(cmd[1:], " ") + "\r\n")
		rw.Flush()
		end(0)
		return
	}
	rw.WriteString("$ ")
	rw.Flush()
	for {
		line, err := rw.ReadString('\n')
		if err != nil {
			f.mu.Lock()
			e.hungUp = true // the command goes on, as in a real engine
			f.mu.Unlock()
			return
		}
		line = strings.TrimSpace(line)
		rw.WriteString(line + "\r\n")
		switch {
		case line == "exit":
			rw.Flush()
			end(0)
			return
		case line == "stty size":
			f.mu.Lock()
			fmt.Fprintf(rw, "%d %d\r\n", e.rows, e.cols)
			f.mu.Unlock()
		case strings.HasPrefix(line, "echo "):
			rw.WriteString(strings.TrimPrefix(line, "echo ") + "\r\n")
		}
		rw.WriteString("$ ")
		rw.Flush()
	}
}

func (f *fakeEngine) execResize(w http.ResponseWriter, r *http.Request) {
	e := f.exec(w, r)
	if e == nil {
		return
	}
	h, err1 := strconv.ParseUint(r.URL.Query().Get("h"), 10, 32)
	wd, err2 := strconv.ParseUint(r.URL.Query().Get("w"), 10, 32)
	if err1 != nil || err2 != nil {
		failJSON(w, http.StatusBadRequest, "bad size "+r.URL.RawQuery)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !e.running {
		failJSON(w, http.StatusInternalServerError, "cannot resize a stopped container: unknown")
		return
	}
	e.rows, e.cols = uint(h), uint(wd)
	w.WriteHeader(http.StatusOK)
}

func (f *fakeEngine) execInspect(w http.ResponseWriter, r *http.Request) {
	e := f.exec(w, r)
	if e == nil {
		return
	}
	f.mu.Lock()
	info := container.ExecInspect{ExecID: e.id, ContainerID: e.container, Running: e.running, ExitCode: e.exitCode, Pid: e.pid}
	f.mu.Unlock()
	writeJSON(w, info)
}

// statPath answers a stat of a path as dockerd does: the stat in a header,
// or 404 when there is no such file.
func (f *fakeEngine) statPath(w http.ResponseWriter, r *http.Request) {
	c := f.get(w, r)
	if c == nil {
		return
	}
	path := r.URL.Query().Get("path")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.noStat:
		w.WriteHeader(http.StatusInternalServerError)
	case slices.Contains(c.bins, path):
		b, _ := json.Marshal(container.PathStat{Name: filepath.Base(path), Size: 1000, Mode: 0o755})
		w.Header().Set("X-Docker-Container-Path-Stat", base64.StdEncoding.EncodeToString(b))
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}
