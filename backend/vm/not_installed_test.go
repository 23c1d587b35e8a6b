package vm

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// TestNotInstalled runs this test binary again in a private mount namespace
// where libvirt.so.0 is an empty file, as on a machine without libvirt.
func TestNotInstalled(t *testing.T) {
	if os.Getenv("HORCRUX_NOT_INSTALLED_CHILD") == "1" {
		notInstalledChild(t)
		return
	}
	const lib = "/usr/lib/x86_64-linux-gnu/libvirt.so.0"
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1) to hide libvirt.so.0 in a mount namespace")
	}
	if _, err := os.Stat(lib); err != nil {
		t.Skip("no " + lib + " to hide")
	}
	cmd := exec.Command(unshare, "--mount", "sh", "-c", `mount --bind /dev/null "$0" && exec "$@"`,
		lib, os.Args[0], "-test.run=^TestNotInstalled$", "-test.v")
	cmd.Env = append(os.Environ(), "HORCRUX_NOT_INSTALLED_CHILD=1")
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "mount: ") && err != nil {
		t.Skipf("cannot make a mount namespace here: %s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestNotInstalled") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func notInstalledChild(t *testing.T) {
	s := NewSource(Config{URI: "qemu:///system"})
	defer s.Close()
	for i := range 2 { // a second poll must not turn into a "retrying" message
		sec := s.Poll(context.Background())
		if sec.IsUp() || sec.Reason != notInstalled || sec.URI != "qemu:///system" {
			t.Fatalf("poll %d: %+v", i, sec)
		}
		s.col.nextTry = s.col.nextTry.Add(-maxBackoff) // skip the backoff wait
	}
	if err := s.Act(context.Background(), "x", model.StartVM); err == nil {
		t.Error("Act without libvirt succeeded")
	}
}
