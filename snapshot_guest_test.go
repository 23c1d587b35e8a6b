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

// guestJSON is a VM's `guest` in `horcrux snapshot --json` (README, "JSON"),
// by the documented names.
type guestJSON struct {
	Addresses []struct {
		Interface string `json:"interface"`
		Addr      string `json:"addr"`
		Prefix    int    `json:"prefix"`
		Source    string `json:"source"`
	} `json:"addresses"`
	AddressesWhy string `json:"addresses_why"`
	OSName       string `json:"os_name"`
	OSVersion    string `json:"os_version"`
	Hostname     string `json:"hostname"`
	FileSystems  []struct {
		Mount      string `json:"mount"`
		Device     string `json:"device"`
		TotalBytes uint64 `json:"total_bytes"`
		UsedBytes  uint64 `json:"used_bytes"`
	} `json:"filesystems"`
	AgentWhy string `json:"agent_why"`
}

// runHorcrux runs a horcrux command with a HOME of its own and returns
// what it printed on stdout; the exit status is left to the caller's checks.
func runHorcrux(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	out, err := cmd.Output()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("horcrux %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// snapshotGuest runs `horcrux snapshot --json` until the guest facts of the
// VM name satisfy ok, for 60 s at most: one snapshot reads facts once, in
// the background, so a change in the guest shows in a later one.
func snapshotGuest(t *testing.T, bin, name, what string, ok func(*guestJSON) bool) *guestJSON {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for try := 1; ; try++ {
		out := runHorcrux(t, bin, "snapshot", "--json", "--interval", "2s", "--connect", "qemu:///system",
			"--docker-host", "unix:///nonexistent.sock")
		var r struct {
			VMs struct {
				Items []struct {
					Name  string     `json:"name"`
					Guest *guestJSON `json:"guest"`
				} `json:"items"`
			} `json:"vms"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("horcrux snapshot --json printed no JSON (%v):\n%s", err, out)
		}
		for _, m := range r.VMs.Items {
			if m.Name == name && m.Guest != nil && ok(m.Guest) {
				t.Logf("%s: snapshot %d", what, try)
				return m.Guest
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot showed %s of %s in %d tries over 60 s; the last:\n%s", what, name, try, out)
		}
	}
}

// doctorAgent is `horcrux doctor --json`'s guest agent check of the VM name.
func doctorAgent(t *testing.T, bin, name string) (status, detail string) {
	t.Helper()
	out := runHorcrux(t, bin, "doctor", "--json", "--connect", "qemu:///system", "--docker-host", "unix:///nonexistent.sock")
	var rs []struct{ Check, Status, Detail string }
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatalf("horcrux doctor --json printed no JSON (%v):\n%s", err, out)
	}
	for _, r := range rs {
		if r.Check == "VM guest agent "+name+" (qemu:///system)" {
			return r.Status, r.Detail
		}
	}
	t.Fatalf("horcrux doctor has no guest agent check of %s:\n%s", name, out)
	return "", ""
}

// guestFactsAppear: the running test guest name (with Agent, Net and
// Disk) shows its agent's address, OS and /data in `horcrux snapshot
// --json`, /data's size and use in `horcrux exporter`'s metrics, and the
// doctor finds its agent connected.
func guestFactsAppear(t *testing.T, bin, name string) {
	g := snapshotGuest(t, bin, name, "the agent's facts", func(g *guestJSON) bool { return len(g.FileSystems) > 0 })
	if len(g.Addresses) == 0 || g.Addresses[0].Addr != testguest.UserNetIP || g.Addresses[0].Source != "agent" ||
		g.Addresses[0].Interface != "eth0" || g.Addresses[0].Prefix != 24 {
		t.Errorf("addresses %+v; want %s/24 on eth0 from the agent", g.Addresses, testguest.UserNetIP)
	}
	if g.OSName != testguest.OSName || g.OSVersion != testguest.OSVersion || g.Hostname != testguest.Hostname || g.AgentWhy != "" {
		t.Errorf("os %q %q, hostname %q, agent_why %q", g.OSName, g.OSVersion, g.Hostname, g.AgentWhy)
	}
	f := g.FileSystems[0]
	if len(g.FileSystems) != 1 || f.Mount != testguest.DataMount || f.Device != "vda" || f.TotalBytes == 0 || f.UsedBytes == 0 || f.UsedBytes >= f.TotalBytes {
		t.Errorf("filesystems %+v; want vda at %s, its size and bytes used", g.FileSystems, testguest.DataMount)
	}
	exportedGuestFS(t, bin, name, f.TotalBytes)
	if status, detail := doctorAgent(t, bin, name); status != "ok" || !strings.Contains(detail, "guest agent connected") {
		t.Errorf("doctor on the guest agent: %s, %q", status, detail)
	}
}

// guestFactsGone: once the agent in the guest name is stopped, the
// snapshot says why its facts went instead of leaving them blank, and the
// doctor says no agent answers.
func guestFactsGone(t *testing.T, bin, name string) {
	g := snapshotGuest(t, bin, name, "the facts gone", func(g *guestJSON) bool { return g.AgentWhy != "" })
	if !strings.Contains(g.AgentWhy, "the guest agent is not answering") || g.OSName != "" || len(g.FileSystems) != 0 || len(g.Addresses) != 0 ||
		!strings.Contains(g.AddressesWhy, "agent: the guest agent is not answering") {
		t.Errorf("facts of a guest whose agent stopped: %+v", g)
	}
	t.Logf("agent_why: %s", g.AgentWhy)
	if status, detail := doctorAgent(t, bin, name); status != "warning" || !strings.Contains(detail, "no agent answers") {
		t.Errorf("doctor on the stopped guest agent: %s, %q", status, detail)
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
