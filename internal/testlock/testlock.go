// Package testlock serialises tests of different packages that start, stop
// or kill one system daemon: `go test ./...` runs packages side by side.
package testlock

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Hold blocks until this test alone holds the lock called name, and keeps
// it until the test ends.
func Hold(t testing.TB, name string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "horcrux-test-"+name+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("test lock %s: %v", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("test lock %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
