package alerts

import (
	"strings"
	"testing"
	"time"
)

func TestThresholdsRoundTrip(t *testing.T) {
	custom := Thresholds{
		CPUPercent: 75.5, MemPercent: 0, Load1PerCore: 1.5, For: 90 * time.Second,
		VMStopped: false, GuestFSPercent: 85, ContainerExit: true, ContainerRestarts: 5, RestartWindow: 2 * time.Minute,
	}
	for _, want := range []Thresholds{DefaultThresholds(), custom, {RestartWindow: time.Minute}} {
		got, err := DecodeThresholds(want.Encode())
		if err != nil {
			t.Fatalf("Decode(Encode(%+v)): %v", want, err)
		}
		if got != want {
			t.Errorf("round trip: got %+v, want %+v", got, want)
		}
	}
}

func TestDecodeThresholdsFillsDefaults(t *testing.T) {
	def := DefaultThresholds()
	cpu80 := def
	cpu80.CPUPercent = 80
	off := def
	off.VMStopped, off.ContainerRestarts = false, 0
	cases := []struct {
		in   string
		want Thresholds
	}{
		{"", def},
		{"  ", def},
		{"{}", def},
		{`{"cpu_percent": 80}`, cpu80},
		{`{"vm_stopped": false, "container_restarts": 0, "from_a_newer_version": 1}`, off},
	}
	for _, c := range cases {
		got, err := DecodeThresholds(c.in)
		if err != nil {
			t.Errorf("DecodeThresholds(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("DecodeThresholds(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestDecodeThresholdsRejectsBadInput(t *testing.T) {
	cases := []struct {
		in, want string // want: a word the error must contain
	}{
		{"not json", "unreadable"},
		{`{"cpu_percent": "high"}`, "unreadable"},
		{`[1, 2]`, "unreadable"},
		{`{"cpu_percent": 150}`, "CPU"},
		{`{"guest_fs_percent": -1}`, "guest filesystem"},
		{`{"mem_percent": -1}`, "memory"},
		{`{"load1_per_core": -0.5}`, "load"},
		{`{"for_seconds": -1}`, "negative"},
		{`{"container_restarts": -2}`, "restarts"},
		{`{"restart_window_seconds": -60}`, "negative"},
		{`{"for_seconds": 1e300}`, "year"},
	}
	for _, c := range cases {
		got, err := DecodeThresholds(c.in)
		if err == nil {
			t.Errorf("DecodeThresholds(%q) = %+v, want an error", c.in, got)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("DecodeThresholds(%q): %v; want it to mention %q", c.in, err, c.want)
		}
		if got != DefaultThresholds() {
			t.Errorf("DecodeThresholds(%q) gave %+v with the error, want the defaults", c.in, got)
		}
	}
}

func FuzzDecodeThresholds(f *testing.F) {
	f.Add(DefaultThresholds().Encode())
	f.Add(`{"cpu_percent": 80, "for_seconds": 0.5}`)
	f.Add(`{"restart_window_seconds": 1e300}`)
	f.Add("null")
	f.Fuzz(func(t *testing.T, s string) {
		th, err := DecodeThresholds(s)
		if err != nil {
			return
		}
		if err := th.Validate(); err != nil {
			t.Fatalf("DecodeThresholds(%q) accepted invalid %+v: %v", s, th, err)
		}
		again, err := DecodeThresholds(th.Encode())
		if err != nil || again != th {
			t.Fatalf("re-encoding %+v gave %+v, %v", th, again, err)
		}
	})
}
