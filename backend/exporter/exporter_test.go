package exporter

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func ptr[T any](v T) *T { return &v }

var sampleTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// snapshot builds a snapshot by hand: a host without swap figures, a
// running VM "alpha" and a shut-off VM "beta" without figures, and a running
// container "web" plus an exited one without figures.
func snapshot() *model.Snapshot {
	return &model.Snapshot{
		Time: sampleTime,
		Host: model.HostStats{
			Time:              sampleTime,
			Hostname:          "ws1",
			CPUPercent:        12.5,
			CPUPerCorePercent: []float64{10, 15},
			MemTotal:          16 << 30, MemUsed: 4 << 30, MemAvailable: 12 << 30,
			Load1: 0.5, Load5: 0.25, Load15: 0.125,
			DiskReadBps: 1000, DiskWriteBps: 2000,
			NetRxBps: 300, NetTxBps: 400,
			UptimeSeconds: 3600,
			Missing:       map[model.Part]model.Gap{model.PartSwap: {Reason: "cannot read /proc/swaps"}},
		},
		VMs: []model.VMSection{{URI: "qemu:///system", Availability: model.Available(), Items: []model.Machine{
			{Name: "alpha", UUID: "uuid-a", State: model.VMRunning, VCPUs: 2, MemoryBytes: 2 << 30,
				CPUPercent: ptr(150.0), DiskReadBps: ptr(10.0), DiskWriteBps: ptr(20.0),
				NetRxBps: ptr(30.0), NetTxBps: ptr(40.0), UptimeSeconds: ptr(600.0),
				Guest: &model.GuestFacts{FileSystems: []model.GuestFS{
					{Mount: "/", Device: "vda1", Type: "ext4", TotalBytes: 1000, UsedBytes: 910},
					{Mount: "/", Device: "vda1", Type: "ext4", TotalBytes: 1000, UsedBytes: 910}, // listed twice by the guest
					{Mount: "/boot", Device: "vda2", Type: "ext2", TotalBytes: 100, UsedBytes: 10},
				}}},
			{Name: "beta", UUID: "uuid-b", State: model.VMShutoff, VCPUs: 1, MemoryBytes: 1 << 30},
		}}},
		Containers: []model.ContainerSection{{Host: "unix:///var/run/docker.sock", Availability: model.Available(), Items: []model.Container{
			{ID: "c0ffee", Name: "web", Image: "nginx:1.27", State: "running",
				CPUPercent: ptr(5.0), MemUsageBytes: ptr(uint64(50 << 20)), MemLimitBytes: ptr(uint64(1 << 30)),
				NetRxBps: ptr(1.0), NetTxBps: ptr(2.0), BlockReadBps: ptr(3.0), BlockWriteBps: ptr(4.0),
				PIDs: ptr(uint64(7)), RestartCount: 2},
			{ID: "dead01", Name: "job", Image: "busybox", State: "exited", ExitCode: 3},
		}}},
	}
}

// scrape fetches url and parses the text exposition format.
func scrape(t *testing.T, c *http.Client, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Ask for text explicitly: the parser below reads the text format.
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape: %s: %s", resp.Status, b)
	}
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

func scrapeHandler(t *testing.T, e *Exporter) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	return scrape(t, srv.Client(), srv.URL)
}

// find returns the value of the series of name whose labels include want.
func find(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// l builds a label set from name, value pairs.
func l(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestScrapeShowsSnapshot(t *testing.T) {
	e := New()
	e.Update(snapshot())
	fams := scrapeHandler(t, e)

	present := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"horcrux_host_sample_timestamp_seconds", nil, float64(sampleTime.Unix())},
		{"horcrux_host_cpu_percent", nil, 12.5},
		{"horcrux_host_cpu_core_percent", l("core", "0"), 10},
		{"horcrux_host_cpu_core_percent", l("core", "1"), 15},
		{"horcrux_host_memory_total_bytes", nil, 16 << 30},
		{"horcrux_host_memory_used_bytes", nil, 4 << 30},
		{"horcrux_host_memory_available_bytes", nil, 12 << 30},
		{"horcrux_host_load1", nil, 0.5},
		{"horcrux_host_load5", nil, 0.25},
		{"horcrux_host_load15", nil, 0.125},
		{"horcrux_host_disk_read_bytes_per_second", nil, 1000},
		{"horcrux_host_disk_write_bytes_per_second", nil, 2000},
		{"horcrux_host_network_receive_bytes_per_second", nil, 300},
		{"horcrux_host_network_transmit_bytes_per_second", nil, 400},
		{"horcrux_host_uptime_seconds", nil, 3600},

		{"horcrux_vms_up", l("uri", "qemu:///system"), 1},
		{"horcrux_vm_info", l("name", "alpha", "uuid", "uuid-a", "state", "running"), 1},
		{"horcrux_vm_info", l("name", "beta", "uuid", "uuid-b", "state", "shutoff"), 1},
		{"horcrux_vm_running", l("name", "alpha"), 1},
		{"horcrux_vm_running", l("name", "beta"), 0},
		{"horcrux_vm_vcpus", l("name", "alpha"), 2},
		{"horcrux_vm_vcpus", l("name", "beta"), 1},
		{"horcrux_vm_memory_bytes", l("name", "beta"), 1 << 30},
		{"horcrux_vm_cpu_percent", l("name", "alpha"), 150},
		{"horcrux_vm_disk_read_bytes_per_second", l("name", "alpha"), 10},
		{"horcrux_vm_disk_write_bytes_per_second", l("name", "alpha"), 20},
		{"horcrux_vm_network_receive_bytes_per_second", l("name", "alpha"), 30},
		{"horcrux_vm_network_transmit_bytes_per_second", l("name", "alpha"), 40},
		{"horcrux_vm_uptime_seconds", l("name", "alpha"), 600},
		{"horcrux_vm_guest_filesystem_size_bytes", l("name", "alpha", "mountpoint", "/"), 1000},
		{"horcrux_vm_guest_filesystem_used_bytes", l("name", "alpha", "mountpoint", "/"), 910},
		{"horcrux_vm_guest_filesystem_size_bytes", l("name", "alpha", "mountpoint", "/boot"), 100},

		{"horcrux_containers_up", l("host", "unix:///var/run/docker.sock"), 1},
		{"horcrux_container_info", l("name", "web", "id", "c0ffee", "image", "nginx:1.27", "state", "running"), 1},
		{"horcrux_container_info", l("name", "job", "id", "dead01", "image", "busybox", "state", "exited"), 1},
		{"horcrux_container_running", l("name", "web"), 1},
		{"horcrux_container_running", l("name", "job"), 0},
		{"horcrux_container_cpu_percent", l("name", "web"), 5},
		{"horcrux_container_memory_usage_bytes", l("name", "web"), 50 << 20},
		{"horcrux_container_memory_limit_bytes", l("name", "web"), 1 << 30},
		{"horcrux_container_network_receive_bytes_per_second", l("name", "web"), 1},
		{"horcrux_container_network_transmit_bytes_per_second", l("name", "web"), 2},
		{"horcrux_container_block_read_bytes_per_second", l("name", "web"), 3},
		{"horcrux_container_block_write_bytes_per_second", l("name", "web"), 4},
		{"horcrux_container_pids", l("name", "web"), 7},
		{"horcrux_container_restarts_total", l("name", "web"), 2},
		{"horcrux_container_exit_code", l("name", "job"), 3},
	}
	for _, c := range present {
		got, ok := find(fams, c.name, c.labels)
		if !ok {
			t.Errorf("%s%v: missing", c.name, c.labels)
			continue
		}
		if got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	// Figures that were not measured have no series at all, not a zero.
	absent := []struct {
		name   string
		labels map[string]string
	}{
		{"horcrux_host_swap_total_bytes", nil},
		{"horcrux_host_swap_used_bytes", nil},
		{"horcrux_vm_cpu_percent", l("name", "beta")},
		{"horcrux_vm_disk_read_bytes_per_second", l("name", "beta")},
		{"horcrux_vm_disk_write_bytes_per_second", l("name", "beta")},
		{"horcrux_vm_network_receive_bytes_per_second", l("name", "beta")},
		{"horcrux_vm_network_transmit_bytes_per_second", l("name", "beta")},
		{"horcrux_vm_uptime_seconds", l("name", "beta")},
		{"horcrux_vm_guest_filesystem_size_bytes", l("name", "beta")},
		{"horcrux_container_cpu_percent", l("name", "job")},
		{"horcrux_container_memory_usage_bytes", l("name", "job")},
		{"horcrux_container_pids", l("name", "job")},
		{"horcrux_container_exit_code", l("name", "web")},
	}
	for _, c := range absent {
		if v, ok := find(fams, c.name, c.labels); ok {
			t.Errorf("%s%v = %v, want no series", c.name, c.labels, v)
		}
	}

	for name, f := range fams {
		if !strings.HasPrefix(name, "horcrux_") && !strings.HasPrefix(name, "promhttp_") {
			t.Errorf("metric %s lacks the horcrux_ prefix", name)
		}
		if f.GetHelp() == "" {
			t.Errorf("metric %s has no HELP", name)
		}
		want := dto.MetricType_GAUGE
		if strings.HasSuffix(name, "_total") {
			want = dto.MetricType_COUNTER
		}
		if f.GetType() != want {
			t.Errorf("metric %s is a %v, want %v", name, f.GetType(), want)
		}
	}
}

func TestScrapeFollowsLatestSnapshot(t *testing.T) {
	e := New()
	if fams := scrapeHandler(t, e); len(horcruxNames(fams)) != 0 {
		t.Fatalf("before the first Update: %v, want nothing", horcruxNames(fams))
	}

	e.Update(snapshot())
	if _, ok := find(scrapeHandler(t, e), "horcrux_vm_info", l("name", "beta")); !ok {
		t.Fatal("beta missing from the first scrape")
	}

	// beta is undefined: the next scrape must not carry any series of it.
	next := snapshot()
	next.VMs[0].Items = next.VMs[0].Items[:1]
	e.Update(next)
	fams := scrapeHandler(t, e)
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "name" && lp.GetValue() == "beta" {
					t.Errorf("%s still has a series for the removed VM beta", name)
				}
			}
		}
	}
	if _, ok := find(fams, "horcrux_vm_info", l("name", "alpha")); !ok {
		t.Error("alpha vanished with beta")
	}
}

func horcruxNames(fams map[string]*dto.MetricFamily) []string {
	var out []string
	for n := range fams {
		if strings.HasPrefix(n, "horcrux_") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func TestUnavailableSources(t *testing.T) {
	cases := []struct {
		name string
		edit func(*model.Snapshot)
		up   string // the _up metric expected at 0
		gone string // a per-item metric that must be absent
	}{
		{"libvirt down", func(s *model.Snapshot) {
			s.VMs = []model.VMSection{{URI: "qemu:///system", Availability: model.Unavailable("cannot connect to libvirt")}}
		}, "horcrux_vms_up", "horcrux_vm_info"},
		{"libvirt silent", func(s *model.Snapshot) {
			s.VMs[0] = model.VMsNotAnswering(s.VMs[0].URI, s.Time.Add(-12*time.Second), s.Time)
		}, "horcrux_vms_up", "horcrux_vm_info"},
		{"engine down", func(s *model.Snapshot) {
			s.Containers = []model.ContainerSection{{Host: "unix:///var/run/docker.sock", Availability: model.Unavailable("Docker is not running")}}
		}, "horcrux_containers_up", "horcrux_container_info"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := snapshot()
			c.edit(s)
			e := New()
			e.Update(s)
			fams := scrapeHandler(t, e)
			if v, ok := find(fams, c.up, nil); !ok || v != 0 {
				t.Errorf("%s = %v (present %v), want 0", c.up, v, ok)
			}
			if _, ok := fams[c.gone]; ok {
				t.Errorf("%s emitted for an unavailable source", c.gone)
			}
			if _, ok := find(fams, "horcrux_host_cpu_percent", nil); !ok {
				t.Error("host figures lost with the other source")
			}
		})
	}
}

func TestHostBeforeFirstSample(t *testing.T) {
	s := snapshot()
	s.Host = model.HostStats{} // the collector's placeholder: never measured
	e := New()
	e.Update(s)
	for _, n := range horcruxNames(scrapeHandler(t, e)) {
		if strings.HasPrefix(n, "horcrux_host_") {
			t.Errorf("%s emitted before the host was measured", n)
		}
	}
}

func TestBadLabelValueSkipsOnlyItsSeries(t *testing.T) {
	s := snapshot()
	s.Containers[0].Items = append(s.Containers[0].Items, model.Container{ID: "bad", Name: "bad\xff", State: "running"})
	e := New()
	e.Update(s)
	fams := scrapeHandler(t, e)
	if _, ok := find(fams, "horcrux_container_info", l("name", "web")); !ok {
		t.Error("one bad label value hid the other containers")
	}
}

func TestUpdateDuringScrapes(t *testing.T) {
	e := New()
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			e.Update(snapshot())
			runtime.Gosched() // let the scrapes run between updates
		}
	})
	for range 20 {
		scrape(t, srv.Client(), srv.URL)
	}
	cancel()
	wg.Wait()
}

func TestServeListener(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := New()
	e.Update(snapshot())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ServeListener(ctx, ln, e) }()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()

	fams := scrape(t, c, base+"/metrics")
	if v, ok := find(fams, "horcrux_vm_running", l("name", "alpha")); !ok || v != 1 {
		t.Errorf("horcrux_vm_running{name=alpha} = %v (present %v), want 1", v, ok)
	}

	resp, err := c.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `href="metrics"`) {
		t.Errorf("index page: %s %q", resp.Status, body)
	}
	resp, err = c.Get(base + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/nothing: %s, want 404", resp.Status)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("ServeListener after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeListener did not return after cancel")
	}
	tr.CloseIdleConnections()
	if _, err := c.Get(base + "/metrics"); err == nil {
		t.Error("still serving after cancel")
	}
}

func TestServeBadAddress(t *testing.T) {
	err := Serve(context.Background(), "127.0.0.1:99999", New())
	if err == nil || !strings.Contains(err.Error(), "cannot listen") {
		t.Fatalf("Serve on a bad port: %v", err)
	}
}

func TestReachableFromOutside(t *testing.T) {
	cases := []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", false},
		{"::1", false},
		{"0.0.0.0", true},
		{"::", true},
		{"192.168.1.10", true},
	}
	for _, c := range cases {
		a := &net.TCPAddr{IP: net.ParseIP(c.ip), Port: 9977}
		if got := reachableFromOutside(a); got != c.want {
			t.Errorf("reachableFromOutside(%s) = %v, want %v", c.ip, got, c.want)
		}
	}
}

// Two hosts may each run a VM of the same name: their series differ by uri
// and the scrape must not fail on duplicates.
func TestSameNameOnTwoHosts(t *testing.T) {
	s := snapshot()
	other := s.VMs[0]
	other.URI = "qemu+ssh://far/system"
	s.VMs = append(s.VMs, other)
	e := New()
	e.Update(s)
	fams := scrapeHandler(t, e)
	name := s.VMs[0].Items[0].Name
	for _, uri := range []string{s.VMs[0].URI, other.URI} {
		if _, ok := find(fams, "horcrux_vm_running", l("name", name, "uri", uri)); !ok {
			t.Errorf("no horcrux_vm_running for %s on %s", name, uri)
		}
		if v, ok := find(fams, "horcrux_vms_up", l("uri", uri)); !ok || v != 1 {
			t.Errorf("horcrux_vms_up{uri=%q} = %v, %v", uri, v, ok)
		}
	}
}
