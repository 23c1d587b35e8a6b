package vm

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// nodeDomain is what a generated test-driver node file says about a domain.
type nodeDomain struct {
	name  string
	uuid  string
	state model.VMState
	vnc   bool
	vcpus int
	mem   uint64
}

// writeNode writes a test-driver node file with n domains: every third one
// shut off, every fourth one with a VNC display.
func writeNode(t testing.TB, dir string, n int) (string, []nodeDomain) {
	t.Helper()
	var b strings.Builder
	b.WriteString("<node>\n")
	doms := make([]nodeDomain, n)
	for i := range doms {
		d := nodeDomain{
			name:  fmt.Sprintf("vm-%04d", i),
			uuid:  fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			state: model.VMRunning,
			vnc:   i%4 == 0,
			vcpus: 1 + i%2,
			mem:   uint64(64*(1+i%4)) << 20,
		}
		runstate, graphics := "", ""
		if i%3 == 1 {
			d.state = model.VMShutoff
			runstate = "<test:runstate>5</test:runstate>"
		}
		if d.vnc {
			graphics = fmt.Sprintf("<graphics type='vnc' port='%d' autoport='no'/>", 5901+i)
		}
		fmt.Fprintf(&b, "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"+
			"<name>%s</name><uuid>%s</uuid><memory unit='MiB'>%d</memory><vcpu>%d</vcpu>"+
			"<os><type>hvm</type></os><devices>%s</devices>%s</domain>\n",
			d.name, d.uuid, d.mem>>20, d.vcpus, graphics, runstate)
		doms[i] = d
	}
	b.WriteString("</node>\n")
	path := filepath.Join(dir, "node.xml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, doms
}

// pollUntil polls until ok accepts a section or the deadline passes.
func pollUntil(t *testing.T, s *Source, within time.Duration, what string, ok func(model.VMSection) bool) model.VMSection {
	t.Helper()
	deadline := time.Now().Add(within)
	var sec model.VMSection
	for {
		sec = s.Poll(context.Background())
		if ok(sec) {
			return sec
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; last section: available=%v error=%q items=%d",
				within, what, sec.IsUp(), sec.Reason, len(sec.Items))
		}
		select {
		case <-s.Changed():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func find(sec model.VMSection, name string) (model.Machine, bool) {
	for _, m := range sec.Items {
		if m.Name == name {
			return m, true
		}
	}
	return model.Machine{}, false
}

func newTestSource(t testing.TB, uri string) *Source {
	t.Helper()
	s := NewSource(Config{URI: uri})
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestDefaultTestDriver(t *testing.T) {
	s := newTestSource(t, "test:///default")
	sec := s.Poll(context.Background())
	if !sec.IsUp() || sec.Reason != "" {
		t.Fatalf("unavailable: %q", sec.Reason)
	}
	if sec.URI != "test:///default" || s.URI() != "test:///default" {
		t.Errorf("URI = %q / %q", sec.URI, s.URI())
	}
	m, ok := find(sec, "test")
	if !ok {
		t.Fatalf("domain test missing from %+v", sec.Items)
	}
	if m.UUID != "6695eb01-f6a4-8304-79aa-97f2502e193f" || m.State != model.VMRunning ||
		m.VCPUs != 2 || m.MemoryBytes != 2<<30 || m.VNC {
		t.Errorf("got %+v", m)
	}
	// The test driver has no counters and no local QEMU: no invented figures.
	if m.CPUPercent != nil || m.DiskReadBps != nil || m.NetRxBps != nil || m.UptimeSeconds != nil {
		t.Errorf("figures without counters: %+v", m)
	}
}

func TestActionsOnTestDriver(t *testing.T) {
	s := newTestSource(t, "test:///default")
	first := s.Poll(context.Background())
	m, ok := find(first, "test")
	if !ok {
		t.Fatal("domain test missing")
	}
	steps := []struct {
		a    model.VMAction
		want model.VMState
	}{
		{model.PauseVM, model.VMPaused},
		{model.ResumeVM, model.VMRunning},
		{model.RebootVM, model.VMRunning},
		{model.ShutDownVM, model.VMShutoff},
		{model.StartVM, model.VMRunning},
		{model.ForceOffVM, model.VMShutoff},
		{model.StartVM, model.VMRunning},
	}
	state := m.State
	for _, st := range steps {
		if !st.a.AppliesTo(state) {
			t.Fatalf("%s does not apply to %s", st.a, state)
		}
		if err := s.Act(context.Background(), m.UUID, st.a); err != nil {
			t.Fatalf("%s: %v", st.a, err)
		}
		sec := pollUntil(t, s, 5*time.Second, fmt.Sprintf("%s to give %s", st.a, st.want), func(sec model.VMSection) bool {
			got, ok := find(sec, "test")
			return ok && got.State == st.want
		})
		got, _ := find(sec, "test")
		state = got.State
	}
	// An action libvirt refuses comes back in words naming the domain.
	err := s.Act(context.Background(), m.UUID, model.ResumeVM)
	if err == nil || !strings.HasPrefix(err.Error(), "cannot resume test: ") || strings.Contains(err.Error(), "virError") {
		t.Errorf("resume of a running domain: %v", err)
	}
	err = s.Act(context.Background(), "00000000-0000-0000-0000-00000000dead", model.StartVM)
	if err == nil || !strings.Contains(err.Error(), "cannot start 00000000-0000-0000-0000-00000000dead") {
		t.Errorf("start of an unknown domain: %v", err)
	}
}

func TestLifecycleEventsRefreshXML(t *testing.T) {
	s := newTestSource(t, "test:///default")
	if sec := s.Poll(context.Background()); !sec.IsUp() {
		t.Fatal(sec.Reason)
	}
	// A second connection to the same in-process driver plays another client.
	other, err := libvirt.NewConnect("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	const uuid = "11111111-2222-4333-8444-555555555555"
	define := func(graphics string) {
		t.Helper()
		d, err := other.DomainDefineXML("<domain type='test'><name>evt</name><uuid>" + uuid + "</uuid>" +
			"<memory unit='MiB'>128</memory><vcpu>3</vcpu><os><type>hvm</type></os><devices>" + graphics + "</devices></domain>")
		if err != nil {
			t.Fatal(err)
		}
		d.Free()
	}
	drain := func() {
		select {
		case <-s.Changed():
		default:
		}
	}
	waitChanged := func(what string) {
		t.Helper()
		select {
		case <-s.Changed():
		case <-time.After(5 * time.Second):
			t.Fatalf("no Changed signal after %s", what)
		}
	}

	drain()
	define("<graphics type='vnc' port='5999' autoport='no'/>")
	waitChanged("define")
	sec := s.Poll(context.Background())
	m, ok := find(sec, "evt")
	if !ok || !m.VNC || m.VCPUs != 3 || m.MemoryBytes != 128<<20 || m.State != model.VMShutoff {
		t.Fatalf("after define: %+v (found %v)", m, ok)
	}

	// Redefining without VNC must be seen through the event, not a refetch of every XML.
	xmlReads := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.col.xmlRead
	}
	before := xmlReads()
	drain()
	define("")
	waitChanged("redefine")
	sec = s.Poll(context.Background())
	if m, _ := find(sec, "evt"); m.VNC {
		t.Errorf("VNC still true after redefine without graphics")
	}
	if got := xmlReads() - before; got != 1 {
		t.Errorf("%d XML reads after one redefine, want 1", got)
	}

	d, err := other.LookupDomainByUUIDString(uuid)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free()
	drain()
	if err := d.Undefine(); err != nil {
		t.Fatal(err)
	}
	waitChanged("undefine")
	sec = s.Poll(context.Background())
	if _, ok := find(sec, "evt"); ok {
		t.Error("undefined domain still listed")
	}
	s.mu.Lock()
	_, kept := s.col.doms[uuid]
	s.mu.Unlock()
	if kept {
		t.Error("memory of the undefined domain was not dropped")
	}
}

func TestThousandDomains(t *testing.T) {
	path, want := writeNode(t, t.TempDir(), 1000)
	s := newTestSource(t, "test://"+path)
	for round := range 2 { // the second round runs on cached XML
		sec := s.Poll(context.Background())
		if !sec.IsUp() {
			t.Fatal(sec.Reason)
		}
		s.mu.Lock()
		reads := s.col.xmlRead
		s.mu.Unlock()
		if reads != len(want) {
			t.Errorf("round %d: %d XML reads in all, want %d (once per domain)", round, reads, len(want))
		}
		if len(sec.Items) != len(want) {
			t.Fatalf("round %d: %d domains, want %d", round, len(sec.Items), len(want))
		}
		for i, w := range want { // names sort as generated
			m := sec.Items[i]
			if m.Name != w.name || m.UUID != w.uuid || m.State != w.state || m.VNC != w.vnc ||
				m.VCPUs != w.vcpus || m.MemoryBytes != w.mem {
				t.Fatalf("round %d: item %d = %+v, want %+v", round, i, m, w)
			}
		}
	}
}

func TestUnavailableURI(t *testing.T) {
	s := newTestSource(t, "test+unix:///default?socket="+filepath.Join(t.TempDir(), "none.sock"))
	sec := s.Poll(context.Background())
	if sec.IsUp() || sec.Items != nil {
		t.Fatalf("available without a daemon: %+v", sec)
	}
	for _, sub := range []string{"cannot connect to test+unix:///default", "not running"} {
		if !strings.Contains(sec.Reason, sub) {
			t.Errorf("error %q lacks %q", sec.Reason, sub)
		}
	}
	if strings.Contains(sec.Reason, "retr") || sec.RetryIn(time.Now()) != "in 1s" {
		t.Errorf("the retry is not a typed field: %q, retry %s", sec.Reason, sec.RetryIn(time.Now()))
	}
	// Within the backoff the source does not knock again; the wait shrinks.
	sec = s.Poll(context.Background())
	if sec.RetryIn(time.Now()) != "in 1s" {
		t.Errorf("second poll: retry %s", sec.RetryIn(time.Now()))
	}
	// Each failed attempt doubles the wait: pretend the first one is over.
	for _, want := range []string{"2s", "4s", "8s", "16s", "30s", "30s"} {
		s.mu.Lock()
		s.col.nextTry = time.Now().Add(-time.Millisecond)
		s.mu.Unlock()
		if sec := s.Poll(context.Background()); sec.RetryIn(time.Now()) != "in "+want {
			t.Errorf("want a retry in %s: %s", want, sec.RetryIn(time.Now()))
		}
	}
	if err := s.Act(context.Background(), "x", model.StartVM); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Errorf("Act while disconnected: %v", err)
	}
}

// TestHungLibvirt talks to a socket that accepts but never answers, as a
// stuck libvirtd does: Poll must return on time and not pile up calls.
func TestHungLibvirt(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hung.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	s := NewSource(Config{URI: "test+unix:///default?socket=" + sock, CallTimeout: 300 * time.Millisecond})

	began := time.Now()
	sec := s.Poll(context.Background())
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("Poll took %s with a 300ms CallTimeout", took)
	}
	if sec.IsUp() || !strings.Contains(sec.Reason, "has not answered since") {
		t.Errorf("first poll: %+v", sec)
	}
	began = time.Now()
	sec = s.Poll(context.Background())
	if took := time.Since(began); took > 100*time.Millisecond {
		t.Errorf("overlapping Poll waited %s instead of returning at once", took)
	}
	if !strings.Contains(sec.Reason, "has not answered since") {
		t.Errorf("overlapping poll: %+v", sec)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sec := s.Poll(ctx); !strings.Contains(sec.Reason, "has not answered") {
		t.Errorf("cancelled poll: %+v", sec)
	}
	if n := len(accepted); n != 1 {
		t.Errorf("%d connections to the hung daemon, want 1 (one refresh in flight)", n)
	}

	// The daemon dies: the stuck call fails and the source says so in words.
	ln.Close()
	for c := range accepted {
		c.Close()
	}
	sec = pollUntil(t, s, 5*time.Second, "the stuck connect to fail", func(sec model.VMSection) bool {
		return strings.Contains(sec.Reason, "cannot connect to test+unix:///default")
	})
	if sec.IsUp() {
		t.Errorf("available after failure: %+v", sec)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if sec := s.Poll(context.Background()); !strings.Contains(sec.Reason, "closed") {
		t.Errorf("poll after Close: %+v", sec)
	}
}

func TestCandidateURIs(t *testing.T) {
	tests := []struct {
		cfg, env string
		euid     int
		want     string
	}{
		{"test:///default", "qemu:///session", 0, "test:///default"},
		{"", "qemu+ssh://h/system", 1000, "qemu+ssh://h/system"},
		{"", "", 0, "qemu:///system"},
		{"", "", 1000, "qemu:///system qemu:///session"},
	}
	for _, tt := range tests {
		if got := strings.Join(CandidateURIs(tt.cfg, tt.env, tt.euid), " "); got != tt.want {
			t.Errorf("CandidateURIs(%q, %q, %d) = %q, want %q", tt.cfg, tt.env, tt.euid, got, tt.want)
		}
	}
}

func TestUpdateRates(t *testing.T) {
	t0 := time.Unix(1000, 0)
	d := &domain{}
	var c collector
	c.updateRates(d, counters{cpu: 0, cpuOK: true, rd: 0, wr: 0, diskOK: true}, t0)
	if d.rates.ok != [5]bool{} {
		t.Fatalf("rates after one sample: %+v", d.rates)
	}
	// Too soon after the first sample: nothing yet, the first sample is kept.
	c.updateRates(d, counters{cpu: 1e8, cpuOK: true, rd: 10, wr: 10, diskOK: true}, t0.Add(100*time.Millisecond))
	if d.rates.ok[0] || !d.prevAt.Equal(t0) {
		t.Fatalf("rate from samples 100ms apart: %+v", d.rates)
	}
	// 1.5 s of CPU over 1 s = 150 % of a core; 4096 bytes read per second.
	c.updateRates(d, counters{cpu: 15e8, cpuOK: true, rd: 4096, wr: 0, diskOK: true}, t0.Add(time.Second))
	want := figures{v: [5]float64{150, 4096, 0, 0, 0}, ok: [5]bool{true, true, true, false, false}}
	if d.rates != want {
		t.Errorf("rates = %+v, want %+v", d.rates, want)
	}
	// A counter going backwards (a reset) gives no rate rather than a huge one.
	c.updateRates(d, counters{cpu: 1, cpuOK: true, rd: 4096, diskOK: true}, t0.Add(2*time.Second))
	if d.rates.ok[0] || !d.rates.ok[1] || d.rates.v[1] != 0 {
		t.Errorf("rates after a reset = %+v", d.rates)
	}
}

// benchNode is the node file to measure: $HORCRUX_BENCH_NODE (so bench/vms.sh
// times virsh on the very same file) or a fresh one.
func benchNode(b *testing.B) string {
	if p := os.Getenv("HORCRUX_BENCH_NODE"); p != "" {
		return p
	}
	p, _ := writeNode(b, b.TempDir(), 1000)
	return p
}

func benchPoll(b *testing.B, uri string) {
	s := NewSource(Config{URI: uri, CallTimeout: 30 * time.Second})
	defer s.Close()
	sec := s.Poll(context.Background()) // fills the XML cache
	if !sec.IsUp() {
		b.Skip(sec.Reason)
	}
	if len(sec.Items) != 1000 {
		b.Fatalf("%d domains, want 1000", len(sec.Items))
	}
	// Steady state: the guest facts are read once, then every 30 s.
	waitFacts(b, s)
	reads := s.guest.readCount()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if sec := s.Poll(context.Background()); len(sec.Items) != 1000 {
			b.Fatalf("poll: %d items, %q", len(sec.Items), sec.Reason)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(s.guest.readCount()-reads), "facts-reads")
}

// BenchmarkPoll1000 refreshes 1000 test-driver domains inside the process.
func BenchmarkPoll1000(b *testing.B) {
	benchPoll(b, "test://"+benchNode(b))
}

// BenchmarkPoll1000Daemon does the same through libvirtd's socket.
func BenchmarkPoll1000Daemon(b *testing.B) {
	if _, err := os.Stat("/run/libvirt/libvirt-sock"); err != nil {
		b.Skip("libvirtd is not running (no /run/libvirt/libvirt-sock); start it with scripts/libvirtd.sh start")
	}
	benchPoll(b, "test+unix://"+benchNode(b))
}

// BenchmarkBindingStats1000 is the Go binding's own GetAllDomainStats on the
// same file: the decoding cost that bulkstats.go avoids.
func BenchmarkBindingStats1000(b *testing.B) {
	if err := startEventLoop(); err != nil {
		b.Skip(err)
	}
	conn, err := libvirt.NewConnect("test://" + benchNode(b))
	if err != nil {
		b.Skip(err)
	}
	defer conn.Close()
	b.ReportAllocs()
	for b.Loop() {
		stats, err := conn.GetAllDomainStats(nil, statsTypes, libvirt.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
		if err != nil || len(stats) != 1000 {
			b.Fatalf("%d stats, %v", len(stats), err)
		}
		for i := range stats {
			stats[i].Domain.Free()
		}
	}
}

// TestFallbackIsSaid: when the first URI refuses and a fallback answers, the
// section says so, with the fix, instead of looking like the whole story.
func TestFallbackIsSaid(t *testing.T) {
	s := newTestSource(t, "test:///default")
	s.candidates = []string{"qemu+unix:///system?socket=" + filepath.Join(t.TempDir(), "none.sock"), "test:///default"}
	sec := s.Poll(context.Background())
	if !sec.IsUp() || sec.URI != "test:///default" {
		t.Fatalf("fallback not used: %+v", sec)
	}
	if !strings.Contains(sec.Notice, s.candidates[0]) || !strings.Contains(sec.Notice, "showing test:///default") ||
		!strings.Contains(sec.Notice, "not running") {
		t.Errorf("notice %q", sec.Notice)
	}
	if plain := newTestSource(t, "test:///default").Poll(context.Background()); plain.Notice != "" {
		t.Errorf("a URI that answered first has a notice: %q", plain.Notice)
	}
}

func TestFallbackNoticeForPermission(t *testing.T) {
	err := libvirt.Error{Code: libvirt.ERR_AUTH_UNAVAILABLE, Message: "authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'"}
	n := fallbackNotice("qemu:///system", err, "qemu:///session")
	for _, want := range []string{"qemu:///system refused your user", "polkit", "showing qemu:///session", "usermod -aG libvirt"} {
		if !strings.Contains(n, want) {
			t.Errorf("notice %q lacks %q", n, want)
		}
	}
}
