package savedhosts

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name          string
		data          string
		uris, engines []string
		err           string // in the error; "" for none
	}{
		{"both", `{"hosts.libvirt":"qemu+ssh://root@a/system\nqemu+ssh://root@b/system","hosts.docker":"ssh://me@c\ntcp://d:2375"}`,
			[]string{"qemu+ssh://root@a/system", "qemu+ssh://root@b/system"}, []string{"ssh://me@c", "tcp://d:2375"}, ""},
		{"blanks, spaces and repeats", `{"hosts.docker":"\n ssh://me@c \n\nssh://me@c\r\n"}`, nil, []string{"ssh://me@c"}, ""},
		{"none saved", `{"window.width":1100,"tab":2}`, nil, nil, ""},
		{"empty text", `{"hosts.libvirt":""}`, nil, nil, ""},
		{"null file", `null`, nil, nil, ""},
		{"not JSON", `{"hosts.libvirt":"qemu:///system"`, nil, nil, "the preferences file is damaged"},
		{"a list, not an object", `["qemu:///system"]`, nil, nil, "the preferences file is damaged"},
		{"one key not text: the other still read", `{"hosts.libvirt":["x"],"hosts.docker":"tcp://d:2375"}`,
			nil, []string{"tcp://d:2375"}, "hosts.libvirt is not text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uris, engines, err := Parse([]byte(tt.data))
			if !slices.Equal(uris, tt.uris) || !slices.Equal(engines, tt.engines) {
				t.Errorf("Parse = %q %q, want %q %q", uris, engines, tt.uris, tt.engines)
			}
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("error %v, want one with %q", err, tt.err)
			}
		})
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	uris, engines, err := Read(filepath.Join(dir, "missing.json"))
	if uris != nil || engines != nil || err != nil {
		t.Errorf("a missing file: %q %q %v, want nothing", uris, engines, err)
	}
	path := filepath.Join(dir, "preferences.json")
	if err := os.WriteFile(path, []byte(`{"hosts.docker":"ssh://me@c"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, engines, err := Read(path); !slices.Equal(engines, []string{"ssh://me@c"}) || err != nil {
		t.Errorf("Read = %q %v", engines, err)
	}
	if err := os.WriteFile(path, []byte(`{"hosts`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Read(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "repairs it") {
		t.Errorf("a damaged file: %v, want the path and the repair", err)
	}
}

func TestPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	if got, want := Path("io.github.horcrux-desktop"), "/cfg/fyne/io.github.horcrux-desktop/preferences.json"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}

// FuzzParse: whatever the file holds, Parse returns without panicking, and
// every host it returns is one trimmed, non-empty line.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"hosts.libvirt":"qemu:///system\n","hosts.docker":"ssh://a"}`))
	f.Add([]byte(`{"hosts.docker":7}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		uris, engines, _ := Parse(data)
		for _, h := range append(uris, engines...) {
			if h == "" || h != strings.TrimSpace(h) || strings.Contains(h, "\n") {
				t.Errorf("host %q", h)
			}
		}
	})
}
