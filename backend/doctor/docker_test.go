package doctor

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types"

	"github.com/horcrux-desktop/horcrux/backend/container"
)

func TestDockerNoSocket(t *testing.T) {
	const host = "unix:///nonexistent/docker.sock"
	empty := t.TempDir()
	t.Run("Docker installed", func(t *testing.T) {
		c := newChecker(Config{DockerHost: host})
		if !c.haveBinary("dockerd") {
			t.Skip("dockerd is not installed here")
		}
		expect(t, c.docker(context.Background()), StatusFailed,
			[]string{"Docker is installed but not running", "no socket at /nonexistent/docker.sock"}, []string{"sudo systemctl start docker"})
	})
	t.Run("not installed, host named: failed", func(t *testing.T) {
		c := newChecker(Config{DockerHost: host, Env: envOf("PATH", empty)})
		c.daemonDirs = []string{empty}
		expect(t, c.docker(context.Background()), StatusFailed,
			[]string{"Docker is not installed or not running", "container list is disabled"}, []string{"sudo apt-get install docker.io", "sudo systemctl start docker"})
	})
	t.Run("not installed, default host: warning", func(t *testing.T) {
		c := newChecker(Config{Env: envOf("PATH", empty, "XDG_RUNTIME_DIR", empty)})
		c.dockerHost, c.daemonDirs = host, []string{empty} // as if the default socket were missing
		if c.dockerExplicit {
			t.Fatal("no host was named, yet it counts as explicit")
		}
		expect(t, c.docker(context.Background()), StatusWarning,
			[]string{"Docker is not installed or not running"}, []string{"sudo apt-get install docker.io"})
	})
	t.Run("DOCKER_HOST counts as named", func(t *testing.T) {
		c := newChecker(Config{Env: envOf("DOCKER_HOST", host, "PATH", empty)})
		c.daemonDirs = []string{empty}
		if r := c.docker(context.Background()); r.Status != StatusFailed || r.Check != "Docker connection "+host {
			t.Errorf("%+v", r)
		}
	})
	t.Run("rootless Docker elsewhere", func(t *testing.T) {
		runtime := t.TempDir()
		listenUnix(t, filepath.Join(runtime, "docker.sock"))
		c := newChecker(Config{Env: envOf("XDG_RUNTIME_DIR", runtime)})
		c.dockerHost = host
		expect(t, c.docker(context.Background()), StatusFailed,
			[]string{"rootless Docker has one at " + filepath.Join(runtime, "docker.sock")},
			[]string{"export DOCKER_HOST=unix://" + filepath.Join(runtime, "docker.sock")})
	})
}

func TestDockerStaleSocket(t *testing.T) {
	// A socket file left behind by a daemon that died: connection refused.
	sock := filepath.Join(t.TempDir(), "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	_ = ln.Close()
	c := newChecker(Config{DockerHost: "unix://" + sock})
	expect(t, c.docker(context.Background()), StatusFailed,
		[]string{"Docker is not running", "exists but nothing answers"}, []string{"sudo systemctl start docker"})
}

func TestDockerNotDocker(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "web.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	c := newChecker(Config{DockerHost: "unix://" + sock})
	expect(t, c.docker(context.Background()), StatusFailed, []string{"answers at unix://" + sock + " but not as Docker"}, []string{"--docker-host"})
}

func TestDockerHung(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hung.sock")
	hungSocket(t, sock)
	c := newChecker(Config{DockerHost: "unix://" + sock, Timeout: 500 * time.Millisecond})
	expect(t, c.docker(context.Background()), StatusFailed, []string{"did not answer within 500ms"}, []string{"restart docker"})
}

func TestDockerBadHost(t *testing.T) {
	for _, host := range []string{"ssh://me@box", "nonsense"} {
		c := newChecker(Config{DockerHost: host})
		expect(t, c.docker(context.Background()), StatusFailed, []string{"cannot use Docker host"}, []string{"unix:///path/to/docker.sock"})
	}
}

func TestEngineWords(t *testing.T) {
	tests := []struct {
		v    types.Version
		want string
	}{
		{types.Version{Version: "20.10.24", APIVersion: "1.41"}, "Docker 20.10.24 (API 1.41)"},
		{types.Version{Version: "4.3.1", APIVersion: "1.41", Components: []types.ComponentVersion{{Name: "Podman Engine", Version: "4.3.1"}}}, "Podman 4.3.1 (API 1.41)"},
		{types.Version{}, "Docker (unknown version)"},
	}
	for _, tt := range tests {
		if got := container.EngineName(tt.v); got != tt.want {
			t.Errorf("EngineName(%+v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// TestDockerPermissionDenied runs the Docker check as nobody against a
// socket only root may open, as a user outside the docker group would.
func TestDockerPermissionDenied(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the check must run as another user (nobody) against a socket root owns")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("needs setpriv(1) (util-linux) to run the check as nobody")
	}
	bin, dir := publicBinary(t)
	sockDir := filepath.Join(dir, "run")
	if err := os.Mkdir(sockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(sockDir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := os.Chmod(sock, 0o660); err != nil {
		t.Fatal(err)
	}
	cmd := helperCmd(t, bin, "docker", "unix://"+sock, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
	cmd.Dir = dir
	rs := runHelperCmd(t, cmd)
	if len(rs) != 1 {
		t.Fatalf("want one result: %s", dump(rs))
	}
	expect(t, rs[0], StatusFailed,
		[]string{"permission denied on " + sock, "owner root:root, mode 0660", "container list is empty"},
		[]string{"sudo usermod -aG docker $USER", "log out and in again"})
	// The same socket is fine for root: the denial was about the user.
	if r := newChecker(Config{DockerHost: "unix://" + sock, Timeout: time.Second}).docker(context.Background()); strings.Contains(r.Detail, "permission denied") {
		t.Errorf("root was denied too: %+v", r)
	}
}

// hungSocket listens on a unix socket at path, accepts and never answers;
// hanging up at the end lets abandoned calls return.
func hungSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
}
