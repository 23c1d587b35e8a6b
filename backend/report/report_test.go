package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/container"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/vm"
)

func TestTakeJSONShape(t *testing.T) {
	r, err := Take(context.Background(), Config{Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	var ts string
	if err := json.Unmarshal(doc["time"], &ts); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339, ts); err != nil {
		t.Errorf("time %q is not RFC 3339", ts)
	}
	var hostDoc map[string]any
	if err := json.Unmarshal(doc["host"], &hostDoc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"hostname", "cpu_percent", "cpu_per_core_percent", "mem_total_bytes", "mem_used_bytes",
		"mem_available_bytes", "swap_total_bytes", "swap_used_bytes", "load1", "load5", "load15",
		"disk_read_bytes_per_sec", "disk_write_bytes_per_sec", "net_rx_bytes_per_sec", "net_tx_bytes_per_sec", "uptime_seconds"} {
		v, ok := hostDoc[k]
		if !ok || v == nil {
			t.Errorf("host.%s missing or null on a healthy host: %v (errors: %v)", k, v, hostDoc["errors"])
		}
	}
	for _, k := range []string{"vms", "containers"} {
		var sec map[string]any
		if err := json.Unmarshal(doc[k], &sec); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if _, ok := sec["available"].(bool); !ok {
			t.Errorf("%s.available missing: %v", k, sec)
		}
	}
}

func TestTableNamesEveryFigure(t *testing.T) {
	r, err := Take(context.Background(), Config{Interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"hostname", "cpu", "memory", "swap", "load", "disk", "network", "uptime"} {
		if !strings.Contains(buf.String(), "\n"+k+" ") {
			t.Errorf("table lacks %q:\n%s", k, buf.String())
		}
	}
}

func TestTakeHonoursCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Take(ctx, Config{Interval: time.Hour}); err == nil {
		t.Fatal("cancelled Take returned a report")
	}
}

func TestTakeFillsSourcesAndReportsDeadOnes(t *testing.T) {
	vms := vm.NewSource(vm.Config{URI: "test:///default"})
	defer vms.Close()
	dead := container.NewSource(container.Config{Host: "unix:///nonexistent/docker.sock"})
	defer dead.Close()
	r, err := Take(context.Background(), Config{Interval: 100 * time.Millisecond, VMs: vms, Containers: dead})
	if err != nil {
		t.Fatal(err)
	}
	if !r.VMs.IsUp() || len(r.VMs.Items) != 1 || r.VMs.Items[0].Name != "test" || r.VMs.URI != "test:///default" {
		t.Fatalf("vms: %+v", r.VMs)
	}
	if r.Containers.IsUp() || !strings.Contains(r.Containers.Reason, "/nonexistent/docker.sock") {
		t.Fatalf("containers from a dead socket: %+v", r.Containers)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		VMs struct {
			URI       string           `json:"uri"`
			Available bool             `json:"available"`
			Items     []map[string]any `json:"items"`
		} `json:"vms"`
		Containers struct {
			Host      string `json:"host"`
			Available bool   `json:"available"`
			Error     string `json:"error"`
		} `json:"containers"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "uuid", "state", "vcpus", "memory_bytes", "cpu_percent", "disk_read_bytes_per_sec",
		"disk_write_bytes_per_sec", "net_rx_bytes_per_sec", "net_tx_bytes_per_sec", "vnc"} {
		if _, ok := doc.VMs.Items[0][k]; !ok {
			t.Errorf("vms.items[0].%s missing: %s", k, buf.String())
		}
	}
	if doc.VMs.Items[0]["state"] != "running" || doc.Containers.Available || doc.Containers.Error == "" {
		t.Errorf("json: %s", buf.String())
	}
	buf.Reset()
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "virtual machines (test:///default)") || !strings.Contains(buf.String(), "containers (unix:///nonexistent/docker.sock): unavailable") {
		t.Errorf("table:\n%s", buf.String())
	}
}

func TestTakeWithUnreachableURI(t *testing.T) {
	vms := vm.NewSource(vm.Config{URI: "qemu+unix:///system?socket=/nonexistent/libvirt-sock"})
	defer vms.Close()
	r, err := Take(context.Background(), Config{Interval: 50 * time.Millisecond, VMs: vms})
	if err != nil {
		t.Fatal(err)
	}
	if r.VMs.IsUp() || r.VMs.Reason == "" {
		t.Fatalf("unreachable URI: %+v", r.VMs)
	}
}

// frozenEngine never answers, as a SIGSTOPped dockerd.
type frozenEngine struct{}

func (frozenEngine) Poll(ctx context.Context) model.ContainerSection {
	<-ctx.Done()
	return model.ContainerSection{Availability: model.Unavailable("cancelled")}
}

func (frozenEngine) Changed() <-chan struct{} { return nil }

// TestTakeReportsASilentSource: a frozen engine is reported as not
// answering since the snapshot began, and the rest is still reported.
func TestTakeReportsASilentSource(t *testing.T) {
	vms := vm.NewSource(vm.Config{URI: "test:///default"})
	defer vms.Close()
	began := time.Now()
	r, err := Take(context.Background(), Config{Interval: 50 * time.Millisecond, Timeout: 200 * time.Millisecond,
		VMs: vms, Containers: frozenEngine{}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.VMs.IsUp() || len(r.VMs.Items) != 1 {
		t.Errorf("the VMs were lost with the frozen engine: %+v", r.VMs)
	}
	c := r.Containers
	if c.State != model.NotAnswering || c.Since.Before(began) || !strings.Contains(c.Reason, "has not answered since") || !strings.Contains(c.Reason, "no containers have been listed yet") || c.Items != nil {
		t.Errorf("frozen engine reported as %+v", c)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"state": "not-answering"`) || !strings.Contains(buf.String(), `"since": "`) {
		t.Errorf("JSON does not say so:\n%s", buf.String())
	}
}
