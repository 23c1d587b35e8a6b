package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
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
			t.Errorf("host.%s missing or null on a healthy host: %v", k, v)
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
