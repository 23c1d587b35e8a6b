package vm

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	fields := " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 123456 20 21 22"
	tests := []struct {
		name  string
		in    string
		comm  string
		ticks uint64
		ok    bool
	}{
		{"qemu", "4242 (qemu-system-x86)" + fields, "qemu-system-x86", 123456, true},
		{"spaces and parens in comm", "7 (a (b) c)" + fields, "a (b) c", 123456, true},
		{"short", "7 (qemu) S 1 2", "", 0, false},
		{"no parens", "7 qemu S", "", 0, false},
		{"bad number", "7 (qemu) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x", "", 0, false},
		{"empty", "", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comm, ticks, err := parseProcStat(tt.in)
			if (err == nil) != tt.ok || comm != tt.comm || ticks != tt.ticks {
				t.Errorf("got (%q, %d, %v), want (%q, %d, ok=%v)", comm, ticks, err, tt.comm, tt.ticks, tt.ok)
			}
		})
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add("4242 (qemu-system-x86) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 123456 20")
	f.Add("1 ()) ) (")
	f.Fuzz(func(t *testing.T, s string) {
		comm, _, err := parseProcStat(s)
		if err != nil && comm != "" {
			t.Errorf("error %v with comm %q", err, comm)
		}
	})
}

func TestQemuStarted(t *testing.T) {
	dir := t.TempDir()
	proc := filepath.Join(dir, "proc")
	run := filepath.Join(dir, "run")
	write := func(path, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tail := " 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28"
	// Started 1000.00 s after boot; the machine has been up 1060.50 s.
	write(filepath.Join(proc, "uptime"), "1060.50 2000.00\n")
	write(filepath.Join(proc, "4242", "stat"), "4242 (qemu-system-x86) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 100000"+tail)
	write(filepath.Join(proc, "77", "stat"), "77 (bash) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 100000"+tail)
	write(filepath.Join(run, "vm1.pid"), "4242")
	write(filepath.Join(run, "stale.pid"), "77\n")
	write(filepath.Join(run, "junk.pid"), "x")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	got, err := qemuStarted(proc, run, "vm1", now)
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(-60500 * time.Millisecond); !got.Equal(want) {
		t.Errorf("started %v, want %v", got, want)
	}
	for _, name := range []string{"stale", "junk", "missing"} {
		if _, err := qemuStarted(proc, run, name, now); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestQemuPidDir(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	tests := map[string]string{
		"qemu:///system":              "/run/libvirt/qemu",
		"qemu+unix:///system":         "/run/libvirt/qemu",
		"qemu:///session":             "/run/user/1000/libvirt/qemu/run",
		"qemu+ssh://host/system":      "",
		"qemu+tcp://127.0.0.1/system": "",
		"test:///default":             "",
		"test+unix:///tmp/node.xml":   "",
		"qemu:///embed?root=/tmp/x":   "",
		"::not a uri":                 "",
	}
	for uri, want := range tests {
		if got := qemuPidDir(uri); got != want {
			t.Errorf("qemuPidDir(%q) = %q, want %q", uri, got, want)
		}
	}
}
