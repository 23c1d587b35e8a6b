package doctor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestProcOnThisHost(t *testing.T) {
	c := newChecker(Config{})
	r := c.procFigures(context.Background())
	expect(t, r, StatusOK, []string{"readable: ", "CPUs", "GiB memory", "load ", "block devices", "network interfaces"}, nil)
}

// writeProc fills dir with the named /proc files.
func writeProc(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestProcFigures(t *testing.T) {
	good := map[string]string{
		"stat":      "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu1 1 2 3 4 5 6 7 8 9 10\nintr 1\n",
		"meminfo":   "MemTotal:        8388608 kB\nMemFree: 1 kB\n",
		"loadavg":   "0.52 0.40 0.30 1/200 1234\n",
		"diskstats": "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
		"net/dev": "Inter-|   Receive                                                |  Transmit\n" +
			" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
			"    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	}
	with := func(changes map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for k, v := range changes {
			if v == "<absent>" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name   string
		files  map[string]string
		status Status
		detail []string
	}{
		{"all readable", good, StatusOK, []string{"2 CPUs", "8.0 GiB memory", "load 0.52", "1 block device,", "2 network interfaces"}},
		{"meminfo missing", with(map[string]string{"meminfo": "<absent>"}), StatusFailed,
			[]string{"meminfo: no such file or directory: no memory and swap figures", "2 CPUs"}},
		{"stat without a cpu line", with(map[string]string{"stat": "intr 1\n"}), StatusFailed, []string{`has no "cpu" line`}},
		{"a container without disks", with(map[string]string{"diskstats": ""}), StatusWarning,
			[]string{"diskstats lists no block devices: no disk I/O figures"}},
		{"garbled loadavg", with(map[string]string{"loadavg": "x y z\n"}), StatusFailed, []string{"does not start with a number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeProc(t, dir, tt.files)
			c := newChecker(Config{})
			c.procDir = dir
			expect(t, c.procFigures(context.Background()), tt.status, tt.detail, nil)
		})
	}
}
