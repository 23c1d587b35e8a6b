package registry

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

func uris(r *Registry) []string {
	var out []string
	for _, h := range r.Machines() {
		out = append(out, h.URI)
	}
	return out
}

func TestSetMoreKeepsAddsAndCloses(t *testing.T) {
	noEngine := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	r := New(Config{Connect: "test:///default", DockerHost: noEngine, MoreURIs: []string{" test:///default ", "", "test:///default"}})
	defer r.Close()
	if got := uris(r); len(got) != 1 || got[0] != "test:///default" {
		t.Fatalf("repeats and blanks kept: %q", got)
	}
	first := r.Machines()[0]
	changed := r.Changed()

	r.SetMore([]string{"test+unix:///default?socket=" + filepath.Join(t.TempDir(), "x.sock")}, nil)
	select {
	case <-changed:
	default:
		t.Fatal("Changed did not fire for a new host")
	}
	ms := r.Machines()
	if len(ms) != 2 || ms[0] != first {
		t.Fatalf("the command line's host was not kept: %v", uris(r))
	}
	vms, cts := r.Sources()
	if len(vms) != 2 || len(cts) != 1 {
		t.Fatalf("sources %d/%d", len(vms), len(cts))
	}

	// The same list again changes nothing.
	changed = r.Changed()
	r.SetMore([]string{ms[1].URI}, nil)
	select {
	case <-changed:
		t.Fatal("Changed fired for the same hosts")
	default:
	}

	// A removed host is closed: its source says so.
	gone := ms[1]
	r.SetMore(nil, nil)
	if got := uris(r); len(got) != 1 {
		t.Fatalf("after removing: %q", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for gone.Poll(context.Background()).Reason != "the VM source is closed" {
		if time.Now().After(deadline) {
			t.Fatalf("a removed host is still open: %+v", gone.Poll(context.Background()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMachineHostActsAndResolvesConsoles(t *testing.T) {
	r := New(Config{Connect: "test:///default", DockerHost: "unix://" + filepath.Join(t.TempDir(), "none.sock")})
	defer r.Close()
	h := r.Machines()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sec := h.Poll(ctx)
	if !sec.IsUp() || len(sec.Items) != 1 {
		t.Fatalf("test driver: %+v", sec)
	}
	uuid := sec.Items[0].UUID
	// The default test domain has no graphics: a clear error, no target.
	for _, k := range []console.Kind{"", console.VNC, console.SPICE, console.Serial} {
		if _, err := h.Console(ctx, uuid, k); err == nil {
			t.Errorf("a %q console for a domain without a display or serial port", k)
		}
	}
	if f, err := h.GuestFacts(ctx, uuid); err != nil || len(f.Addresses) != 1 {
		t.Errorf("guest facts: %+v, %v", f, err)
	}
	if checks, err := h.SnapshotChecks(ctx, uuid); err != nil || len(checks) != 2 {
		t.Errorf("snapshot checks: %+v, %v", checks, err)
	}
	if err := h.CreateSnapshot(ctx, uuid, model.SnapshotInternal, "reg-1", ""); err != nil {
		t.Fatal(err)
	}
	if list, err := h.Snapshots(ctx, uuid); err != nil || len(list) != 1 || list[0].Name != "reg-1" {
		t.Errorf("snapshots: %+v, %v", list, err)
	}
	if err := h.RevertSnapshot(ctx, uuid, "reg-1"); err != nil {
		t.Error(err)
	}
	if err := h.DeleteSnapshot(ctx, uuid, "reg-1", false); err != nil {
		t.Error(err)
	}
	if err := h.Act(ctx, uuid, model.PauseVM); err != nil {
		t.Fatal(err)
	}
	if st := h.Poll(ctx).Items[0].State; st != model.VMPaused {
		t.Errorf("after pause: %s", st)
	}
	e := r.Engines()[0]
	if sec := e.Poll(ctx); sec.IsUp() || sec.Reason == "" {
		t.Errorf("a missing engine: %+v", sec)
	}
}
