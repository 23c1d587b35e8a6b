package container

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/busybox"
	"github.com/horcrux-desktop/horcrux/internal/sshtest"
)

const (
	bigFileSize = busybox.BigFileSize
	bigPattern  = busybox.BigPattern
)

// importBusybox makes the test image; see internal/busybox.
func importBusybox(t testing.TB, docker func(args ...string) string) { busybox.Import(t, docker) }

// term reads a shell in the background so a test can wait for output.
type term struct {
	t      testing.TB
	sh     *Shell
	chunks chan []byte
	buf    bytes.Buffer
}

func newTerm(t testing.TB, sh *Shell) *term {
	tm := &term{t: t, sh: sh, chunks: make(chan []byte, 256)}
	go func() {
		defer close(tm.chunks)
		for {
			p := make([]byte, 32<<10)
			n, err := sh.Read(p)
			if n > 0 {
				tm.chunks <- p[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return tm
}

func (tm *term) typeLine(line string) {
	tm.t.Helper()
	if _, err := tm.sh.Write([]byte(line + "\n")); err != nil {
		tm.t.Fatalf("typing %q: %v", line, err)
	}
}

// expect waits until the output since the last expect matches re and
// returns that output.
func (tm *term) expect(re *regexp.Regexp, within time.Duration) string {
	tm.t.Helper()
	timeout := time.After(within)
	for !re.Match(tm.buf.Bytes()) {
		select {
		case c, ok := <-tm.chunks:
			if !ok {
				tm.t.Fatalf("shell ended before %v; output: %q", re, tm.buf.String())
			}
			tm.buf.Write(c)
		case <-timeout:
			tm.t.Fatalf("no %v within %v; output: %q", re, within, tm.buf.String())
		}
	}
	out := tm.buf.String()
	tm.buf.Reset()
	return out
}

// catBig types a cat of /data/big and reads until the end marker; it
// returns the file as the terminal delivered it.
func (tm *term) catBig(within time.Duration) []byte {
	tm.t.Helper()
	tm.buf.Reset()
	tm.typeLine("cat /data/big; echo hx-EN''D")
	timeout := time.After(within)
	marker := []byte("hx-END")
	for {
		select {
		case c, ok := <-tm.chunks:
			if !ok {
				tm.t.Fatalf("shell ended during cat after %d bytes", tm.buf.Len())
			}
			from := max(0, tm.buf.Len()-len(marker))
			tm.buf.Write(c)
			if i := bytes.Index(tm.buf.Bytes()[from:], marker); i >= 0 {
				out := tm.buf.Bytes()[:from+i]
				tm.buf.Reset()
				if j := bytes.Index(out, []byte(bigPattern)); j >= 0 {
					return out[j:]
				}
				return nil
			}
		case <-timeout:
			tm.t.Fatalf("cat of /data/big not done within %v: %d bytes so far", within, tm.buf.Len())
		}
	}
}

func randomWord(t testing.TB) string {
	t.Helper()
	return strings.ToLower(rand.Text()[:10])
}

// testShells runs the shell checks against the engine at host, whose CLI
// docker reaches; prefix names the test's containers.
func testShells(t *testing.T, host string, docker func(args ...string) string, prefix string) {
	run := func(name string, args ...string) string {
		return docker(append([]string{"run", "-d", "--network=none", "--name", prefix + name, "hx/busybox:1"}, args...)...)
	}
	t.Cleanup(func() {
		if ids := docker("ps", "-aq", "--filter", "name="+prefix); ids != "" {
			docker(append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
		}
	})
	run("box", "/bin/sleep", "1000000")
	s := NewSource(Config{Host: host})
	t.Cleanup(func() { s.Close() })
	open := func(t *testing.T, name string, cmd []string, cols, rows int) (*Shell, error) {
		ctx, cancel := context.WithTimeout(context.Background(), s.shellBound()+5*time.Second)
		defer cancel()
		began := time.Now()
		sh, err := s.Shell(ctx, prefix+name, cmd, cols, rows)
		d := time.Since(began)
		if d > s.shellBound() {
			t.Errorf("Shell took %v; want within %v", d, s.shellBound())
		}
		t.Logf("Shell(%s, %q): %v", name, cmd, d.Round(time.Millisecond))
		return sh, err
	}

	t.Run("echo and size through the fallback to sh", func(t *testing.T) {
		sh, err := open(t, "box", nil, 80, 24)
		if err != nil {
			t.Fatal(err)
		}
		defer sh.Close()
		if got := strings.Join(sh.Command(), " "); got != "/bin/sh" {
			t.Errorf("command = %q; want the fallback /bin/sh (the image has no bash)", got)
		}
		tm := newTerm(t, sh)
		word := "hx-" + randomWord(t)
		tm.typeLine(fmt.Sprintf("echo %s''%s", word[:5], word[5:])) // the echoed command line does not hold word
		tm.expect(regexp.MustCompile(`(?m)^`+word+`\r?$`), 5*time.Second)

		tm.typeLine("stty size")
		tm.expect(regexp.MustCompile(`(?m)^24 80\r?$`), 5*time.Second)
		if err := sh.Resize(132, 43); err != nil {
			t.Fatal(err)
		}
		tm.typeLine("stty size")
		tm.expect(regexp.MustCompile(`(?m)^43 132\r?$`), 5*time.Second)

		tm.typeLine("exit")
		for range tm.chunks { // the stream ends with the shell
		}
		if err := sh.Resize(80, 24); err == nil {
			t.Error("Resize after the shell ended: no error")
		}
	})

	t.Run("cat of 10 MB arrives complete", func(t *testing.T) {
		sh, err := open(t, "box", nil, 200, 50)
		if err != nil {
			t.Fatal(err)
		}
		defer sh.Close()
		tm := newTerm(t, sh)
		tm.expect(regexp.MustCompile(`/ # `), 5*time.Second) // the prompt
		began := time.Now()
		got := tm.catBig(60 * time.Second)
		took := time.Since(began)
		if len(got) != bigFileSize || !bytes.Equal(got, bytes.Repeat([]byte(bigPattern), bigFileSize/len(bigPattern))) {
			t.Fatalf("cat delivered %d bytes (want %d), or other bytes than the file's", len(got), bigFileSize)
		}
		t.Logf("cat of %d MiB through the shell: %v (%.0f MB/s)", bigFileSize>>20, took.Round(time.Millisecond),
			float64(bigFileSize)/took.Seconds()/1e6)
	})

	t.Run("a command given is run as it is", func(t *testing.T) {
		_, err := open(t, "box", []string{"/bin/bash"}, 80, 24)
		if err == nil || !strings.Contains(err.Error(), "cannot run /bin/bash in container "+prefix+"box") ||
			!strings.Contains(err.Error(), "no such file or directory") {
			t.Fatalf("explicit /bin/bash in a container without bash = %v; want it refused, no fallback", err)
		}
		sh, err := open(t, "box", []string{"/bin/echo", "hx-given"}, 80, 24)
		if err != nil {
			t.Fatal(err)
		}
		defer sh.Close()
		tm := newTerm(t, sh)
		tm.expect(regexp.MustCompile(`hx-given\r\n`), 5*time.Second)
	})

	t.Run("stopped or missing container", func(t *testing.T) {
		run("stopped", "/bin/sleep", "1000000")
		docker("stop", "-t", "0", prefix+"stopped")
		_, err := open(t, "stopped", nil, 80, 24)
		if want := "cannot open a shell in container " + prefix + "stopped: it is not running (exited); start it first"; err == nil || err.Error() != want {
			t.Errorf("shell in a stopped container = %v; want %q", err, want)
		}
		_, err = open(t, "nosuch", nil, 80, 24)
		if want := "cannot open a shell in container " + prefix + "nosuch: there is no such container (removed?)"; err == nil || err.Error() != want {
			t.Errorf("shell in a missing container = %v; want %q", err, want)
		}
	})

	t.Run("close ends the session", func(t *testing.T) {
		sh, err := open(t, "box", nil, 80, 24)
		if err != nil {
			t.Fatal(err)
		}
		tm := newTerm(t, sh)
		tm.expect(regexp.MustCompile(`/ # `), 5*time.Second)
		sh.Close()
		select {
		case <-drained(tm.chunks):
		case <-time.After(5 * time.Second):
			t.Fatal("Read still blocked 5 s after Close")
		}
		if _, err := sh.Write([]byte("echo\n")); err == nil {
			t.Error("Write after Close: no error")
		}
	})
}

// drained is closed once chunks is closed, its chunks thrown away.
func drained(chunks <-chan []byte) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for range chunks {
		}
		close(done)
	}()
	return done
}

// TestIntegrationShell opens shells through a private dockerd of this test
// alone (scripts/dockerd.sh with its own directory).
func TestIntegrationShell(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("integration test: set HORCRUX_INTEGRATION=1 (starts a private dockerd with scripts/dockerd.sh)")
	}
	d := privateShellDockerd(t)
	testShells(t, d.host, d.docker, fmt.Sprintf("hx-shell-%d-", os.Getpid()))

	t.Run("engine down", func(t *testing.T) {
		s := NewSource(Config{Host: "unix://" + filepath.Join(t.TempDir(), "docker.sock")})
		defer s.Close()
		began := time.Now()
		_, err := s.Shell(context.Background(), "box", nil, 80, 24)
		if err == nil || !strings.Contains(err.Error(), "Docker is not running at unix://") || time.Since(began) > shellWithin {
			t.Fatalf("shell with no engine = %v after %v", err, time.Since(began))
		}
	})
}

// privateShellDockerd starts a dockerd in a directory of this process alone
// and imports hx/busybox:1 into it; it is stopped and removed at the end.
func privateShellDockerd(t testing.TB) *dockerEnv {
	dir := fmt.Sprintf("/tmp/hx-shell-dockerd-%d", os.Getpid()) // short: the socket path must fit in 108 bytes
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := startDockerdIn(t, dir)
	importBusybox(t, d.docker)
	return d
}

// BenchmarkShellCat10MB pulls the 10 MiB /data/big through a shell in a
// container of a private dockerd, as a console page would receive it
// ("shell"). The anchor, in the same run: the docker CLI's own
// `docker exec -t C cat /data/big`, which also pays for starting the CLI and
// the exec, measured alone as `docker exec -t C echo`.
func BenchmarkShellCat10MB(b *testing.B) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		b.Skip("integration benchmark: set HORCRUX_INTEGRATION=1 (starts a private dockerd with scripts/dockerd.sh)")
	}
	d := privateShellDockerd(b)
	name := fmt.Sprintf("hx-shell-bench-%d", os.Getpid())
	d.docker("run", "-d", "--network=none", "--name", name, "hx/busybox:1", "/bin/sleep", "1000000")
	b.Cleanup(func() { d.docker("rm", "-f", name) })

	b.Run("shell", func(b *testing.B) {
		s := NewSource(Config{Host: d.host})
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sh, err := s.Shell(ctx, name, nil, 200, 50)
		if err != nil {
			b.Fatal(err)
		}
		defer sh.Close()
		tm := newTerm(b, sh)
		tm.expect(regexp.MustCompile(`/ # `), 5*time.Second)
		b.SetBytes(bigFileSize)
		for b.Loop() {
			if got := tm.catBig(60 * time.Second); len(got) != bigFileSize {
				b.Fatalf("cat delivered %d bytes; want %d", len(got), bigFileSize)
			}
		}
	})
	cli := func(b *testing.B, args ...string) int64 {
		cmd := exec.Command(d.cli, append([]string{"exec", "-t", name}, args...)...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.host)
		var n countWriter
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &n, &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("docker exec: %v\n%s", err, stderr.String())
		}
		return int64(n)
	}
	b.Run("docker-exec-t-cat", func(b *testing.B) {
		b.SetBytes(bigFileSize)
		for b.Loop() {
			if n := cli(b, "cat", "/data/big"); n != bigFileSize {
				b.Fatalf("docker exec -t cat delivered %d bytes; want %d", n, bigFileSize)
			}
		}
	})
	b.Run("docker-exec-t-echo", func(b *testing.B) {
		for b.Loop() {
			cli(b, "echo")
		}
	})
}

// BenchmarkShellOpen measures Shell until the command runs, in a container
// without bash: the default (bash refused, then sh) and sh given.
func BenchmarkShellOpen(b *testing.B) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		b.Skip("integration benchmark: set HORCRUX_INTEGRATION=1 (starts a private dockerd with scripts/dockerd.sh)")
	}
	d := privateShellDockerd(b)
	name := fmt.Sprintf("hx-shell-bench-%d", os.Getpid())
	d.docker("run", "-d", "--network=none", "--name", name, "hx/busybox:1", "/bin/sleep", "1000000")
	b.Cleanup(func() { d.docker("rm", "-f", name) })
	s := NewSource(Config{Host: d.host})
	defer s.Close()
	for _, tt := range []struct {
		name string
		cmd  []string
	}{{"default-falls-back-to-sh", nil}, {"sh-given", []string{"/bin/sh"}}} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				sh, err := s.Shell(context.Background(), name, tt.cmd, 80, 24)
				if err != nil {
					b.Fatal(err)
				}
				sh.Write([]byte("exit\n"))
				sh.Close()
			}
		})
	}
}

// countWriter counts what is written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// TestIntegrationShellPodman runs the same shell checks against Podman's
// Docker-compatible API, served by a `podman system service` of this test
// alone (its own storage, run directory and socket).
func TestIntegrationShellPodman(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("integration test: set HORCRUX_INTEGRATION=1 (starts a private podman system service)")
	}
	host := startPodman(t)
	docker := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("/usr/bin/docker", args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("docker %s (Podman): %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	importBusybox(t, docker)
	if v := docker("version", "--format", "{{.Server.Version}}"); !strings.HasPrefix(v, "4.") {
		t.Fatalf("engine version %q; want Podman 4", v)
	}
	testShells(t, host, docker, fmt.Sprintf("hx-pshell-%d-", os.Getpid()))
}

// startPodman serves Podman's Docker-compatible API on a socket of its own,
// with the configuration ENVIRONMENT.md gives for this machine (cgroupfs,
// runc, file events, ulimits) and vfs storage (no mounts left behind). It
// returns the unix:// address; everything is stopped and removed at the end.
func startPodman(t *testing.T) string {
	t.Helper()
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Fatal("podman not found: apt-get install --no-install-recommends podman")
	}
	dir := fmt.Sprintf("/tmp/hx-podman-%d", os.Getpid())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(conf, []byte(`[containers]
default_ulimits = ["nofile=20000:20000","nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "podman.sock")
	global := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"), "--storage-driver", "vfs"}
	cmd := exec.Command(podman, append(global, "system", "service", "--time=0", "unix://"+sock)...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
	logs, err := os.Create(filepath.Join(dir, "podman.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Containers left running keep conmon processes: remove them all first.
		reset := exec.Command(podman, append(global, "system", "reset", "--force")...)
		reset.Env = cmd.Env
		if out, err := reset.CombinedOutput(); err != nil {
			t.Logf("podman system reset: %v\n%s", err, out)
		}
		cmd.Process.Kill()
		cmd.Wait()
		// conmon stays 300 s after an exec ends (--exit-delay): end those of
		// this service, found by its directory in their command lines.
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(dir+"/")) {
				if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil && pid != os.Getpid() {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		logs.Close()
		os.RemoveAll(dir)
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return "unix://" + sock
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logs.Name())
			t.Fatalf("podman system service did not listen on %s within 30 s:\n%s", sock, b)
		}
	}
}

// TestIntegrationShellOverSSH runs the shell checks against a private
// dockerd reached through a real sshd, as ssh://root@host: every hijacked
// exec connection is its own `ssh host docker system dial-stdio`.
func TestIntegrationShellOverSSH(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("integration test: set HORCRUX_INTEGRATION=1 (starts a private dockerd and sshd)")
	}
	d := privateShellDockerd(t)
	port := sshtest.Start(t, sshtest.Client(t), d.host).Port
	testShells(t, fmt.Sprintf("ssh://root@127.0.0.1:%d", port), d.docker, fmt.Sprintf("hx-sshell-%d-", os.Getpid()))
}
