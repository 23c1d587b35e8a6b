// Package sshtest runs a real, private sshd on loopback for tests that
// reach a "remote" host through ssh: a Docker engine at
// ssh://root@127.0.0.1:PORT, with an ssh client that logs in as the user's
// ssh configuration would, or libvirt at a qemu+ssh:// URI with a keyfile.
package sshtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Client makes a client key and puts first on PATH (for the test and the
// processes it starts) an `ssh` that logs in to 127.0.0.1 with it. It
// returns the public key, for Start.
func Client(t testing.TB) (pub string) {
	t.Helper()
	needTools(t)
	dir := t.TempDir()
	keygen(t, filepath.Join(dir, "client_key"))
	key, err := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	config := writeFile(t, dir, "ssh_config", fmt.Sprintf(`Host 127.0.0.1
  IdentityFile %s/client_key
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
`, dir), 0o600)
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	real, _ := exec.LookPath("ssh")
	writeFile(t, dir, "bin/ssh", fmt.Sprintf("#!/bin/sh\nexec %s -F %s \"$@\"\n", real, config), 0o755)
	t.Setenv("PATH", filepath.Join(dir, "bin")+":"+os.Getenv("PATH"))
	return string(key)
}

// Server is a running private sshd.
type Server struct {
	// Port is where it listens on 127.0.0.1.
	Port int
	// PID is the listening sshd's process; each connection is served by a
	// child of it.
	PID int
	// Key is the private key root logs in with, when the server made it
	// (StartForLibvirt).
	Key string
}

// Start runs an sshd on a free loopback port that lets root in with the
// key pub and points `docker` at dockerHost; it is killed when the test
// ends.
func Start(t testing.TB, pub, dockerHost string) *Server {
	t.Helper()
	return start(t, pub, "SetEnv DOCKER_HOST="+dockerHost)
}

// StartForLibvirt runs an sshd with a client key of its own, for
// LibvirtURI, and more sshd_config lines (say "AllowTcpForwarding no").
func StartForLibvirt(t testing.TB, config string) *Server {
	t.Helper()
	needTools(t)
	key := filepath.Join(t.TempDir(), "client_key")
	keygen(t, key)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, string(pub), config)
	s.Key = key
	return s
}

// LibvirtURI is the qemu+ssh:// URI of this machine's system libvirtd
// reached through the server, as a remote host's would be.
func (s *Server) LibvirtURI() string {
	return fmt.Sprintf("qemu+ssh://root@127.0.0.1:%d/system?keyfile=%s&no_verify=1&no_tty=1", s.Port, s.Key)
}

func start(t testing.TB, pub, config string) *Server {
	t.Helper()
	needTools(t)
	dir := t.TempDir()
	keygen(t, filepath.Join(dir, "host_key"))
	writeFile(t, dir, "authorized_keys", pub, 0o600)
	port := FreePort(t)
	conf := writeFile(t, dir, "sshd_config", fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %[2]s/host_key
AuthorizedKeysFile %[2]s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile %[2]s/sshd.pid
%[3]s
`, port, dir, config), 0o600)
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation
		t.Fatal(err)
	}
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", conf)
	var logs strings.Builder
	sshd.Stderr = &logs
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	// A session child that outlives the listener keeps the log pipe open;
	// Wait gives up on it rather than hang the run.
	sshd.WaitDelay = 5 * time.Second
	t.Cleanup(func() { _ = sshd.Process.Kill(); _ = sshd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			_ = c.Close()
			return &Server{Port: port, PID: sshd.Process.Pid}
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FreePort is a loopback TCP port nothing listens on, as far as anyone knows.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// needTools fails the test when OpenSSH is missing: make test installs it.
func needTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"/usr/sbin/sshd", "ssh-keygen", "ssh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install openssh-server openssh-client", tool)
		}
	}
}

// keygen makes an ed25519 key pair without a passphrase at path.
func keygen(t testing.TB, path string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %s: %v\n%s", path, err, out)
	}
}

// writeFile writes text to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return p
}
