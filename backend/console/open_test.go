package console

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenUsesBrowser puts a recording xdg-open first on PATH: pkg/browser runs it with the URL.
func TestOpenUsesBrowser(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "opened")
	script := "#!/bin/sh\necho \"the stand-in browser talks\"\necho \"and complains\" >&2\nprintf '%s' \"$1\" > " + record + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	s := newTestServer(t, Config{})
	pageURL, err := s.Mint(TCPTarget("vm-a", uuidA, "127.0.0.1:5900"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Open(pageURL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the stand-in browser", func() bool {
		got, err := os.ReadFile(record)
		return err == nil && string(got) == pageURL
	})

	// Anything but a console page URL is refused before a program runs, and the error does not quote it.
	os.Remove(record)
	for _, bad := range []string{"file:///etc/passwd", "http://localhost:1/console/", "http://127.0.0.1:1/other", "javascript:alert(1)", "http://127.0.0.1:1/console/?x=1", "--help"} {
		err := Open(bad)
		if err == nil {
			t.Errorf("Open(%q) ran the browser", bad)
			continue
		}
		if strings.Contains(err.Error(), bad) {
			t.Errorf("Open(%q) error quotes the URL: %v", bad, err)
		}
	}
	if _, err := os.Stat(record); err == nil {
		t.Error("the stand-in browser ran for a refused URL")
	}
}

// TestOpenDoesNotWaitForTheBrowser: a launcher that stays until the browser
// it started exits does not hold the caller past the wait.
func TestOpenDoesNotWaitForTheBrowser(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "opened")
	pidFile := filepath.Join(dir, "pid")
	script := "#!/bin/sh\necho $$ > " + pidFile + "\nprintf '%s' \"$1\" > " + record + "\nexec sleep 30 </dev/null >/dev/null 2>&1\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // the stand-in browser, still running
		if raw, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	s := newTestServer(t, Config{})
	pageURL, err := s.Mint(TCPTarget("vm-a", uuidA, "127.0.0.1:5900"))
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := openWithin(pageURL, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Fatalf("Open waited %s for a launcher that never returns", took)
	}
	eventually(t, 5*time.Second, "the stand-in browser", func() bool {
		got, err := os.ReadFile(record)
		return err == nil && string(got) == pageURL
	})
}
