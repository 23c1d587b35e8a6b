package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDoctorChecksSavedHosts: `horcrux doctor` checks the hosts the flags
// name, then the ones saved in Settings, as the window would watch them;
// a damaged preferences file is said on stderr and the flags' hosts are
// still checked.
func TestDoctorChecksSavedHosts(t *testing.T) {
	const (
		flagEngine  = "unix:///nonexistent/flag.sock"
		savedEngine = "ssh://me@bad host" // refused before any ssh runs
		savedURI    = "qemu+unix:///system?socket=/nonexistent/saved-sock"
	)
	tests := []struct {
		name        string
		prefs       string // the preferences file; "" for none
		wantEngines []string
		wantURI     bool   // savedURI is checked
		stderr      string // a part stderr must hold
	}{
		{"no preferences file", "", []string{flagEngine}, false, ""},
		{"hosts saved in Settings", `{"hosts.docker":"` + savedEngine + `\n` + flagEngine + `","hosts.libvirt":"` + savedURI + `"}`,
			[]string{flagEngine, savedEngine}, true, ""},
		{"damaged file", `{"hosts.docker":`, []string{flagEngine}, false, "the preferences file is damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := t.TempDir()
			t.Setenv("XDG_CONFIG_HOME", cfg)
			if tt.prefs != "" {
				dir := filepath.Join(cfg, "fyne", "io.github.horcrux-desktop")
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "preferences.json"), []byte(tt.prefs), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var out, errs strings.Builder
			run([]string{"doctor", "--json", "--connect", "test:///default", "--docker-host", flagEngine}, &out, &errs)
			var rs []struct{ Check string }
			if err := json.Unmarshal([]byte(out.String()), &rs); err != nil {
				t.Fatalf("not JSON: %v\n%s\nstderr: %s", err, out.String(), errs.String())
			}
			var engines []string
			var uri bool
			for _, r := range rs {
				if h, ok := strings.CutPrefix(r.Check, "Docker connection "); ok {
					engines = append(engines, h)
				}
				uri = uri || r.Check == "libvirt connection "+savedURI
			}
			if !slices.Equal(engines, tt.wantEngines) {
				t.Errorf("engines checked %q, want %q", engines, tt.wantEngines)
			}
			if uri != tt.wantURI {
				t.Errorf("saved libvirt host checked: %v, want %v", uri, tt.wantURI)
			}
			if !strings.Contains(errs.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errs.String())
			}
		})
	}
}
