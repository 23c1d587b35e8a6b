package vm

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// fakeGuest answers each address source and GetGuestInfo as set.
type fakeGuest struct {
	addrs   map[libvirt.DomainInterfaceAddressesSource][]libvirt.DomainInterface
	addrErr map[libvirt.DomainInterfaceAddressesSource]error
	info    *libvirt.DomainGuestInfo
	infoErr error
}

func (f *fakeGuest) ListAllInterfaceAddresses(src libvirt.DomainInterfaceAddressesSource) ([]libvirt.DomainInterface, error) {
	return f.addrs[src], f.addrErr[src]
}

func (f *fakeGuest) GetGuestInfo(libvirt.DomainGuestInfoTypes, uint32) (*libvirt.DomainGuestInfo, error) {
	return f.info, f.infoErr
}

func iface(name, mac string, addrs ...string) libvirt.DomainInterface {
	in := libvirt.DomainInterface{Name: name, Hwaddr: mac}
	for _, a := range addrs {
		in.Addrs = append(in.Addrs, libvirt.DomainIPAddress{Addr: a, Prefix: 24})
	}
	return in
}

func TestReadFacts(t *testing.T) {
	agentSrc, leaseSrc, arpSrc := libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_ARP
	unresponsive := libvirt.Error{Code: libvirt.ERR_AGENT_UNRESPONSIVE, Message: "Guest agent is not responding: QEMU guest agent is not connected"}
	notConfigured := libvirt.Error{Code: libvirt.ERR_ARGUMENT_UNSUPPORTED, Message: "argument unsupported: QEMU guest agent is not configured"}
	noSupport := libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "this function is not supported by the connection driver: virDomainGetGuestInfo"}
	info := &libvirt.DomainGuestInfo{
		OS:          &libvirt.DomainGuestInfoOS{NameSet: true, Name: "Debian GNU/Linux", VersionSet: true, Version: "12 (bookworm)", KernelReleaseSet: true, KernelRelease: "6.1.0-28-amd64"},
		HostnameSet: true, Hostname: "web1",
		FileSystems: []libvirt.DomainGuestInfoFileSystem{
			{MountPoint: "/", Name: "vda1", FSType: "ext4", TotalBytesSet: true, TotalBytes: 1000, UsedBytesSet: true, UsedBytes: 900},
			{MountPoint: "/proc", Name: "proc", FSType: "proc"}, // no size: left out
		},
	}
	tests := []struct {
		name       string
		dom        fakeGuest
		channel    bool
		wantAddrs  []model.GuestAddress
		wantAddrIn []string // substrings of AddressesWhy
		wantAgent  []string // substrings of AgentWhy
		wantOS     string
		wantFS     int
	}{
		{
			name: "agent answers everything",
			dom: fakeGuest{addrs: map[libvirt.DomainInterfaceAddressesSource][]libvirt.DomainInterface{
				agentSrc: {iface("lo", "00:00:00:00:00:00", "127.0.0.1"), iface("eth0", "52:54:00:aa:bb:cc", "10.0.2.15", "fe80::1")},
				leaseSrc: {iface("vnet0", "52:54:00:aa:bb:cc", "192.168.122.9")},
			}, info: info},
			channel: true,
			wantAddrs: []model.GuestAddress{
				{Interface: "eth0", MAC: "52:54:00:aa:bb:cc", Addr: "10.0.2.15", Prefix: 24, Source: model.AddrAgent},
				{Interface: "eth0", MAC: "52:54:00:aa:bb:cc", Addr: "fe80::1", Prefix: 24, Source: model.AddrAgent},
			},
			wantOS: "Debian GNU/Linux", wantFS: 1,
		},
		{
			name: "no channel: lease, and how to add the channel",
			dom: fakeGuest{
				addrErr: map[libvirt.DomainInterfaceAddressesSource]error{agentSrc: notConfigured},
				addrs:   map[libvirt.DomainInterfaceAddressesSource][]libvirt.DomainInterface{leaseSrc: {iface("vnet0", "52:54:00:aa:bb:cc", "192.168.122.9")}},
				infoErr: notConfigured,
			},
			wantAddrs: []model.GuestAddress{{Interface: "vnet0", MAC: "52:54:00:aa:bb:cc", Addr: "192.168.122.9", Prefix: 24, Source: model.AddrLease}},
			wantAgent: []string{"no guest agent channel", "org.qemu.guest_agent.0", "virsh edit web1"},
		},
		{
			name: "agent silent, no lease, ARP only",
			dom: fakeGuest{
				addrErr: map[libvirt.DomainInterfaceAddressesSource]error{agentSrc: unresponsive},
				addrs:   map[libvirt.DomainInterfaceAddressesSource][]libvirt.DomainInterface{arpSrc: {iface("vnet0", "52:54:00:aa:bb:cc", "192.168.1.50")}},
				infoErr: unresponsive,
			},
			channel:   true,
			wantAddrs: []model.GuestAddress{{Interface: "vnet0", MAC: "52:54:00:aa:bb:cc", Addr: "192.168.1.50", Prefix: 24, Source: model.AddrARP}},
			wantAgent: []string{"not answering", "qemu-guest-agent"},
		},
		{
			name: "nothing at all",
			dom: fakeGuest{
				addrErr: map[libvirt.DomainInterfaceAddressesSource]error{agentSrc: unresponsive},
				infoErr: unresponsive,
			},
			channel:    true,
			wantAddrIn: []string{"agent: the guest agent is not answering", "lease: no DHCP lease yet", "arp: no ARP entry"},
			wantAgent:  []string{"not answering"},
		},
		{
			name:       "driver without agent support",
			dom:        fakeGuest{addrErr: map[libvirt.DomainInterfaceAddressesSource]error{agentSrc: noSupport, leaseSrc: noSupport, arpSrc: noSupport}, infoErr: noSupport},
			wantAddrIn: []string{"agent: not supported by this libvirt driver", "arp: not supported"},
			wantAgent:  []string{"not supported by this libvirt driver", "virDomainGetGuestInfo"},
		},
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := readFacts(&tt.dom, "web1", tt.channel, now)
			if !f.Time.Equal(now) || f.Addresses == nil || f.FileSystems == nil {
				t.Errorf("time %v, addresses %v, filesystems %v: want the read time and non-nil lists", f.Time, f.Addresses, f.FileSystems)
			}
			if len(f.Addresses) != len(tt.wantAddrs) {
				t.Fatalf("addresses %+v, want %+v", f.Addresses, tt.wantAddrs)
			}
			for i := range f.Addresses {
				if f.Addresses[i] != tt.wantAddrs[i] {
					t.Errorf("address %d = %+v, want %+v", i, f.Addresses[i], tt.wantAddrs[i])
				}
			}
			if (len(tt.wantAddrs) == 0) != (f.AddressesWhy != "") {
				t.Errorf("AddressesWhy = %q with %d addresses", f.AddressesWhy, len(f.Addresses))
			}
			for _, w := range tt.wantAddrIn {
				if !strings.Contains(f.AddressesWhy, w) {
					t.Errorf("AddressesWhy = %q, want it to contain %q", f.AddressesWhy, w)
				}
			}
			if (len(tt.wantAgent) == 0) != (f.AgentWhy == "") {
				t.Errorf("AgentWhy = %q", f.AgentWhy)
			}
			for _, w := range tt.wantAgent {
				if !strings.Contains(f.AgentWhy, w) {
					t.Errorf("AgentWhy = %q, want it to contain %q", f.AgentWhy, w)
				}
			}
			if f.OSName != tt.wantOS || len(f.FileSystems) != tt.wantFS {
				t.Errorf("OS %q, filesystems %+v; want %q and %d", f.OSName, f.FileSystems, tt.wantOS, tt.wantFS)
			}
			if tt.wantOS != "" && (f.OSVersion != "12 (bookworm)" || f.Hostname != "web1" || f.Kernel != "6.1.0-28-amd64" ||
				f.FileSystems[0] != (model.GuestFS{Mount: "/", Device: "vda1", Type: "ext4", TotalBytes: 1000, UsedBytes: 900})) {
				t.Errorf("facts %+v", f)
			}
		})
	}
}

func FuzzAddresses(f *testing.F) {
	f.Add("eth0", "10.0.2.15", uint(24))
	f.Add("lo", "::1", uint(128))
	f.Add("x", "fe80::1%eth0", uint(64))
	f.Add("", "not an address", uint(0))
	f.Fuzz(func(t *testing.T, name, addr string, prefix uint) {
		got := addresses([]libvirt.DomainInterface{iface(name, "52:54:00:00:00:01", addr)}, model.AddrAgent)
		for _, a := range got {
			if a.Addr == "" || a.Source != model.AddrAgent {
				t.Fatalf("address %+v from %q", a, addr)
			}
		}
		g := &model.GuestFacts{Addresses: got}
		if p, ok := g.PrimaryAddress(); ok && p.Addr == "" {
			t.Fatalf("primary %+v", p)
		}
	})
}

// The test driver answers addresses for every running domain but has no
// GetGuestInfo: the facts carry the address and say why the rest is missing.
func TestGuestFactsTestDriver(t *testing.T) {
	s := newTestSource(t, "test:///default")
	sec := pollUntil(t, s, 5*time.Second, "guest facts of domain test", func(sec model.VMSection) bool {
		m, ok := find(sec, "test")
		return ok && m.Guest != nil
	})
	m, _ := find(sec, "test")
	p, ok := m.Guest.PrimaryAddress()
	if !ok || p.Addr != "192.168.122.3" || p.Source != model.AddrAgent || p.MAC != "aa:bb:cc:dd:ee:ff" || p.Prefix != 24 {
		t.Errorf("primary address %+v (%v); want 192.168.122.3/24 from the agent", p, ok)
	}
	if !strings.Contains(m.Guest.AgentWhy, "not supported by this libvirt driver") {
		t.Errorf("AgentWhy = %q", m.Guest.AgentWhy)
	}
	f, err := s.GuestFacts(context.Background(), m.UUID)
	if err != nil || len(f.Addresses) != 1 || f.Addresses[0].Addr != "192.168.122.3" {
		t.Errorf("GuestFacts = %+v, %v", f, err)
	}
	// Once read, the same facts are handed out until they are due again.
	again := s.Poll(context.Background())
	if m2, _ := find(again, "test"); m2.Guest != m.Guest {
		t.Error("facts were read again within the period")
	}
}

// Shut-off domains get no facts, and a domain that stops loses its facts.
func TestGuestFactsOnlyRunning(t *testing.T) {
	path, doms := writeNode(t, t.TempDir(), 12)
	s := newTestSource(t, "test://"+path)
	sec := pollUntil(t, s, 10*time.Second, "facts of every running domain", func(sec model.VMSection) bool {
		for _, m := range sec.Items {
			if m.State == model.VMRunning && m.Guest == nil {
				return false
			}
		}
		return len(sec.Items) == len(doms)
	})
	for _, m := range sec.Items {
		if m.State == model.VMShutoff && m.Guest != nil {
			t.Errorf("%s is shut off but has facts %+v", m.Name, m.Guest)
		}
	}
	var running model.Machine
	for _, m := range sec.Items {
		if m.State == model.VMRunning {
			running = m
			break
		}
	}
	if err := s.Act(context.Background(), running.UUID, model.ForceOffVM); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, s, 5*time.Second, running.Name+" shut off without facts", func(sec model.VMSection) bool {
		m, ok := find(sec, running.Name)
		return ok && m.State == model.VMShutoff && m.Guest == nil
	})
	if err := s.Act(context.Background(), running.UUID, model.StartVM); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, s, 5*time.Second, running.Name+" running with new facts", func(sec model.VMSection) bool {
		m, ok := find(sec, running.Name)
		return ok && m.State == model.VMRunning && m.Guest != nil && m.Guest != running.Guest
	})
}

// BenchmarkGuestFacts100 is one background round of guest facts for 100
// running test-driver domains: per domain, the agent's addresses (the test
// driver answers them as an agent would) and GetGuestInfo (the test driver
// refuses it at once, so a real agent's round trip is not in this figure).
func BenchmarkGuestFacts100(b *testing.B) {
	if err := startEventLoop(); err != nil {
		b.Skip(err)
	}
	path, doms := writeNode(b, b.TempDir(), 150) // every third shut off: 100 running
	withNICs(b, path)
	conn, err := libvirt.NewConnect("test://" + path)
	if err != nil {
		b.Skip(err)
	}
	defer conn.Close()
	var jobs []guestJob
	for _, d := range doms {
		if d.state == model.VMRunning {
			jobs = append(jobs, guestJob{uuid: d.uuid, name: d.name, agent: true})
		}
	}
	if len(jobs) != 100 {
		b.Fatalf("%d running domains, want 100", len(jobs))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, j := range jobs {
			if f := readGuestFacts(conn, j); f == nil || len(f.Addresses) == 0 {
				b.Fatalf("%s: facts %+v", j.name, f)
			}
		}
	}
}

// BenchmarkPoll1000GuestFactsBusy is BenchmarkPoll1000 while the background
// reader re-reads the facts of all 667 running domains without pause (a
// 1 ms period instead of 30 s): the worst the facts can do to the 1 s refresh.
func BenchmarkPoll1000GuestFactsBusy(b *testing.B) {
	s := NewSource(Config{URI: "test://" + benchNode(b), CallTimeout: 30 * time.Second, GuestFactsPeriod: time.Millisecond})
	defer s.Close()
	waitFacts(b, s)
	before := s.guest.readCount()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if sec := s.Poll(context.Background()); len(sec.Items) != 1000 {
			b.Fatalf("poll: %d items, %q", len(sec.Items), sec.Reason)
		}
	}
	b.StopTimer()
	reads := s.guest.readCount() - before
	b.ReportMetric(float64(reads)/float64(b.N), "facts-reads/op")
}

// withNICs gives every domain of a node file one network interface, whose
// address the test driver then reports.
func withNICs(b *testing.B, path string) {
	doc, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	doc = bytes.ReplaceAll(doc, []byte("<devices>"), []byte("<devices><interface type='network'><source network='default'/></interface>"))
	doc = bytes.Replace(doc, []byte("</node>"), []byte("<network><name>default</name><bridge name='virbr0'/>"+
		"<ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>\n</node>"), 1)
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		b.Fatal(err)
	}
}

// waitFacts polls until every running domain has its guest facts.
func waitFacts(b *testing.B, s *Source) {
	b.Helper()
	for range 1000 {
		sec := s.Poll(context.Background())
		all := len(sec.Items) > 0
		for _, m := range sec.Items {
			all = all && (m.State != model.VMRunning || m.Guest != nil)
		}
		if all {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("the guest facts of the running domains never arrived")
}

func TestGuestKeeperSchedule(t *testing.T) {
	k := newGuestKeeper(30*time.Second, 5*time.Second)
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	look := func(at time.Duration, id uint) (*model.GuestFacts, bool) {
		k.begin()
		f := k.lookup("u1", "web1", id, true, t0.Add(at))
		return f, k.end()
	}
	if f, work := look(0, 1); f != nil || !work {
		t.Fatalf("first sight: facts %v, work %v; want none yet and a read due", f, work)
	}
	jobs := k.takeDue()
	if len(jobs) != 1 || jobs[0] != (guestJob{uuid: "u1", name: "web1", id: 1, agent: true}) {
		t.Fatalf("jobs %+v", jobs)
	}
	// While the read is in flight, however long, no second one is due.
	if _, work := look(time.Minute, 1); work || len(k.takeDue()) != 0 {
		t.Fatal("a second read was due while the first was in flight")
	}
	facts := &model.GuestFacts{Hostname: "web1"}
	k.store(jobs[0], facts, t0.Add(time.Minute))
	if f, work := look(time.Minute+29*time.Second, 1); f != facts || work {
		t.Errorf("within the period: facts %v, work %v", f, work)
	}
	if f, work := look(time.Minute+30*time.Second, 1); f != facts || !work {
		t.Errorf("after the period: facts %v, work %v; want the old facts and a read due", f, work)
	}
	jobs = k.takeDue()
	// A new run of the domain: old facts are not shown; its read waits for
	// the old run's read in flight, whose answer is then dropped.
	if f, work := look(2*time.Minute, 2); f != nil || work {
		t.Errorf("new run: facts %v, work %v; want none, and no read beside the one in flight", f, work)
	}
	k.store(jobs[0], facts, t0.Add(2*time.Minute))
	if f, work := look(2*time.Minute, 2); f != nil || !work {
		t.Errorf("after the old run's read: facts %v, work %v", f, work)
	}
	jobs = k.takeDue()
	if len(jobs) != 1 || jobs[0].id != 2 {
		t.Fatalf("jobs %+v", jobs)
	}
	k.store(jobs[0], facts, t0.Add(2*time.Minute))
	// An agent event makes the read due at once.
	k.invalidate("u1")
	if jobs := k.takeDue(); len(jobs) != 1 {
		t.Errorf("after an agent event: jobs %+v", jobs)
	}
	// A domain no longer listed is forgotten.
	k.begin()
	if k.end(); len(k.doms) != 0 {
		t.Errorf("a domain not listed is still kept: %+v", k.doms)
	}
}

// A guest whose facts read hangs (an agent stuck in libvirt) neither slows
// the refresh nor keeps old facts: after the bound the row says libvirt has
// not answered, and the answer is taken when it finally comes.
func TestGuestFactsReadStuck(t *testing.T) {
	s := newTestSource(t, "test:///default")
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	s.guest.timeout = 300 * time.Millisecond
	s.guest.read = func(conn *libvirt.Connect, j guestJob) *model.GuestFacts {
		<-release
		return readGuestFacts(conn, j)
	}
	var slowest time.Duration
	pollUntil(t, s, 10*time.Second, "the stuck read reported", func(sec model.VMSection) bool {
		m, ok := find(sec, "test")
		return ok && m.Guest != nil
	})
	var sec model.VMSection
	for range 5 {
		began := time.Now()
		sec = s.Poll(context.Background())
		slowest = max(slowest, time.Since(began))
	}
	if slowest > time.Second {
		t.Errorf("a refresh took %s while a facts read was stuck; want it within 1 s", slowest)
	}
	m, _ := find(sec, "test")
	if !strings.Contains(m.Guest.AgentWhy, "libvirt has not answered for") || len(m.Guest.Addresses) != 0 {
		t.Errorf("facts while stuck: %+v", m.Guest)
	}
	unblock()
	pollUntil(t, s, 10*time.Second, "the late answer", func(sec model.VMSection) bool {
		m, ok := find(sec, "test")
		return ok && m.Guest != nil && len(m.Guest.Addresses) == 1
	})
}
