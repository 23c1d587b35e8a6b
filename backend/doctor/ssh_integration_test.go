package doctor

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/sshtest"
)

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

	pub := sshtest.Client(t)
	port := sshtest.Start(t, pub, dockerHost).Port
	downPort := sshtest.Start(t, pub, "unix://"+filepath.Join(dir, "none.sock")).Port // logs in; no Docker behind it
	var (
		good    = fmt.Sprintf("ssh://root@127.0.0.1:%d", port)
		badUser = fmt.Sprintf("ssh://nobody@127.0.0.1:%d", port)
		noSSHD  = fmt.Sprintf("ssh://root@127.0.0.1:%d", sshtest.FreePort(t))
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
