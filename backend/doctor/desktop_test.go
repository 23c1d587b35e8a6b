package doctor

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// listenUnix serves a unix socket at path that accepts and drops connections,
// like an X server or a bus seen from a connect-only probe.
func listenUnix(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
}

func TestDisplay(t *testing.T) {
	x11 := t.TempDir()
	listenUnix(t, filepath.Join(x11, "X99"))
	tests := []struct {
		name   string
		env    []string
		status Status
		detail []string
	}{
		{"no display at all", nil, StatusFailed, []string{"the window cannot open; `horcrux snapshot` works"}},
		{"X server answers", []string{"DISPLAY", ":99"}, StatusOK, []string{"DISPLAY=:99", filepath.Join(x11, "X99")}},
		{"screen number", []string{"DISPLAY", ":99.0"}, StatusOK, []string{"DISPLAY=:99.0"}},
		{"no X server behind it", []string{"DISPLAY", ":98"}, StatusWarning, []string{"no X server answers on " + filepath.Join(x11, "X98")}},
		{"remote (ssh -X)", []string{"DISPLAY", "localhost:10.0"}, StatusOK, []string{"not checked further"}},
		{"garbage", []string{"DISPLAY", "nonsense"}, StatusFailed, []string{"is not a display name"}},
	}
	if !waylandBuild {
		tests = append(tests, struct {
			name   string
			env    []string
			status Status
			detail []string
		}{"Wayland only, X11 build", []string{"WAYLAND_DISPLAY", "wayland-0"}, StatusWarning, []string{"needs XWayland"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(Config{Env: envOf(tt.env...)})
			c.x11Dir = x11
			expect(t, c.display(context.Background()), tt.status, tt.detail, nil)
		})
	}
}

func TestParseDisplay(t *testing.T) {
	tests := []struct {
		in   string
		host string
		num  int
		ok   bool
	}{
		{":0", "", 0, true},
		{":1.0", "", 1, true},
		{"unix:2", "unix", 2, true},
		{"localhost:10.0", "localhost", 10, true},
		{"[::1]:3", "[::1]", 3, true},
		{"", "", 0, false},
		{":x", "", 0, false},
		{"host", "", 0, false},
	}
	for _, tt := range tests {
		host, num, ok := parseDisplay(tt.in)
		if host != tt.host || num != tt.num || ok != tt.ok {
			t.Errorf("parseDisplay(%q) = %q, %d, %v; want %q, %d, %v", tt.in, host, num, ok, tt.host, tt.num, tt.ok)
		}
	}
}

func TestDBus(t *testing.T) {
	dir := t.TempDir()
	bus := filepath.Join(dir, "bus")
	listenUnix(t, bus)
	runtimeWithBus := dir
	runtimeEmpty := t.TempDir()
	tests := []struct {
		name   string
		env    []string
		status Status
		detail []string
	}{
		{"nothing anywhere", []string{"XDG_RUNTIME_DIR", runtimeEmpty}, StatusWarning,
			[]string{"DBUS_SESSION_BUS_ADDRESS is not set", "no tray icon and no desktop notifications"}},
		{"address answers", []string{"DBUS_SESSION_BUS_ADDRESS", "unix:path=" + bus + ",guid=1234", "XDG_RUNTIME_DIR", runtimeEmpty}, StatusOK,
			[]string{"answers at unix:path=" + bus}},
		{"second address answers", []string{"DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus;unix:path=" + bus}, StatusOK,
			[]string{"answers at unix:path=" + bus}},
		{"address set but dead", []string{"DBUS_SESSION_BUS_ADDRESS", "unix:path=" + filepath.Join(runtimeEmpty, "gone")}, StatusWarning,
			[]string{"no bus answers there", "no tray icon"}},
		{"the runtime dir's bus", []string{"XDG_RUNTIME_DIR", runtimeWithBus}, StatusOK, []string{"answers at unix:path=" + bus}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(Config{Env: envOf(tt.env...)})
			expect(t, c.dbus(context.Background()), tt.status, tt.detail, nil)
		})
	}
	t.Run("SessionBus", func(t *testing.T) {
		addr, err := SessionBus(context.Background(), envOf("XDG_RUNTIME_DIR", runtimeWithBus))
		if err != nil || addr != "unix:path="+bus {
			t.Errorf("SessionBus = %q, %v", addr, err)
		}
		if _, err := SessionBus(context.Background(), envOf("XDG_RUNTIME_DIR", runtimeEmpty)); err == nil {
			t.Error("SessionBus found a bus in an empty directory")
		}
	})
}

func TestBusDialAddr(t *testing.T) {
	tests := []struct {
		in, network, addr string
		ok                bool
	}{
		{"unix:path=/run/user/1000/bus", "unix", "/run/user/1000/bus", true},
		{"unix:abstract=/tmp/dbus-XYZ,guid=abc", "unix", "@/tmp/dbus-XYZ", true},
		{"unix:path=/tmp/a%20b", "unix", "/tmp/a b", true},
		{"tcp:host=127.0.0.1,port=4000", "tcp", "127.0.0.1:4000", true},
		{"unix:tmpdir=/tmp", "", "", false},
		{"nonsense", "", "", false},
	}
	for _, tt := range tests {
		n, a, ok := busDialAddr(tt.in)
		if n != tt.network || a != tt.addr || ok != tt.ok {
			t.Errorf("busDialAddr(%q) = %q %q %v", tt.in, n, a, ok)
		}
	}
}

func TestBrowser(t *testing.T) {
	withXdg := t.TempDir()
	if err := os.WriteFile(filepath.Join(withXdg, "xdg-open"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	withWWW := t.TempDir()
	if err := os.WriteFile(filepath.Join(withWWW, "www-browser"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExec := t.TempDir()
	if err := os.WriteFile(filepath.Join(notExec, "xdg-open"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		status Status
		detail string
	}{
		{"xdg-open", withXdg, StatusOK, "xdg-open (" + filepath.Join(withXdg, "xdg-open") + ")"},
		{"PATH order: xdg-open first", withWWW + ":" + withXdg, StatusOK, "with xdg-open"},
		{"only www-browser", withWWW, StatusOK, "with www-browser"},
		{"none", notExec + ":relative/dir", StatusWarning, "none of xdg-open, x-www-browser, www-browser is in PATH"},
		{"empty PATH", "", StatusWarning, "none of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(Config{Env: envOf("PATH", tt.path)})
			var fix []string
			if tt.status != StatusOK {
				fix = []string{"sudo apt-get install xdg-utils"}
			}
			expect(t, c.browser(context.Background()), tt.status, []string{tt.detail}, fix)
		})
	}
}
