package doctor

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
)

// sshLogin makes a client key and puts first on PATH an `ssh` that logs in
// to 127.0.0.1 with it, as the user's ssh configuration would; it returns
// the public key for sshd to accept.
func sshLogin(t *testing.T) (pub string) {
	t.Helper()
	for _, tool := range []string{"/usr/sbin/sshd", "ssh-keygen", "ssh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: apt-get install openssh-server openssh-client", tool)
		}
	}
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

// startSSHD runs a real sshd on loopback that lets root in with the key
// pub and points `docker` at dockerHost. Adapted from backend/container's
// test of the same name.
func startSSHD(t *testing.T, pub, dockerHost string) (port int) {
	t.Helper()
	dir := t.TempDir()
	keygen(t, filepath.Join(dir, "host_key"))
	writeFile(t, dir, "authorized_keys", pub, 0o600)
	port = freePort(t)
	conf := writeFile(t, dir, "sshd_config", fmt.Sprintf(`Port %d
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
	t.Cleanup(func() { _ = sshd.Process.Kill(); _ = sshd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			_ = c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keygen makes an ed25519 key pair without a passphrase at path.
func keygen(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %s: %v\n%s", path, err, out)
	}
}

// writeFile writes text to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// freePort is a loopback TCP port nothing listens on, as far as anyone knows.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestIntegrationDockerSSH checks an engine behind a real sshd, as the app
// reaches ssh://root@host: ok with the engine's version, and each way it
// fails in words.
func TestIntegrationDockerSSH(t *testing.T) {
	needIntegration(t)
	if _, err := exec.LookPath("dockerd"); err != nil {
		t.Skip("needs dockerd (docker.io)")
	}
	// A private daemon of this test's own: other tests start and stop theirs.
	dir := publicTempDir(t)
	env := []string{"HORCRUX_DOCKERD_DIR=" + dir}
	if out, err := script(t, env, "dockerd.sh", "start"); err != nil {
		t.Fatalf("scripts/dockerd.sh start: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := script(t, env, "dockerd.sh", "stop"); err != nil {
			t.Errorf("scripts/dockerd.sh stop: %v\n%s", err, out)
		}
	})
	dockerHost := "unix://" + filepath.Join(dir, "docker.sock")
	out, err := exec.Command("docker", "-H", dockerHost, "version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}").Output()
	if err != nil {
		t.Fatalf("docker version: %v", err)
	}
	version, api, _ := strings.Cut(strings.TrimSpace(string(out)), " ")

	pub := sshLogin(t)
	port := startSSHD(t, pub, dockerHost)
	downPort := startSSHD(t, pub, "unix://"+filepath.Join(dir, "none.sock")) // logs in; no Docker behind it
	var (
		good    = fmt.Sprintf("ssh://root@127.0.0.1:%d", port)
		badUser = fmt.Sprintf("ssh://nobody@127.0.0.1:%d", port)
		noSSHD  = fmt.Sprintf("ssh://root@127.0.0.1:%d", freePort(t))
		down    = fmt.Sprintf("ssh://root@127.0.0.1:%d", downPort)
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // an upper bound only
	defer cancel()
	rs := Run(ctx, Config{DockerHosts: []string{good, badUser, noSSHD, down}, Timeout: 20 * time.Second})
	t.Log(dump(rs))
	expect(t, find(t, rs, "Docker connection "+good), StatusOK,
		[]string{fmt.Sprintf("Docker %s (API %s) answers at %s (through ssh)", version, api, good)}, nil)
	expect(t, find(t, rs, "Docker connection "+badUser), StatusFailed,
		[]string{"127.0.0.1 refused the ssh login", "Permission denied"}, []string{"ssh-copy-id nobody@127.0.0.1"})
	expect(t, find(t, rs, "Docker connection "+noSSHD), StatusFailed,
		[]string{"nothing accepts ssh connections on 127.0.0.1", "Connection refused"}, []string{"sudo systemctl start ssh"})
	expect(t, find(t, rs, "Docker connection "+down), StatusFailed,
		[]string{"ssh logs in to 127.0.0.1, but Docker is not running there"}, []string{"start Docker on 127.0.0.1"})
}
