package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
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
		c := newChecker(Config{DockerHosts: []string{host}})
		if !c.haveBinary("dockerd") {
			t.Skip("dockerd is not installed here")
		}
		expect(t, c.docker(context.Background(), c.engines[0]), StatusFailed,
			[]string{"Docker is installed but not running", "no socket at /nonexistent/docker.sock"}, []string{"sudo systemctl start docker"})
	})
	t.Run("not installed, host named: failed", func(t *testing.T) {
		c := newChecker(Config{DockerHosts: []string{host}, Env: envOf("PATH", empty)})
		c.daemonDirs = []string{empty}
		expect(t, c.docker(context.Background(), c.engines[0]), StatusFailed,
			[]string{"Docker is not installed or not running", "container list is disabled"}, []string{"sudo apt-get install docker.io", "sudo systemctl start docker"})
	})
	t.Run("not installed, default host: warning", func(t *testing.T) {
		c := newChecker(Config{Env: envOf("PATH", empty, "XDG_RUNTIME_DIR", empty)})
		c.engines[0].host, c.daemonDirs = host, []string{empty} // as if the default socket were missing
		if c.engines[0].explicit {
			t.Fatal("no host was named, yet it counts as explicit")
		}
		expect(t, c.docker(context.Background(), c.engines[0]), StatusWarning,
			[]string{"Docker is not installed or not running"}, []string{"sudo apt-get install docker.io"})
	})
	t.Run("DOCKER_HOST counts as named", func(t *testing.T) {
		c := newChecker(Config{Env: envOf("DOCKER_HOST", host, "PATH", empty)})
		c.daemonDirs = []string{empty}
		if r := c.docker(context.Background(), c.engines[0]); r.Status != StatusFailed || r.Check != "Docker connection "+host {
			t.Errorf("%+v", r)
		}
	})
	t.Run("rootless Docker elsewhere", func(t *testing.T) {
		runtime := t.TempDir()
		listenUnix(t, filepath.Join(runtime, "docker.sock"))
		c := newChecker(Config{Env: envOf("XDG_RUNTIME_DIR", runtime)})
		c.engines[0].host = host
		expect(t, c.docker(context.Background(), c.engines[0]), StatusFailed,
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
	c := newChecker(Config{DockerHosts: []string{"unix://" + sock}})
	expect(t, c.docker(context.Background(), c.engines[0]), StatusFailed,
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
	c := newChecker(Config{DockerHosts: []string{"unix://" + sock}})
	expect(t, c.docker(context.Background(), c.engines[0]), StatusFailed, []string{"answers at unix://" + sock + " but not as Docker"}, []string{"--docker-host"})
}

func TestDockerHung(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hung.sock")
	hungSocket(t, sock)
	c := newChecker(Config{DockerHosts: []string{"unix://" + sock}, Timeout: 500 * time.Millisecond})
	expect(t, c.docker(context.Background(), c.engines[0]), StatusFailed, []string{"did not answer within 500ms"}, []string{"restart docker"})
}

func TestDockerBadHost(t *testing.T) {
	for _, host := range []string{"nonsense", "fd://", "npipe:////./pipe/docker_engine"} {
		r := dockerOnly(context.Background(), Config{DockerHosts: []string{host}})
		expect(t, r, StatusFailed, []string{"cannot use Docker host"}, []string{"unix:///path/to/docker.sock", "ssh://user@host"})
	}
	// ssh:// is reached as the app reaches it; a malformed one says how to write it.
	r := dockerOnly(context.Background(), Config{DockerHosts: []string{"ssh://box/path"}})
	expect(t, r, StatusFailed, []string{"takes no path or query"}, []string{"ssh://user@host:port"})
}

// TestDockerAnswers: an engine that answers like Docker is ok, with its
// versions, through the client the container list uses.
func TestDockerAnswers(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		_, _ = w.Write([]byte("OK"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/version") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Version":"20.10.24","ApiVersion":"1.41"}`))
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	r := dockerOnly(context.Background(), Config{DockerHosts: []string{"unix://" + sock}})
	expect(t, r, StatusOK, []string{"Docker 20.10.24 (API 1.41) answers at unix://" + sock}, nil)
}

// TestSSHWords: every way an engine behind ssh fails is told in words, with
// a fix that names the host; ssh's and the remote docker's messages as
// they print them.
func TestSSHWords(t *testing.T) {
	const host = "ssh://deploy@box.lan:2222"
	tests := []struct {
		name     string
		host     string
		err      string
		timedOut bool
		detail   []string
		fix      []string
	}{
		{"ssh not installed", host, `cannot run ssh (install openssh-client): exec: "ssh": executable file not found in $PATH`, false,
			[]string{"ssh is not installed here", "engine on box.lan"}, []string{"sudo apt-get install openssh-client"}},
		{"bad address", "ssh://box/x", `"ssh://box/x": an ssh:// address takes no path or query`, false,
			[]string{"cannot use this address"}, []string{"ssh://user@host:port"}},
		{"unknown host", host, "ssh: Could not resolve hostname box.lan: Name or service not known", false,
			[]string{"host name box.lan is unknown (ssh: Could not resolve hostname box.lan: Name or service not known)"}, []string{"/etc/hosts or ~/.ssh/config"}},
		{"no sshd", host, "ssh: connect to host box.lan port 2222: Connection refused", false,
			[]string{"nothing accepts ssh connections on box.lan", "sshd is not running there"}, []string{"sudo systemctl start ssh", "ssh://user@host:port"}},
		{"unreachable", host, "ssh: connect to host box.lan port 2222: No route to host", false,
			[]string{"box.lan cannot be reached"}, []string{"`ssh -p 2222 deploy@box.lan true`"}},
		{"ssh times out", host, "ssh: connect to host box.lan port 2222: Connection timed out", false,
			[]string{"box.lan cannot be reached"}, []string{"network, VPN, firewall"}},
		{"no answer in time", host, "context deadline exceeded", true,
			[]string{"no answer from Docker on box.lan through ssh within 5s"}, []string{"`ssh -p 2222 deploy@box.lan docker version`"}},
		{"key refused", host, "ssh: deploy@box.lan: Permission denied (publickey,password).", false,
			[]string{"box.lan refused the ssh login", "Permission denied (publickey,password)", "never a password"},
			[]string{"ssh-copy-id deploy@box.lan", "`ssh -p 2222 deploy@box.lan docker version`"}},
		{"host key unknown", "ssh://box.lan", "ssh: Host key verification failed.", false,
			[]string{"does not trust the host key of box.lan"}, []string{"`ssh box.lan`", "ssh-keygen -R box.lan"}},
		{"no docker, bash", host, "ssh: bash: line 1: docker: command not found", false,
			[]string{"no `docker` command there"}, []string{"install Docker on box.lan"}},
		{"no docker, dash", host, "ssh: sh: 1: docker: not found", false,
			[]string{"no `docker` command there"}, []string{"sudo apt-get install docker.io"}},
		{"no docker, zsh", host, "ssh: zsh:1: command not found: docker", false,
			[]string{"no `docker` command there"}, []string{"install Docker on box.lan"}},
		{"old docker", host, "ssh: docker: 'system' is not a docker command.", false,
			[]string{"too old", "dial-stdio"}, []string{"upgrade Docker on box.lan"}},
		{"remote daemon down, as the client says it", host, "Cannot connect to the Docker daemon at http://docker.invalid. Is the docker daemon running?", false,
			[]string{"Docker is not running there (Cannot connect to the Docker daemon. Is the docker daemon running?)"}, []string{"start Docker on box.lan"}},
		{"remote daemon down", host, "ssh: failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: connection refused", false,
			[]string{"Docker is not running there"}, []string{"start Docker on box.lan"}},
		{"remote socket missing", host, "ssh: failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: no such file or directory", false,
			[]string{"Docker is not running there"}, []string{"sudo systemctl start docker"}},
		{"remote user not in the docker group", host, "ssh: failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: permission denied", false,
			[]string{"that user may not use Docker there"}, []string{"sudo usermod -aG docker"}},
		{"anything else", host, "ssh: kex_exchange_identification: Connection closed by remote host", false,
			[]string{"cannot reach Docker on box.lan through ssh", "kex_exchange_identification"}, []string{"`ssh -p 2222 deploy@box.lan docker version`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Wrapped as the Docker client wraps a failed request.
			err := fmt.Errorf("error during connect: %w", &url.Error{Op: "Get", URL: "http://docker.invalid/v1.41/version", Err: errors.New(tt.err)})
			detail, fix := sshWords(tt.host, err, tt.timedOut, 5*time.Second)
			if strings.Contains(detail, "docker.invalid") {
				t.Errorf("the placeholder host in %q", detail)
			}
			expect(t, Result{Check: tt.name, Status: StatusFailed, Detail: detail, Fix: fix}, StatusFailed, tt.detail, tt.fix)
			if strings.Contains(detail+fix, "{") {
				t.Errorf("a placeholder left in %q / %q", detail, fix)
			}
		})
	}
}

// TestDockerSSHNotInstalled: without ssh on PATH the check says so, through
// the same dialer the container list uses.
func TestDockerSSHNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	r := dockerOnly(context.Background(), Config{DockerHosts: []string{"ssh://me@box"}})
	expect(t, r, StatusFailed, []string{"ssh is not installed here"}, []string{"openssh-client"})
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
	if r := dockerOnly(context.Background(), Config{DockerHosts: []string{"unix://" + sock}, Timeout: time.Second}); strings.Contains(r.Detail, "permission denied") {
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
