// Package savedhosts is where the hosts added in Settings are kept: the
// preferences file's path and keys and the list's format, for the window
// and for commands that run without it (and without Fyne): `horcrux
// doctor` checks them like the window's own.
package savedhosts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The preferences keys that hold the hosts, one per line; the window's
// Settings write them.
const (
	KeyLibvirt = "hosts.libvirt" // libvirt URIs
	KeyDocker  = "hosts.docker"  // container engine addresses
)

// Path is the preferences file of the app with this ID, where Fyne keeps it
// on Linux and the BSDs.
func Path(appID string) string {
	dir, _ := os.UserConfigDir() // Fyne ignores the error too
	return filepath.Join(dir, "fyne", appID, "preferences.json")
}

// Read returns the libvirt URIs and engines saved in the preferences file
// at path. A missing file holds none; a damaged one gives what can still be
// read and an error saying what is wrong.
func Read(path string) (uris, engines []string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the hosts saved in Settings: %w", err)
	}
	uris, engines, err = Parse(data)
	if err != nil {
		err = fmt.Errorf("%s: %w; opening the Horcrux window repairs it", path, err)
	}
	return uris, engines, err
}

// Parse reads the saved hosts from the preferences file's contents: a JSON
// object whose host keys hold text, one host per line.
func Parse(data []byte) (uris, engines []string, err error) {
	var values map[string]json.RawMessage
	if err := json.Unmarshal(data, &values); err != nil {
		return nil, nil, fmt.Errorf("the preferences file is damaged (%v), so the hosts saved in Settings are unknown", err)
	}
	uris, errU := lines(values, KeyLibvirt)
	engines, errD := lines(values, KeyDocker)
	return uris, engines, errors.Join(errU, errD)
}

// lines is the text under key split into hosts, trimmed, without blanks or
// repeats, as Settings saves them.
func lines(values map[string]json.RawMessage, key string) ([]string, error) {
	raw, ok := values[key]
	if !ok {
		return nil, nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return nil, fmt.Errorf("%s is not text, so those saved hosts are unknown", key)
	}
	return Split(text), nil
}

// Split turns a Settings list of hosts, one per line, into the hosts:
// trimmed, without blanks or repeats.
func Split(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}
