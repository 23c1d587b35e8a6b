// Package testsshd runs a real sshd on loopback for integration tests that
// reach a "remote" host through ssh (qemu+ssh:// libvirt URIs).
package testsshd

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

// Server is a running sshd that lets root in with Key.
type Server struct {
	Port int
	// Key is the private key root logs in with.
	Key string
}

// Start runs sshd on 127.0.0.1 with fresh host and client keys in a
// TempDir, and stops it when the test ends.
func Start(t testing.TB) Server {
	t.Helper()
	return StartWith(t, "")
}

// StartWith is Start with more sshd_config lines (say "AllowTcpForwarding no").
func StartWith(t testing.TB, config string) Server {
	t.Helper()
	for _, tool := range []string{"/usr/sbin/sshd", "ssh-keygen", "ssh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install openssh-server openssh-client", tool)
		}
	}
	dir := t.TempDir()
	for _, k := range []string{"host_key", "client_key"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(dir, "sshd_config")
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`Port %d
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
`, port, dir, config)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation
		t.Fatal(err)
	}
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", conf)
	var logs strings.Builder
	sshd.Stderr = &logs
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sshd.Process.Kill(); _ = sshd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return Server{Port: port, Key: filepath.Join(dir, "client_key")}
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// LibvirtURI is the qemu+ssh:// URI of this machine's system libvirtd
// reached through the server, as a remote host's would be.
func (s Server) LibvirtURI() string {
	return fmt.Sprintf("qemu+ssh://root@127.0.0.1:%d/system?keyfile=%s&no_verify=1&no_tty=1", s.Port, s.Key)
}
