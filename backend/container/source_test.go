package container

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http/httptest"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func TestDeadEngine(t *testing.T) {
	const host = "unix:///nonexistent/docker.sock"
	began := time.Now()
	s := NewSource(Config{Host: host})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 2 { // the second answer comes from the backoff, without asking
		sec := s.Poll(ctx)
		if sec.IsUp() || sec.Items != nil || sec.Host != host {
			t.Fatalf("Poll %d = %+v; want unavailable at %s with no items", i, sec, host)
		}
		if !strings.Contains(sec.Reason, "Docker is not running at "+host) {
			t.Fatalf("Poll %d error = %q; want it to say Docker is not running at %s", i, sec.Reason, host)
		}
	}
	if err := s.Act(ctx, "web", model.StartContainer); err == nil || !strings.Contains(err.Error(), host) {
		t.Fatalf("Act on a dead engine = %v; want an error naming %s", err, host)
	}
	if _, err := s.Logs(ctx, "web", 10, false); err == nil || !strings.Contains(err.Error(), host) {
		t.Fatalf("Logs on a dead engine = %v; want an error naming %s", err, host)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > time.Second {
		t.Fatalf("dead engine took %v; want well under 1 s", d)
	}
}

func TestUnusableHost(t *testing.T) {
	for _, host := range []string{"ssh://me@127.0.0.1/some/path", "tcp://", "nonsense"} {
		s := NewSource(Config{Host: host})
		sec := s.Poll(context.Background())
		s.Close()
		if sec.IsUp() || !strings.Contains(sec.Reason, `cannot use Docker host "`+host+`"`) {
			t.Errorf("Poll with host %q = %+v; want it refused in words", host, sec)
		}
	}
}

func TestSSHHostThatRefuses(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh client")
	}
	// Port 1 on loopback: nothing listens, ssh says so at once.
	s := NewSource(Config{Host: "ssh://me@127.0.0.1:1"})
	defer s.Close()
	sec := s.Poll(context.Background())
	if sec.IsUp() || sec.Host != "ssh://me@127.0.0.1:1" || !strings.Contains(sec.Reason, "ssh://me@127.0.0.1:1") ||
		!strings.Contains(sec.Reason, "refused") {
		t.Fatalf("an ssh host nobody serves: %+v", sec)
	}
}

func TestSSHArgs(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"ssh://host", "-o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -- host docker system dial-stdio"},
		{"ssh://me@host:2222", "-o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -l me -p 2222 -- host docker system dial-stdio"},
		{"ssh://-oProxyCommand=x", ""}, // not a host name
		{"ssh://host/path", ""},
		{"tcp://host", ""},
	}
	for _, tt := range tests {
		args, err := sshArgs(tt.addr)
		if got := strings.Join(args, " "); got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("sshArgs(%q) = %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
}

// pollUntil polls until cond holds for the section, failing at the deadline.
func pollUntil(t *testing.T, s *Source, within time.Duration, what string, cond func(model.ContainerSection) bool) model.ContainerSection {
	t.Helper()
	var sec model.ContainerSection
	eventually(t, within, what, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		sec = s.Poll(ctx)
		return cond(sec)
	})
	return sec
}

// waitChanged waits for a Changed signal.
func waitChanged(t *testing.T, s *Source, what string) {
	t.Helper()
	select {
	case <-s.Changed():
	case <-time.After(10 * time.Second):
		t.Fatalf("no Changed signal within 10 s after %s", what)
	}
}

func drainChanged(s *Source) {
	select {
	case <-s.Changed():
	default:
	}
}

func hasCPU(name string) func(model.ContainerSection) bool {
	return func(sec model.ContainerSection) bool {
		c := find(sec, name)
		return c != nil && c.CPUPercent != nil && c.NetRxBps != nil
	}
}

func TestPollMergesStreams(t *testing.T) {
	f := newFakeEngine(t)
	defer f.srv.Close()
	f.add("id-web", "web", "running")
	f.add("id-db", "db", "running")
	f.add("id-old", "old", "exited")
	f.containers["id-old"].exitCode = 3
	f.containers["id-web"].restarts = 2
	f.containers["id-web"].command = "/bin/sleeper --serve"
	f.containers["id-web"].health = "healthy"
	f.containers["id-web"].ports = []container.Port{{IP: "::", PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
		{PrivatePort: 443, Type: "tcp"}, {IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp"}}

	s := NewSource(Config{Host: f.host()})
	defer s.Close()
	sec := pollUntil(t, s, 5*time.Second, "stats for web and db", func(sec model.ContainerSection) bool {
		return hasCPU("web")(sec) && hasCPU("db")(sec)
	})

	if !sec.IsUp() || sec.Reason != "" || sec.Host != f.host() || sec.Engine != "Docker 20.10.24+dfsg1 (API 1.41)" {
		t.Fatalf("section = %+v", sec)
	}
	var names []string
	for _, c := range sec.Items {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "db,old,web" {
		t.Fatalf("items %v; want sorted db,old,web", names)
	}

	web := find(sec, "web")
	check := func(what string, got *float64, want float64) {
		t.Helper()
		if got == nil || !near(*got, want) {
			t.Errorf("web %s = %v; want %v", what, got, want)
		}
	}
	check("cpu", web.CPUPercent, 50)
	check("net rx", web.NetRxBps, 1000)
	check("net tx", web.NetTxBps, 10)
	check("block read", web.BlockReadBps, 4096)
	check("block write", web.BlockWriteBps, 0)
	if web.MemUsageBytes == nil || *web.MemUsageBytes != 60<<20 || web.MemLimitBytes == nil || *web.MemLimitBytes != 1<<30 {
		t.Errorf("web memory = %v / %v; want %d / %d", web.MemUsageBytes, web.MemLimitBytes, 60<<20, 1<<30)
	}
	if web.PIDs == nil || *web.PIDs != 7 {
		t.Errorf("web pids = %v; want 7", web.PIDs)
	}
	if !web.StartedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || web.RestartCount != 2 || web.State != "running" || web.Image != "test/sleeper:1" {
		t.Errorf("web = %+v", web)
	}

	// Command, ports and health come from the list and the inspect made on
	// an event, never from a call per container per refresh.
	wantPorts := []model.ContainerPort{{HostIP: "0.0.0.0", Public: 8080, Private: 80, Proto: "tcp"},
		{HostIP: "::", Public: 8080, Private: 80, Proto: "tcp"}, {Private: 443, Proto: "tcp"}}
	if web.Command != "/bin/sleeper --serve" || web.Health != "healthy" || !slices.Equal(web.Ports, wantPorts) {
		t.Errorf("web command %q, health %q, ports %+v", web.Command, web.Health, web.Ports)
	}

	old := find(sec, "old")
	if old.CPUPercent != nil || old.MemUsageBytes != nil || old.PIDs != nil || !old.StartedAt.IsZero() || old.ExitCode != 3 {
		t.Errorf("exited container = %+v; want no figures, exit code 3", old)
	}
	b, _ := json.Marshal(old)
	if bytes.Contains(b, []byte("started_at")) || !bytes.Contains(b, []byte(`"cpu_percent":null`)) {
		t.Errorf("exited container JSON = %s; want no started_at, null cpu_percent", b)
	}
	if b, _ = json.Marshal(web); !bytes.Contains(b, []byte(`"started_at":"2026-01-02T03:04:05Z"`)) {
		t.Errorf("running container JSON = %s; want its started_at", b)
	}
	if streams, _, _ := f.counts(); streams != 2 {
		t.Errorf("%d stats streams open; want 2, one per running container", streams)
	}

	// The container stops: an event arrives, its figures go and its stream ends.
	drainChanged(s)
	f.setState("id-web", "exited", "die")
	waitChanged(t, s, "a die event")
	sec = s.Poll(context.Background())
	if web = find(sec, "web"); web.State != "exited" || web.CPUPercent != nil || web.PIDs != nil || !web.StartedAt.IsZero() {
		t.Errorf("stopped container = %+v; want exited with no figures", web)
	}
	eventually(t, 5*time.Second, "the stopped container's stream to end", func() bool {
		streams, _, _ := f.counts()
		return streams == 1
	})

	// It starts again: a new stream, figures again.
	f.setState("id-web", "running", "start")
	waitChanged(t, s, "a start event")
	pollUntil(t, s, 5*time.Second, "stats for the restarted web", hasCPU("web"))
}

func TestActThroughEngine(t *testing.T) {
	f := newFakeEngine(t)
	defer f.srv.Close()
	f.add("id-web", "web", "running")
	s := NewSource(Config{Host: f.host()})
	defer s.Close()
	ctx := context.Background()
	pollUntil(t, s, 5*time.Second, "web listed", func(sec model.ContainerSection) bool { return find(sec, "web") != nil })
	eventually(t, 5*time.Second, "events subscription", func() bool { _, sub, _ := f.counts(); return sub == 1 })

	steps := []struct {
		a     model.ContainerAction
		state string // "" = gone
	}{{model.PauseContainer, "paused"}, {model.UnpauseContainer, "running"}, {model.StopContainer, "exited"}, {model.StartContainer, "running"}, {model.RestartContainer, "running"}, {model.RemoveContainer, ""}}
	for _, st := range steps {
		drainChanged(s)
		if err := s.Act(ctx, "id-web", st.a); err != nil {
			t.Fatalf("%v: %v", st.a, err)
		}
		waitChanged(t, s, st.a.String())
		c := find(s.Poll(ctx), "web")
		switch {
		case st.state == "" && c != nil:
			t.Fatalf("after %v web is still listed: %+v", st.a, c)
		case st.state != "" && (c == nil || c.State != st.state):
			t.Fatalf("after %v web = %+v; want state %s", st.a, c, st.state)
		}
	}

	f.add("id-db", "db", "exited")
	s.Poll(ctx) // learns the name for the words
	err := s.Act(ctx, "id-db", model.PauseContainer)
	if err == nil || err.Error() != "cannot pause container db: Container id-db is not running" {
		t.Errorf("pause of an exited container = %v", err)
	}
	err = s.Act(ctx, "nosuch", model.StartContainer)
	if err == nil || err.Error() != "cannot start container nosuch: it no longer exists" {
		t.Errorf("start of a missing container = %v", err)
	}
	if err := s.Act(ctx, "id-db", model.ContainerAction(0)); err == nil {
		t.Error("Act with no action succeeded")
	}
}

func TestLogsDemultiplexed(t *testing.T) {
	f := newFakeEngine(t)
	defer f.srv.Close()
	f.add("id-web", "web", "running")
	f.add("id-tty", "tty", "running")
	f.containers["id-tty"].tty = true
	s := NewSource(Config{Host: f.host()})
	defer s.Close()
	ctx := context.Background()

	read := func(id string) string {
		t.Helper()
		r, err := s.Logs(ctx, id, 100, false)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := read("id-web"), "sleeper: started\nsleeper: stderr is here too\nsleeper: still here\n"; got != want {
		t.Errorf("logs = %q; want %q", got, want)
	}
	if got, want := read("id-tty"), "tty line one\r\ntty line two\r\n"; got != want {
		t.Errorf("tty logs = %q; want %q", got, want)
	}
	if _, err := s.Logs(ctx, "nosuch", 10, false); err == nil || err.Error() != "no logs for container nosuch: it no longer exists" {
		t.Errorf("logs of a missing container = %v", err)
	}
}

// ourGoroutines lists the goroutines of this package or of the Docker client.
func ourGoroutines() []string {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	var out []string
	for g := range strings.SplitSeq(b.String(), "\n\n") {
		if strings.Contains(g, "backend/container.(*Source)") || strings.Contains(g, "backend/container.(*logReader)") ||
			strings.Contains(g, "docker/docker/client.(*Client)") {
			out = append(out, g)
		}
	}
	return out
}

// noneOutlive fails the test unless the Source's and client's goroutines
// are gone within 5 s of Close (the client's event reader leaves on its own
// schedule once its context ends).
func noneOutlive(t *testing.T) {
	t.Helper()
	var g []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if g = ourGoroutines(); len(g) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(g) != 0 {
		t.Errorf("goroutines outlive Close:\n%s", strings.Join(g, "\n\n"))
	}
}

func TestCloseStopsEverything(t *testing.T) {
	f := newFakeEngine(t)
	defer f.srv.Close()
	for _, n := range []string{"a", "b", "c"} {
		f.add("id-"+n, n, "running")
	}
	s := NewSource(Config{Host: f.host()})
	pollUntil(t, s, 5*time.Second, "stats for all", func(sec model.ContainerSection) bool {
		return hasCPU("a")(sec) && hasCPU("b")(sec) && hasCPU("c")(sec)
	})
	// A log reader nobody reads: its copier blocks on the pipe until Close.
	r, err := s.Logs(context.Background(), "id-a", -1, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(ourGoroutines()) == 0 {
		t.Fatal("no goroutines seen before Close: the check below would prove nothing")
	}

	done := make(chan error)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5 s")
	}
	noneOutlive(t)
	eventually(t, 5*time.Second, "the engine to see every stream closed", func() bool {
		streams, sub, _ := f.counts()
		return streams == 0 && sub == 0
	})
	if _, err := r.Read(make([]byte, 1)); err == nil {
		t.Error("log reader still readable after Close")
	}

	began := time.Now()
	sec := s.Poll(context.Background())
	if sec.IsUp() || !strings.Contains(sec.Reason, "stopped") || time.Since(began) > time.Second {
		t.Fatalf("Poll after Close = %+v after %v; want unavailable at once", sec, time.Since(began))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

// TestEngineComesBack kills the engine and brings it back on the same
// address: the Source must notice both without being recreated.
func TestEngineComesBack(t *testing.T) {
	f := newFakeEngine(t)
	f.add("id-web", "web", "running")
	addr := f.srv.Listener.Addr().String()
	s := NewSource(Config{Host: f.host()})
	defer s.Close()
	pollUntil(t, s, 5*time.Second, "web stats", hasCPU("web"))
	eventually(t, 5*time.Second, "events subscription", func() bool { _, sub, _ := f.counts(); return sub == 1 })

	f.kill()
	sec := pollUntil(t, s, 5*time.Second, "the engine to be missed", func(sec model.ContainerSection) bool { return !sec.IsUp() })
	if !strings.Contains(sec.Reason, "Docker is not running at tcp://"+addr) || sec.Items != nil {
		t.Fatalf("section without engine = %+v", sec)
	}

	// The same address again, as a restarted daemon would be.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	drainChanged(s)
	g := newFakeEngine(t)
	g.srv.Close()
	g.srv = httptest.NewUnstartedServer(g.srv.Config.Handler)
	g.srv.Listener = l
	g.srv.Start()
	defer g.kill()
	g.add("id-web", "web", "running")

	waitChanged(t, s, "the engine came back")
	sec = s.Poll(context.Background())
	if !sec.IsUp() || find(sec, "web") == nil {
		t.Fatalf("Poll right after the comeback signal = %+v; want web listed", sec)
	}
	pollUntil(t, s, 5*time.Second, "web stats after the comeback", hasCPU("web"))
	drainChanged(s)
	g.setState("id-web", "paused", "pause")
	waitChanged(t, s, "an event on the new subscription")
}
