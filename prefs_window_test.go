package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWindowStartsOnDamagedPreferences: a saved size no screen can hold used
// to end every start with an X BadValue error. Now the window opens within
// the screen (Xvfb's 1280x800), says what it reset, and the file as it was is
// kept aside while the saved host survives in the repaired one.
func TestWindowStartsOnDamagedPreferences(t *testing.T) {
	windowTest(t)
	bin := buildBinary(t)
	display := startXvfb(t)
	home := t.TempDir()
	dir := filepath.Join(home, ".config", "fyne", "io.github.horcrux-desktop")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	damaged := `{"hosts.libvirt":"test:///default","window.height":1e30,"window.width":100000}`
	path := filepath.Join(dir, "preferences.json")
	if err := os.WriteFile(path, []byte(damaged), 0o600); err != nil {
		t.Fatal(err)
	}
	app, logs := startApp(t, bin, display, home, "--connect", "test:///default")
	done, exited := make(chan error, 1), make(chan struct{})
	go func() { done <- app.Wait(); close(exited) }()
	// Before startApp's clean-up, whose Wait must not race this one.
	t.Cleanup(func() { app.Process.Kill(); <-exited })

	// Poll for the window, so that an app that dies on the file fails at
	// once with what it said.
	var id string
	for deadline := time.Now().Add(60 * time.Second); id == ""; {
		select {
		case err := <-done:
			t.Fatalf("horcrux exited (%v) on a damaged preferences file:\n%s", err, logs)
		case <-time.After(200 * time.Millisecond):
		}
		search := exec.Command("xdotool", "search", "--name", "^Horcrux$")
		search.Env = append(os.Environ(), "DISPLAY="+display)
		if out, _ := search.Output(); len(strings.Fields(string(out))) > 0 {
			ids := strings.Fields(string(out))
			id = ids[len(ids)-1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no Horcrux window after 60 s; app said:\n%s", logs)
		}
	}
	// The X error came as the window was sized: give it time.
	select {
	case err := <-done:
		t.Fatalf("horcrux exited (%v) on a damaged preferences file:\n%s", err, logs)
	case <-time.After(3 * time.Second):
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	geom := string(x(t, ctx, display, "xdotool", "getwindowgeometry", id))
	var w, h int
	if i := strings.Index(geom, "Geometry: "); i < 0 {
		t.Fatalf("xdotool getwindowgeometry: %q", geom)
	} else if _, err := fmt.Sscanf(geom[i:], "Geometry: %dx%d", &w, &h); err != nil {
		t.Fatalf("xdotool getwindowgeometry: %q: %v", geom, err)
	}
	if w > 1280 || h > 800 {
		t.Errorf("window %dx%d on a 1280x800 screen", w, h)
	}
	if !strings.Contains(logs.String(), "window height 1e30 is larger than any screen") {
		t.Errorf("the reset is not reported; app said:\n%s", logs)
	}

	kept, _ := filepath.Glob(path + ".damaged-*")
	if len(kept) != 1 {
		t.Fatalf("kept copies %q, want one", kept)
	}
	if b, err := os.ReadFile(kept[0]); err != nil || string(b) != damaged {
		t.Fatalf("%s holds %q (%v), want the file as it was", kept[0], b, err)
	}
	saved := func(when string) map[string]any {
		b, err := os.ReadFile(path)
		var now map[string]any
		if err != nil || json.Unmarshal(b, &now) != nil || now["hosts.libvirt"] != "test:///default" {
			t.Fatalf("%s the file holds %q (%v), want the saved host kept", when, b, err)
		}
		return now
	}
	saved("at start")

	// Quitting saves the window's own size beside the host.
	if err := app.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("horcrux exited with %v after SIGTERM:\n%s", err, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("horcrux still running 30 s after SIGTERM:\n%s", logs)
	}
	if now := saved("after quitting"); now["window.height"] != float64(h) {
		t.Errorf("saved height %v, want the window's %d", now["window.height"], h)
	}
}
