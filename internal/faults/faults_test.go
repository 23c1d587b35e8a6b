package faults

import (
	"os"
	"testing"
)

func TestParentPID(t *testing.T) {
	tests := []struct {
		stat string
		ppid int
		ok   bool
	}{
		{"27 (sshd) S 1 27 27 0 -1", 1, true},
		{"31 (sshd: root@notty) S 27 31 31 0 -1", 27, true},
		{"40 (a) b) (c) R 39 40 40", 39, true}, // the name holds ") "
		{"41 (short) S", 0, false},
		{"garbage", 0, false},
		{"42 (x) S notapid", 0, false},
	}
	for _, tt := range tests {
		ppid, ok := parentPID(tt.stat)
		if ppid != tt.ppid || ok != tt.ok {
			t.Errorf("parentPID(%q) = %d, %v; want %d, %v", tt.stat, ppid, ok, tt.ppid, tt.ok)
		}
	}
}

// TestTreeHoldsThisProcess: this test's process is below its parent.
func TestTreeHoldsThisProcess(t *testing.T) {
	found := false
	for _, pid := range tree(os.Getppid()) {
		found = found || pid == os.Getpid()
	}
	if !found {
		t.Errorf("tree(%d) lacks this process %d", os.Getppid(), os.Getpid())
	}
}

func FuzzParentPID(f *testing.F) {
	f.Add("27 (sshd) S 1 27 27 0 -1")
	f.Add("(")
	f.Fuzz(func(t *testing.T, stat string) {
		if ppid, ok := parentPID(stat); !ok && ppid != 0 {
			t.Errorf("parentPID(%q) = %d without ok", stat, ppid)
		}
	})
}
