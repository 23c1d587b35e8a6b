package vm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestByteRing(t *testing.T) {
	const size = ReplayBytes
	seq := func(n int, from byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = from + byte(i%251)
		}
		return b
	}
	big := seq(3*size+17, 0)
	tests := []struct {
		name    string
		writes  [][]byte
		want    []byte
		dropped bool
	}{
		{"empty", nil, []byte{}, false},
		{"empty write", [][]byte{{}}, []byte{}, false},
		{"small", [][]byte{[]byte("abc"), []byte("def")}, []byte("abcdef"), false},
		{"exactly full", [][]byte{seq(size, 0)}, seq(size, 0), false},
		{"exactly full in two", [][]byte{seq(size-5, 0), seq(5, 7)}, append(seq(size-5, 0), seq(5, 7)...), false},
		{"one over", [][]byte{seq(size, 0), []byte("x")}, append(seq(size, 0)[1:], 'x'), true},
		{"one write larger than the ring", [][]byte{big}, big[len(big)-size:], true},
		{"wraps around in pieces", splitEvery(big, 1000), big[len(big)-size:], true},
		{"wraps after a large write", [][]byte{big, []byte("tail")}, append(big[len(big)-size+4:], "tail"...), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newByteRing(size)
			for _, w := range tt.writes {
				r.Write(w)
			}
			got := r.Bytes()
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got %d bytes, want %d; first difference at %d", len(got), len(tt.want), firstDiff(got, tt.want))
			}
			if r.Dropped() != tt.dropped {
				t.Errorf("dropped = %v, want %v", r.Dropped(), tt.dropped)
			}
			if len(got) > size {
				t.Errorf("holds %d bytes, more than %d", len(got), size)
			}
		})
	}
}

func splitEvery(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestConsoleHistory(t *testing.T) {
	var h consoleHistory
	a := historyKey{"qemu:///system", "u1", "serial0"}
	b := historyKey{"qemu+ssh://h/system", "u1", "serial0"}
	if got := h.snapshot(a); got != nil {
		t.Errorf("never attached: %q", got)
	}
	h.record(a, []byte("boot\nlogin: "))
	if got := string(h.snapshot(a)); got != "boot\nlogin: " {
		t.Errorf("history %q", got)
	}
	if got := h.snapshot(b); got != nil {
		t.Errorf("another host's console shares the history: %q", got)
	}
	// Once the oldest bytes are dropped the replay starts at a line start.
	h.record(a, []byte(strings.Repeat("x", ReplayBytes-3)+"\nend"))
	if got := string(h.snapshot(a)); got != "end" {
		t.Errorf("after wrap-around %q", got)
	}
}

func TestConsoleHistoryForgetsTheLeastRecentlyUsed(t *testing.T) {
	var h consoleHistory
	key := func(i int) historyKey { return historyKey{"qemu:///system", fmt.Sprint("u", i), "serial0"} }
	for i := range maxReplayRings {
		h.record(key(i), []byte("x"))
	}
	h.record(key(0), []byte("y")) // key(1) is now the least recently used
	h.record(key(maxReplayRings), []byte("z"))
	if len(h.rings) != maxReplayRings {
		t.Errorf("%d rings kept, want at most %d", len(h.rings), maxReplayRings)
	}
	if h.snapshot(key(1)) != nil {
		t.Error("the console used longest ago is still kept")
	}
	for _, i := range []int{0, 2, maxReplayRings} {
		if h.snapshot(key(i)) == nil {
			t.Errorf("console %d was forgotten", i)
		}
	}
}

func TestReadLogTail(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	short := write("short.log", "Booting\nHORCRUX\n# ")
	long := write("long.log", "first line, cut\n"+strings.Repeat("y", 10)+"\nlast\n")
	empty := write("empty.log", "")
	tests := []struct {
		name, path string
		max        int
		want       string
	}{
		{"whole file", short, ReplayBytes, "Booting\nHORCRUX\n# "},
		{"tail from a line start", long, 16, "last\n"},
		{"empty", empty, ReplayBytes, ""},
		{"missing", filepath.Join(dir, "none.log"), ReplayBytes, ""},
		{"a directory", dir, ReplayBytes, ""},
		{"no path", "", ReplayBytes, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readLogTail(tt.path, tt.max)
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(got) > tt.max {
				t.Errorf("%d bytes, more than %d", len(got), tt.max)
			}
		})
	}
}

func FuzzByteRing(f *testing.F) {
	f.Add([]byte("hello"), 3, 7)
	f.Fuzz(func(t *testing.T, data []byte, size, chunk int) {
		size, chunk = 1+int(uint(size)%300), 1+int(uint(chunk)%50)
		r := newByteRing(size)
		for _, c := range splitEvery(data, chunk) {
			r.Write(c)
		}
		want := data
		if len(want) > size {
			want = want[len(want)-size:]
		}
		if got := r.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("size %d chunk %d: got %q, want %q", size, chunk, got, want)
		}
	})
}
