package vm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/testguest"
)

// testAgentFacts checks the guest facts of a running test guest (with
// Agent, Net and Disk) through a Source of its own: the agent's address,
// OS and filesystem appear; once run stops the agent in the guest they go,
// with the reason; once it starts the agent again they come back. The
// source re-reads facts only hourly, so every change must come from
// libvirt's agent lifecycle events. It runs inside TestIntegrationSerialConsole
// (run is a command line on its serial shell), sharing its guest: one TCG
// boot fewer.
func testAgentFacts(t *testing.T, name string, run func(line string)) {
	s := NewSource(Config{URI: itURI, CallTimeout: 10 * time.Second, GuestFactsPeriod: time.Hour})
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	hasFS := func(g *model.GuestFacts) bool { return g != nil && g.AgentWhy == "" && len(g.FileSystems) > 0 }
	g := waitGuest(t, s, name, "the agent's facts", hasFS)
	p, ok := g.PrimaryAddress()
	if !ok || p.Addr != testguest.UserNetIP || p.Source != model.AddrAgent || p.Interface != "eth0" || p.Prefix != 24 {
		t.Errorf("primary address %+v (%v); want %s/24 on eth0 from the agent; all: %+v", p, ok, testguest.UserNetIP, g.Addresses)
	}
	if g.OSName != testguest.OSName || g.OSVersion != testguest.OSVersion || g.Hostname != testguest.Hostname || g.Kernel == "" {
		t.Errorf("OS %q version %q kernel %q hostname %q; want %q %q, a kernel, %q",
			g.OSName, g.OSVersion, g.Kernel, g.Hostname, testguest.OSName, testguest.OSVersion, testguest.Hostname)
	}
	if len(g.FileSystems) != 1 {
		t.Errorf("filesystems %+v, want only %s", g.FileSystems, testguest.DataMount)
	} else if f := g.FileSystems[0]; f.Mount != testguest.DataMount || f.Device != "vda" || f.Type != "ext4" ||
		f.TotalBytes < 8<<20 || f.TotalBytes > 16<<20 || f.UsedBytes == 0 || f.UsedBytes >= f.TotalBytes {
		t.Errorf("filesystem %+v; want vda (ext2, mounted by ext4) at %s, 8-16 MiB, some of it used", f, testguest.DataMount)
	} else {
		t.Logf("agent facts: %s %s (%s), %s/%d, %s %d of %d bytes used (%.2f %%)", g.OSName, g.OSVersion, g.Kernel,
			p.Addr, p.Prefix, f.Mount, f.UsedBytes, f.TotalBytes, f.UsedPercent())
	}

	stopped := time.Now()
	run(testguest.StopAgent)
	g = waitGuest(t, s, name, "the facts gone with a reason", func(g *model.GuestFacts) bool { return g != nil && g.AgentWhy != "" })
	t.Logf("facts gone %s after the agent was stopped: %s", time.Since(stopped).Round(100*time.Millisecond), g.AgentWhy)
	if !strings.Contains(g.AgentWhy, "the guest agent is not answering") || !strings.Contains(g.AgentWhy, "qemu-guest-agent") {
		t.Errorf("AgentWhy = %q; want it to say the agent is not answering and how to start it", g.AgentWhy)
	}
	if g.OSName != "" || g.Hostname != "" || len(g.FileSystems) != 0 || len(g.Addresses) != 0 {
		t.Errorf("facts of a stopped agent still shown: %+v", g)
	}
	// User-mode networking gives no lease nor ARP entry: each source says why.
	if !strings.Contains(g.AddressesWhy, "agent: the guest agent is not answering") || !strings.Contains(g.AddressesWhy, "lease: ") {
		t.Errorf("AddressesWhy = %q", g.AddressesWhy)
	}
	// A details view reads the facts directly: the same reason.
	uuid := mustFind(t, s.Poll(context.Background()), name).UUID
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if d, err := s.GuestFacts(ctx, uuid); err != nil || !strings.Contains(d.AgentWhy, "not answering") {
		t.Errorf("GuestFacts with the agent stopped: %+v, %v", d, err)
	}

	run(testguest.StartAgent)
	g = waitGuest(t, s, name, "the facts back after the agent started", hasFS)
	if p, ok := g.PrimaryAddress(); !ok || p.Addr != testguest.UserNetIP {
		t.Errorf("address after the agent came back: %+v", g.Addresses)
	}
}

// waitGuest polls s for up to 60 s until name's facts satisfy ok.
func waitGuest(t *testing.T, s *Source, name, what string, ok func(*model.GuestFacts) bool) *model.GuestFacts {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		sec := s.Poll(context.Background())
		m, found := find(sec, name)
		if found && ok(m.Guest) {
			return m.Guest
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for %s of %s (listed %v); last facts: %+v", what, name, found, m.Guest)
		}
		select {
		case <-s.Changed():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
