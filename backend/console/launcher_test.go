package console

import (
	"errors"
	"strings"
	"testing"
)

func TestLauncherStartsOnFirstUseAndCloses(t *testing.T) {
	vnc := startFakeVNC(t)
	var shown []string
	l := NewLauncher(Config{Log: testLog(t)}, func(u string) error { shown = append(shown, u); return nil })
	if l.Server() != nil || l.Sessions() != nil {
		t.Fatal("a proxy before the first console")
	}
	u, err := l.Launch(TCPTarget("vm-a", uuidA, vnc.addr()))
	if err != nil {
		t.Fatal(err)
	}
	if len(shown) != 1 || shown[0] != u || !strings.HasPrefix(u, l.Server().Origin()+pagePath+"#t=") {
		t.Fatalf("shown %v, link %q", shown, u)
	}
	if _, err := l.Launch(Target{VM: "x", UUID: uuidA}); err == nil {
		t.Error("a target without Dial was launched")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Launch(TCPTarget("vm-a", uuidA, vnc.addr())); !errors.Is(err, ErrClosed) {
		t.Errorf("launch after Close: %v", err)
	}

	failing := NewLauncher(Config{Log: testLog(t)}, func(string) error { return errors.New("no xdg-open") })
	defer failing.Close()
	if _, err := failing.Launch(TCPTarget("vm-a", uuidA, vnc.addr())); err == nil || !strings.Contains(err.Error(), "vm-a") {
		t.Errorf("a failed browser: %v", err)
	}
}
