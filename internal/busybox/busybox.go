// Package busybox makes a container image for tests from Debian's
// busybox-static: a shell without bash, the applets the tests use, and a
// 10 MiB file to pull through a terminal. No registry is needed.
package busybox

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Image is the name Import gives the image.
const Image = "hx/busybox:1"

// BigFileSize is the size of /data/big in the image: what cat tests and
// benchmarks pull through a shell.
const BigFileSize = 10 << 20

// BigPattern repeats to fill /data/big: printable, no newline (a terminal
// passes it unchanged) and nothing a prompt or an echoed command holds.
const BigPattern = "0123456789ABCDEF"

// Import makes the image hx/busybox:1 from Debian's busybox-static
// with the docker CLI given (any engine with the Docker API): /bin/busybox,
// links to the applets the tests use, no bash, and /data/big.
func Import(t testing.TB, docker func(args ...string) string) {
	t.Helper()
	const busybox = "/bin/busybox"
	if out, err := exec.Command(busybox, "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "BusyBox") {
		t.Fatalf("%s: %v: apt-get install busybox-static", busybox, err)
	}
	if out, _ := exec.Command("ldd", busybox).CombinedOutput(); !strings.Contains(string(out), "not a dynamic") {
		t.Fatalf("%s is not static (%s): apt-get install busybox-static", busybox, strings.TrimSpace(string(out)))
	}
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "data", "tmp"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin", "busybox"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, applet := range []string{"sh", "sleep", "echo", "stty", "cat", "ls", "touch"} {
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", applet)); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte(BigPattern), BigFileSize/len(BigPattern))
	if err := os.WriteFile(filepath.Join(rootfs, "data", "big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", rootfs, "-cf", tar, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	docker("import", tar, Image)
}
