package container

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/sshtest"
)

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

	port := sshtest.Start(t, sshtest.Client(t), d.host).Port
	addr := fmt.Sprintf("ssh://root@127.0.0.1:%d", port)
	s := NewSource(Config{Host: addr})
	defer s.Close()
	// The engine's name is asked after the list, within the same poll's
	// deadline; an ssh handshake can take the rest of it, and the next poll asks again.
	sec := pollUntil(t, s, 30*time.Second, "the engine over ssh", func(sec model.ContainerSection) bool {
		return sec.IsUp() && len(sec.Items) > 0 && sec.Engine != ""
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
