package container

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// startSSHD runs a real sshd on loopback that lets root in with a fresh
// key and points `docker` at dockerHost; the returned directory holds an
// `ssh` on PATH that uses that key.
func startSSHD(t *testing.T, dockerHost string) (port int) {
	t.Helper()
	for _, tool := range []string{"/usr/sbin/sshd", "ssh-keygen", "ssh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install openssh-server openssh-client", tool)
		}
	}
	dir := t.TempDir()
	run := func(name string, args ...string) {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "host_key"))
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "client_key"))
	pub, err := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("authorized_keys", string(pub), 0o600)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := write("sshd_config", fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/host_key
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile %s/sshd.pid
SetEnv DOCKER_HOST=%s
`, port, dir, dir, dir, dockerHost), 0o600)
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation
		t.Fatal(err)
	}
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", conf)
	var logs strings.Builder
	sshd.Stderr = &logs
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sshd.Process.Kill(); sshd.Wait() })

	// The user's ssh configuration is where keys come from: stand in for it
	// with an `ssh` first on PATH that reads ours.
	client := write("ssh_config", fmt.Sprintf(`Host 127.0.0.1
  IdentityFile %s/client_key
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
`, dir), 0o600)
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	real, _ := exec.LookPath("ssh")
	write("bin/ssh", fmt.Sprintf("#!/bin/sh\nexec %s -F %s \"$@\"\n", real, client), 0o755)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))

	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIntegrationOverSSH reaches a real dockerd through a real sshd, as a
// remote engine at ssh://root@host would be reached.
func TestIntegrationOverSSH(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 to run against sshd and a real dockerd")
	}
	d := startPrivateDockerd(t)
	name := fmt.Sprintf("horcrux-ssh-%d", os.Getpid())
	d.docker("run", "-d", "--network=none", "--name", name, "test/sleeper:1")
	t.Cleanup(func() { exec.Command(d.cli, "-H", d.host, "rm", "-f", name).Run() })

	port := startSSHD(t, d.host)
	addr := fmt.Sprintf("ssh://root@127.0.0.1:%d", port)
	s := NewSource(Config{Host: addr})
	defer s.Close()
	sec := pollUntil(t, s, 30*time.Second, "the engine over ssh", func(sec model.ContainerSection) bool {
		return sec.IsUp() && len(sec.Items) > 0
	})
	if sec.Host != addr || !strings.Contains(sec.Engine, "API") {
		t.Fatalf("section over ssh: host %q engine %q", sec.Host, sec.Engine)
	}
	var found bool
	for _, c := range sec.Items {
		found = found || c.Name == name
	}
	if !found {
		t.Fatalf("%s not listed over ssh: %+v", name, sec.Items)
	}
	// Stats stream over ssh too.
	pollUntil(t, s, 30*time.Second, "memory figures over ssh", func(sec model.ContainerSection) bool {
		for _, c := range sec.Items {
			if c.Name == name && c.MemUsageBytes != nil {
				return true
			}
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Act(ctx, name, model.PauseContainer); err != nil {
		t.Fatalf("pause over ssh: %v", err)
	}
	pollUntil(t, s, 30*time.Second, "paused over ssh", func(sec model.ContainerSection) bool {
		for _, c := range sec.Items {
			if c.Name == name {
				return c.State == "paused"
			}
		}
		return false
	})

	// A key the server does not know: refused, in ssh's words.
	bad := NewSource(Config{Host: fmt.Sprintf("ssh://nobody@127.0.0.1:%d", port)})
	defer bad.Close()
	if sec := bad.Poll(context.Background()); sec.IsUp() || !strings.Contains(sec.Reason, "Permission denied") {
		t.Fatalf("a user sshd refuses: %+v", sec)
	}
}
