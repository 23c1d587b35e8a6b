package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/testguest"
)

// snapshotGuest is the part of `horcrux snapshot --json` (README, "JSON")
// that holds a VM's guest facts, by the documented names.
type snapshotGuest struct {
	VMs struct {
		Items []struct {
			Name  string `json:"name"`
			Guest *struct {
				Addresses []struct {
					Interface string `json:"interface"`
					Addr      string `json:"addr"`
					Prefix    int    `json:"prefix"`
					Source    string `json:"source"`
				} `json:"addresses"`
				OSName      string `json:"os_name"`
				OSVersion   string `json:"os_version"`
				Hostname    string `json:"hostname"`
				FileSystems []struct {
					Mount      string `json:"mount"`
					Device     string `json:"device"`
					TotalBytes uint64 `json:"total_bytes"`
					UsedBytes  uint64 `json:"used_bytes"`
				} `json:"filesystems"`
				AgentWhy string `json:"agent_why"`
			} `json:"guest"`
		} `json:"items"`
	} `json:"vms"`
}

// snapshotGuestFacts runs `horcrux snapshot --json` until the running test
// guest name (with Agent, Net and Disk) shows its agent's facts: the agent
// may connect after the shell prompt, and one snapshot reads facts only
// once in the background, so it is run again (up to 60 s).
func snapshotGuestFacts(t *testing.T, bin, name string) {
	home := t.TempDir()
	deadline := time.Now().Add(60 * time.Second)
	for try := 1; ; try++ {
		cmd := exec.Command(bin, "snapshot", "--json", "--interval", "2s", "--connect", "qemu:///system",
			"--docker-host", "unix:///nonexistent.sock")
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("horcrux snapshot --json: %v\n%s", err, out)
		}
		var r snapshotGuest
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("horcrux snapshot --json printed no JSON (%v):\n%s", err, out)
		}
		for _, m := range r.VMs.Items {
			if m.Name != name || m.Guest == nil || len(m.Guest.FileSystems) == 0 {
				continue
			}
			g := m.Guest
			if len(g.Addresses) == 0 || g.Addresses[0].Addr != testguest.UserNetIP || g.Addresses[0].Source != "agent" ||
				g.Addresses[0].Interface != "eth0" || g.Addresses[0].Prefix != 24 {
				t.Errorf("addresses %+v; want %s/24 on eth0 from the agent", g.Addresses, testguest.UserNetIP)
			}
			if g.OSName != testguest.OSName || g.OSVersion != testguest.OSVersion || g.Hostname != testguest.Hostname || g.AgentWhy != "" {
				t.Errorf("os %q %q, hostname %q, agent_why %q", g.OSName, g.OSVersion, g.Hostname, g.AgentWhy)
			}
			if f := g.FileSystems[0]; len(g.FileSystems) != 1 || f.Mount != testguest.DataMount || f.Device != "vda" ||
				f.TotalBytes == 0 || f.UsedBytes == 0 || f.UsedBytes >= f.TotalBytes {
				t.Errorf("filesystems %+v; want vda at %s, its size and bytes used", g.FileSystems, testguest.DataMount)
			}
			t.Logf("agent facts in snapshot %d of %s", try, name)
			exportedGuestFS(t, bin, name, g.FileSystems[0].TotalBytes)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no agent facts with a filesystem for %s in %d snapshots over 60 s; the last:\n%s", name, try, out)
		}
	}
}

// exportedGuestFS runs `horcrux exporter` and waits (45 s at most) for the
// test guest's /data size and use among its metrics; the size must be the
// one the snapshot gave (the guest's filesystem does not grow).
func exportedGuestFS(t *testing.T, bin, name string, size uint64) {
	addr := freeAddr(t)
	_, logs := command(t, bin, "exporter", "--listen", addr, "--interval", "1s", "--connect", "qemu:///system",
		"--docker-host", "unix:///nonexistent.sock")
	labels := []string{`name="` + name + `"`, `mountpoint="` + testguest.DataMount + `"`}
	var got map[string]float64
	waitMetrics(t, addr, logs, "the guest filesystem of "+name, func(m string) bool {
		got = samples(m, labels, "horcrux_vm_guest_filesystem_size_bytes", "horcrux_vm_guest_filesystem_used_bytes")
		return len(got) == 2
	})
	if sz, used := got["horcrux_vm_guest_filesystem_size_bytes"], got["horcrux_vm_guest_filesystem_used_bytes"]; sz != float64(size) || used <= 0 || used >= sz {
		t.Errorf("exported size %v used %v; want size %d as in the snapshot, and some of it used", sz, used, size)
	} else {
		t.Logf("exported %s: size %v bytes, %v used", testguest.DataMount, sz, used)
	}
}

// samples finds, on a metrics page, the value of each metric named whose
// sample carries all labels.
func samples(page string, labels []string, metrics ...string) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(page))
	for sc.Scan() {
		l := sc.Text()
		for _, m := range metrics {
			if !strings.HasPrefix(l, m+"{") {
				continue
			}
			all := true
			for _, lb := range labels {
				all = all && strings.Contains(l, lb)
			}
			i := strings.LastIndexByte(l, ' ')
			if v, err := strconv.ParseFloat(l[i+1:], 64); all && i > 0 && err == nil {
				out[m] = v
			}
		}
	}
	return out
}
